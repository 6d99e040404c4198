"""The date of a web page that names none in the tags we read: htmldate's guess (its markup and text heuristics)."""

from __future__ import annotations

import logging


def inferred_page_date(html: str) -> str:
    """YYYY-MM-DD of the page's original publication as htmldate reads it, or "" when it finds none. The page is
    parsed here and handed over as a tree: htmldate downloads a string that looks like a URL, and ingest never
    goes to the network for a file."""
    import lxml.html
    from htmldate import find_date

    logging.getLogger("htmldate").setLevel(logging.WARNING)  # it logs every candidate date at DEBUG/INFO
    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):  # no element at all: nothing to read a date from
        return ""
    try:
        found = find_date(tree, extensive_search=True, original_date=True)
    except (ValueError, TypeError):  # htmldate's way of saying a page makes no sense to it
        return ""
    return found or ""
