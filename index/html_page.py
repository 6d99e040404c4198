"""HTML → Article: trafilatura's main text first, today's visible-text extractor (html_text) when it finds none.

One function for every way a page comes in (a saved .html file, an upload, a fetched URL): `html_article(html,
article_id=…, location=…)`.
"""

from __future__ import annotations

from dataclasses import replace

from index.errors import InputError
from index.html_main import main_text_article
from index.html_text import html_to_article
from index.metadata import parse_text_header
from index.page_dates import inferred_page_date
from index.types import Article


def html_article(html: str, *, article_id: str, location: str) -> Article:
    """The article of a page, with metadata from trafilatura, then the page's tags, then its first lines; a date none
    of those gives is htmldate's guess, marked as inferred."""
    tags = html_to_article(html, article_id=article_id, location=location)  # the fallback text, and the tags' metadata
    main = main_text_article(html, article_id=article_id, location=location)
    page = Article(meta=main.meta.filled_from(tags.meta), text=main.text or tags.text) if main else tags
    if not page.text.strip():
        raise InputError(f"{location}: no visible text in the HTML")
    header = parse_text_header(page.text, article_id=article_id, location=location)  # byline and date lines
    meta = page.meta.filled_from(header.meta)
    if not meta.published and (guessed := inferred_page_date(html)):
        meta = replace(meta, published=guessed, date_inferred=True)
    # Without a title from the page, the first line was read as the title and belongs out of the body.
    return Article(meta=meta, text=page.text if page.meta.title else header.text)
