"""Metadata that plain-text news files carry in their first lines: title, byline, outlet, date."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlparse

from index.types import Article, ArticleMeta

# Each month's names as dates write them: its short forms first, its full name last.
MONTH_NAMES: tuple[tuple[str, ...], ...] = (
    ("jan", "january"),
    ("feb", "february"),
    ("mar", "march"),
    ("apr", "april"),
    ("may",),
    ("jun", "june"),
    ("jul", "july"),
    ("aug", "august"),
    ("sep", "sept", "september"),
    ("oct", "october"),
    ("nov", "november"),
    ("dec", "december"),
)
MONTHS = {name: number for number, names in enumerate(MONTH_NAMES, start=1) for name in names}
FULL_MONTHS = {number: names[-1] for number, names in enumerate(MONTH_NAMES, start=1)}  # 8: "august"
# The months' short forms before a day ("Aug. 23", "Sept. 5"), capitalised, as a regex alternation (May has none).
ABBREVIATED_MONTHS = "|".join(name.capitalize() for names in MONTH_NAMES for name in names[:-1])
MONTH_NAME = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
MONTH_DAY_YEAR = re.compile(MONTH_NAME + r"\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})", re.IGNORECASE)
DAY_MONTH_YEAR = re.compile(r"(?P<day>\d{1,2})\s+" + MONTH_NAME + r",?\s+(?P<year>\d{4})", re.IGNORECASE)
ISO_DATE = re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})")
DATE_LINE = re.compile(r"^\s*(?:updated|published|posted|last updated|date)\b[:\s]", re.IGNORECASE)
# "Shanthi M·Stocktwits": an author and an outlet joined by a middle dot, as news sites print bylines.
AUTHOR_OUTLET = re.compile(r"^\s*(?P<author>[^·|]{2,60}?)\s*[·|]\s*(?P<source>[^·|]{2,60}?)\s*$")
BY_LINE = re.compile(r"^\s*by\s+(?P<author>[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*){0,4})\s*$", re.IGNORECASE)
HEADER_LINES = 12
# "WASHINGTON, July 2, 2025 (Reuters) -", "PARIS (AP) — Jul 2, 2025": a dateline opens the body with a place in capitals.
DATELINE = re.compile(r"^\s*[A-Z][A-Z.'’ -]{1,40}(?:,\s*[A-Z][\w.'’ -]{1,30})?\s*[,(—–-]")
DATELINE_CHARS = 80  # the date of a dateline comes within this many characters of its start
BARE_DATE_REST = 12  # a line that is a date and little else ("Wednesday, July 2, 2025 8:31 PM") is a dateline too


def parse_date(text: str) -> str | None:
    """An ISO date (YYYY-MM-DD) from the first date found in text, or None."""
    for pattern in (ISO_DATE, MONTH_DAY_YEAR, DAY_MONTH_YEAR):
        found = pattern.search(text)
        if not found:
            continue
        month_text = found.group("month")
        month = int(month_text) if month_text.isdigit() else MONTHS[month_text.lower()]
        try:
            return date(int(found.group("year")), month, int(found.group("day"))).isoformat()
        except ValueError:
            continue
    return None


def parse_text_header(text: str, *, article_id: str, location: str) -> Article:
    """Title from the first line; byline, outlet and date from the lines just below it. The article's text is
    what is left without the lines that were read as metadata."""
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), 0)
    title = _headline(lines[first:]) if lines else ""
    source = author = published = ""
    metadata_lines: set[int] = set()
    for i in range(first + 1, min(len(lines), first + 1 + HEADER_LINES)):
        line = lines[i].strip()
        if not line or len(line) > 120:
            continue
        if not published and DATE_LINE.match(line) and (found := parse_date(line)):
            published = found
            metadata_lines.add(i)
        elif not source and (byline := AUTHOR_OUTLET.match(line)) and not line.endswith("."):
            author, source = byline.group("author").strip(), byline.group("source").strip()
            metadata_lines.add(i)
        elif not author and (by := BY_LINE.match(line)):
            author = by.group("author").strip()
            metadata_lines.add(i)
    body = "\n".join(line for i, line in enumerate(lines) if i not in metadata_lines)
    inferred = "" if published else infer_date(lines[first + 1 : first + 1 + HEADER_LINES])
    meta = ArticleMeta(
        id=article_id,
        title=title,
        source=source,
        author=author,
        published=published or inferred,
        location=location,
        date_inferred=bool(inferred),
    )
    return Article(meta=meta, text=body)


def _headline(lines: list[str]) -> str:
    """The first line, unless it reads as a sentence (a standfirst) and a headline-like line follows it."""
    candidates = [line.strip() for line in lines[:4] if line.strip()]
    for line in candidates[:3]:
        if len(line) <= 150 and not line.endswith((".", "!", "?", "”", '"')):
            return line
    return candidates[0] if candidates else ""


def source_from_url(url: str) -> str:
    """The outlet's host name ("cnn.com") when an article has a URL but names no source."""
    host = urlparse(url).hostname or "" if url else ""
    return host.removeprefix("www.")


def infer_date(lines: list[str]) -> str:
    """The date of a dated byline or dateline among an article's opening lines ("By Jane Doe, July 2, 2025",
    "WASHINGTON, July 2, 2025 (Reuters) —", a line that is a date), or "". Dates inside sentences are not read:
    "talks resume on July 9, 2025" says nothing of when the article appeared."""
    for raw in lines:
        line = raw.strip()
        if not line or len(line) > 160:
            continue
        if DATELINE.match(line) and (found := parse_date(line[:DATELINE_CHARS])):
            return found
        if len(line) > 120 or line.endswith(".") or not (found := parse_date(line)):
            continue
        if BY_LINE_START.match(line) or any(_is_a_date(part) for part in BYLINE_PARTS.split(line)):
            return found
    return ""


BYLINE_PARTS = re.compile(r"[·|]")  # "Jane Roe · Reuters · 2 July 2025"
BY_LINE_START = re.compile(r"^\s*by\s+[A-Z]", re.IGNORECASE)
TIME_OF_DAY = re.compile(r"\b\d{1,2}:\d{2}(?:\s*[ap]\.?m\.?)?|\b(?:gmt|utc|e[sd]t|p[sd]t)[+-]?\d*\b", re.IGNORECASE)
WEEKDAY_NAME = re.compile(r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b", re.IGNORECASE)


def _is_a_date(text: str) -> bool:
    """A date and little else: "Wednesday, July 2, 2025 8:31 PM", or the date part of "Jane Roe · Reuters · 2 July 2025"."""
    return parse_date(text) is not None and len(_without_dates(text)) <= BARE_DATE_REST


def _without_dates(line: str) -> str:
    """The line without its dates, times and weekday names: what is left of a line that is only a date is punctuation."""
    for pattern in (ISO_DATE, MONTH_DAY_YEAR, DAY_MONTH_YEAR, TIME_OF_DAY, WEEKDAY_NAME):
        line = pattern.sub("", line)
    return re.sub(r"[\W_]+", " ", line).strip()
