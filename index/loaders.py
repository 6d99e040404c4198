"""Files → Articles: plain text, Markdown, HTML and JSONL corpora (optionally gzipped).

Loading is a generator so that a large corpus is streamed, never held whole. Every problem with an
input raises InputError naming the file (and line, for JSONL) in one line.
"""

from __future__ import annotations

import codecs
import gzip
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from index.errors import InputError
from index.html_text import html_to_article
from index.metadata import HEADER_LINES, infer_date, parse_date, parse_text_header, source_from_url
from index.page_dates import inferred_page_date
from index.types import Article, ArticleMeta

TEXT_SUFFIXES = (".txt", ".text")
MARKDOWN_SUFFIXES = (".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + MARKDOWN_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES
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
                raise InputError(f"{path}: no article files in it (.txt, .md, .html, .jsonl)")
            files.extend(found)
        elif suffix_of(path) in SUPPORTED_SUFFIXES:
            files.append(path)
        else:
            raise InputError(f"{path}: unsupported file type (use .txt, .md, .html or .jsonl)")
    return files


def _is_hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def iter_articles(files: Iterable[Path], *, max_bytes: int) -> Iterator[Article]:
    """Articles from already expanded files; JSONL files yield one article a line."""
    for path in files:
        suffix = suffix_of(path)
        if suffix in JSONL_SUFFIXES:
            yield from _iter_jsonl(path, max_bytes=max_bytes)
            continue
        text = read_text_file(path, max_bytes=max_bytes)
        if suffix in HTML_SUFFIXES:
            yield _html_article(path, text)
        elif suffix in MARKDOWN_SUFFIXES:
            yield _markdown_article(path, text)
        else:
            yield _text_article(path, text)


def read_text_file(path: Path, *, max_bytes: int) -> str:
    """The file's text, refusing what is not an article: empty, too large, binary or not UTF-8."""
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(f"{path}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit (ASSISTANT_MAX_FILE_MB)")
    data = path.read_bytes()
    return _decode(data, str(path))


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


MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
MARKDOWN_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")
MARKDOWN_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.MULTILINE)


def _markdown_article(path: Path, text: str) -> Article:
    plain = MARKDOWN_HEADING.sub("", MARKDOWN_EMPHASIS.sub("", MARKDOWN_LINK.sub(r"\1", text)))
    return _text_article(path, plain)


def _html_article(path: Path, text: str) -> Article:
    page = html_to_article(text, article_id=path.name, location=str(path))
    if not page.text.strip():
        raise InputError(f"{path}: no visible text in the HTML")
    header = _text_article(path, page.text)  # the byline and date lines of the visible text, for what the tags lack
    meta = page.meta.filled_from(header.meta)
    if not meta.published and (guessed := inferred_page_date(text)):
        meta = replace(meta, published=guessed, date_inferred=True)
    # Without a title from the tags, the first line was read as the title and belongs out of the body.
    return Article(meta=meta, text=page.text if page.meta.title else header.text)


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
