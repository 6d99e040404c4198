"""Files → Articles: plain text, Markdown, HTML, PDF and JSONL corpora (optionally gzipped).

Loading is a generator so that a large corpus is streamed, never held whole. Every problem with an
input raises InputError naming the file (and line, for JSONL) in one line.
"""

from __future__ import annotations

import codecs
import gzip
import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from index.errors import InputError
from index.html_page import html_article
from index.metadata import HEADER_LINES, infer_date, parse_date, parse_text_header, source_from_url
from index.pdf_text import pdf_article
from index.types import Article, ArticleMeta

TEXT_SUFFIXES = (".txt", ".text")
MARKDOWN_SUFFIXES = (".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm")
PDF_SUFFIXES = (".pdf",)
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + MARKDOWN_SUFFIXES + HTML_SUFFIXES + PDF_SUFFIXES + JSONL_SUFFIXES
SUPPORTED_NAMES = ".txt, .md, .html, .pdf or .jsonl"  # for messages
JSONL_FIELDS = {"id", "title", "text", "url", "published", "source", "author"}


def suffix_of(path: Path) -> str:
    name = path.name.lower()
    return ".jsonl.gz" if name.endswith(".jsonl.gz") else path.suffix.lower()


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named directly, and the supported files under each folder, in a stable order."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError(f"{path}: no such file or folder")
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and suffix_of(p) in SUPPORTED_SUFFIXES and not _is_hidden(p.relative_to(path))
            )
            if not found:
                raise InputError(f"{path}: no article files in it ({SUPPORTED_NAMES})")
            files.extend(found)
        elif suffix_of(path) in SUPPORTED_SUFFIXES:
            files.append(path)
        else:
            raise InputError(f"{path}: unsupported file type (use {SUPPORTED_NAMES})")
    return files


def _is_hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def iter_articles(files: Iterable[Path], *, max_bytes: int) -> Iterator[Article]:
    """Articles from already expanded files; JSONL files yield one article a line."""
    for path in files:
        yield from LOADERS[suffix_of(path)](path, max_bytes)


def read_text_file(path: Path, *, max_bytes: int) -> str:
    """The file's text, refusing what is not an article: empty, too large, binary or not UTF-8."""
    return _decode(_read_bytes(path, max_bytes), str(path))


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(f"{path}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit (ASSISTANT_MAX_FILE_MB)")
    return path.read_bytes()


BOMS = (  # UTF-32 before UTF-16: the UTF-32-LE mark begins with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
BINARY_NUL_SHARE = 0.01  # text with a stray NUL is still text; a file whose first 8 KB are 1% NULs is not


def _decode(data: bytes, where: str) -> str:
    """Text from UTF-8 (with or without a BOM) or UTF-16/32 with a BOM; NUL characters are dropped wherever they are
    (they end strings in C code downstream and mean nothing in an article)."""
    encoding = next((name for bom, name in BOMS if data.startswith(bom)), "utf-8-sig")
    head = data[:8192]
    nuls = head.count(0) if encoding == "utf-8-sig" else 0  # UTF-16 and UTF-32 are full of NUL bytes
    if nuls > BINARY_NUL_SHARE * len(head):
        raise InputError(f"{where}: binary data, not text")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as err:
        if nuls:  # a NUL byte and invalid UTF-8: an image or an archive, not an article
            raise InputError(f"{where}: binary data, not text") from None
        label = "UTF-8" if encoding == "utf-8-sig" else encoding.upper()
        raise InputError(f"{where}: not {label} text (invalid byte at offset {err.start})") from None
    text = text.replace("\x00", "")
    if not text.strip():
        raise InputError(f"{where}: empty file")
    return text


def _text_article(path: Path, text: str) -> Article:
    return parse_text_header(text, article_id=path.name, location=str(path))


def _load_text(path: Path, max_bytes: int) -> Iterator[Article]:
    yield _text_article(path, read_text_file(path, max_bytes=max_bytes))


def _load_markdown(path: Path, max_bytes: int) -> Iterator[Article]:
    yield _markdown_article(path, read_text_file(path, max_bytes=max_bytes))


def _load_html(path: Path, max_bytes: int) -> Iterator[Article]:
    yield html_article(read_text_file(path, max_bytes=max_bytes), article_id=path.name, location=str(path))


def _load_pdf(path: Path, max_bytes: int) -> Iterator[Article]:
    data = _read_bytes(path, max_bytes)
    if not data.strip():
        raise InputError(f"{path}: empty file")
    yield pdf_article(data, article_id=path.name, location=str(path))


MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
MARKDOWN_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")
MARKDOWN_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.MULTILINE)


