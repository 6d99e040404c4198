"""PDF → Article through pypdf: the text layer, page by page, with where each page begins in the article text
(citations are given the page of their quote from those offsets).

A PDF without a text layer (a scan), an encrypted one and a broken one are each refused in one line.
"""

from __future__ import annotations

import io
import logging
import re

from index.errors import InputError
from index.metadata import parse_text_header
from index.types import Article, ArticleMeta

SENTENCE_END = (".", "!", "?", ":", '"', "”", "’")
# A line on its own that is much shorter than the page's longest is a heading, a byline or a date line.
HEADING_SHARE = 0.6
FILE_NAME_TITLE = re.compile(r"(\.(docx?|pdf|odt|rtf|txt|indd)$|^microsoft word\b)", re.IGNORECASE)


def pdf_article(data: bytes, *, article_id: str, location: str) -> Article:
    """The PDF's text, one paragraph a line, and `page_starts`: the offset in that text where each page begins."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings about odd but readable files are not ours to print
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):  # an empty user password opens many "protected" PDFs
            raise InputError(f"{location}: the PDF is encrypted (it needs a password)")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
        pdf_title, pdf_author = (info.title or "", info.author or "") if info else ("", "")
    except (FileNotDecryptedError, DependencyError):
        raise InputError(f"{location}: the PDF is encrypted (it needs a password)") from None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as err:
        raise InputError(f"{location}: not a readable PDF ({_short(err)})") from None
    if not any(text.strip() for text in pages):
        raise InputError(f"{location}: the PDF has no text layer (a scan?); run OCR on it first")
    text, page_starts = _join_pages([_paragraphs(page) for page in pages])
    header = parse_text_header(text, article_id=article_id, location=location).meta  # headline, byline, date lines
    meta = ArticleMeta(id=article_id, title=_usable_title(pdf_title), author=" ".join(str(pdf_author).split()), location=location)
    return Article(meta=meta.filled_from(header), text=text, page_starts=page_starts)


def _paragraphs(page_text: str) -> list[str]:
    """pypdf gives one line per printed line: lines are joined back into paragraphs, so a sentence wrapped across
    lines stays one sentence (cleaning and chunking read a line as a paragraph). A paragraph ends at a blank line,
    after a line that ends a sentence (at worst a paragraph is cut between two of its sentences, never inside one),
    and after a heading-like line on its own."""
    lines = [" ".join(line.split()) for line in page_text.splitlines()]
    longest = max((len(line) for line in lines), default=0)
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line:
            current.append(line)
        heading = len(current) == 1 and len(line) < HEADING_SHARE * longest
        ends_paragraph = not line or line.endswith(SENTENCE_END) or heading
        if current and ends_paragraph:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def _join_pages(pages: list[list[str]]) -> tuple[str, tuple[int, ...]]:
    parts: list[str] = []
    starts: list[int] = []
    offset = 0
    for paragraphs in pages:
        starts.append(offset)
        for paragraph in paragraphs:
            parts.append(paragraph)
            offset += len(paragraph) + 1
    return "\n".join(parts), tuple(starts)


def _usable_title(title: object) -> str:
    """The document's /Title, unless it is empty or a file name ("Microsoft Word - draft.docx")."""
    text = " ".join(str(title).split())
    return "" if len(text.split()) < 2 or FILE_NAME_TITLE.search(text) else text


def _short(err: Exception) -> str:
    return (str(err).splitlines() or [type(err).__name__])[0][:160]
