"""An HTML page's main text and metadata through trafilatura: the article without navigation, comments or
related-story blocks; title, site name, author and published date from its metadata extraction.

trafilatura is imported on first use (half a second), so commands that read no HTML never pay for it. It only
parses the string it is given here: the page's address, when there is one, names the site and fetches nothing.
"""

from __future__ import annotations

from typing import Any

from index.metadata import parse_date, source_from_url
from index.types import Article, ArticleMeta

# Measured against the other choices in benchmarks/extraction.py (benchmarks/README.md).
EXTRACTION_OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
    "include_links": False,
    "deduplicate": False,  # trafilatura's cache is process-wide: a page ingested twice would lose its text
    "with_metadata": True,
    # Dates from the page's markup only (meta tags, JSON-LD, <time>, the URL): a date htmldate guesses from the text is
    # inferred, and index/page_dates.py reads it and marks it so.
    "date_extraction_params": {"original_date": True, "extensive_search": False},
}
# Below its own minimum (MIN_EXTRACTED_SIZE) trafilatura falls back to a dump of the page's text blocks, which splits
# inline markup into lines and keeps navigation; our own visible-text extractor does that job better, so such a short
# result counts as "found nothing".
MIN_MAIN_TEXT_CHARS = 250


def main_text_article(html: str, *, article_id: str, location: str, **options: Any) -> Article | None:
    """The page's main text and metadata; the text is "" when trafilatura found none (or only a few words: see
    MIN_MAIN_TEXT_CHARS), None when it could not read the page at all. `options` override EXTRACTION_OPTIONS (the
    benchmark compares settings)."""
    import trafilatura

    url = location if location.startswith(("http://", "https://")) else None
    try:
        document = trafilatura.bare_extraction(html, url=url, **(EXTRACTION_OPTIONS | options))
    except (ValueError, TypeError, LookupError, RecursionError):  # markup it cannot parse: nothing found
        return None
    if document is None or isinstance(document, dict):
        return None
    text = "\n".join(line.strip() for line in (document.text or "").splitlines() if line.strip())
    meta = ArticleMeta(
        id=article_id,
        title=" ".join((document.title or "").split()),
        source=(document.sitename or "").strip() or (source_from_url(url) if url else ""),
        author=(document.author or "").strip(),
        published=parse_date(document.date or "") or "",
        location=location,
    )
    return Article(meta=meta, text=text if len(text) >= MIN_MAIN_TEXT_CHARS else "")