def _markdown_article(path: Path, text: str) -> Article:
    plain = MARKDOWN_HEADING.sub("", MARKDOWN_EMPHASIS.sub("", MARKDOWN_LINK.sub(r"\1", text)))
    return _text_article(path, plain)


def _iter_jsonl(path: Path, *, max_bytes: int) -> Iterator[Article]:
    if path.stat().st_size == 0:
        raise InputError(f"{path}: empty file")
    opener = gzip.open if suffix_of(path) == ".jsonl.gz" else open
    seen_any = False
    try:
        with opener(path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                where = f"{path}:{number}"
                if len(raw) > max_bytes:
                    raise InputError(f"{where}: line is over the {max_bytes / 1e6:.0f} MB limit")
                yield _jsonl_article(_decode(raw, where), where, path)
                seen_any = True
    except (OSError, EOFError) as err:  # a truncated or non-gzip .gz
        raise InputError(f"{path}: cannot be read ({err})") from None
    if not seen_any:
        raise InputError(f"{path}: no articles in it")


def _jsonl_article(line: str, where: str, path: Path) -> Article:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as err:
        raise InputError(f"{where}: not valid JSON ({err.msg})") from None
    if not isinstance(row, dict):
        raise InputError(f"{where}: expected a JSON object")
    unknown = sorted(set(row) - JSONL_FIELDS)
    if unknown:
        raise InputError(f"{where}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(JSONL_FIELDS))}")
    for field in ("id", "text"):
        if not isinstance(row.get(field), str | int) or not str(row[field]).strip():
            raise InputError(f"{where}: missing or empty '{field}'")
    row = {key: value.replace("\x00", "") if isinstance(value, str) else value for key, value in row.items()}  # "\u0000"
    text = str(row["text"])
    if not text.strip():
        raise InputError(f"{where}: missing or empty 'text'")
    title = str(row.get("title") or "").strip() or text.strip().splitlines()[0][:120]
    published = (parse_date(str(row["published"])) or "") if row.get("published") else ""
    inferred = "" if published else infer_date(text.splitlines()[:HEADER_LINES])
    url = _optional_str(row.get("url"))
    meta = ArticleMeta(
        id=str(row["id"]),
        title=title,
        source=_optional_str(row.get("source")) or source_from_url(url),
        author=_optional_str(row.get("author")),
        published=published or inferred,
        location=url or f"{path}#{row['id']}",
        date_inferred=bool(inferred),
    )
    return Article(meta=meta, text=text)


def _optional_str(value: object) -> str:
    return "" if value is None else str(value).strip()


Loader = Callable[[Path, int], Iterator[Article]]  # (file, max bytes) → its articles
LOADERS: dict[str, Loader] = {
    **dict.fromkeys(TEXT_SUFFIXES, _load_text),
    **dict.fromkeys(MARKDOWN_SUFFIXES, _load_markdown),
    **dict.fromkeys(HTML_SUFFIXES, _load_html),
    **dict.fromkeys(PDF_SUFFIXES, _load_pdf),
    **dict.fromkeys(JSONL_SUFFIXES, lambda path, max_bytes: _iter_jsonl(path, max_bytes=max_bytes)),
}
