"""Article text as it is indexed and cited: no page furniture, each paragraph once, tidy whitespace.

The cleaned text is kept per article, because citations carry offsets into it.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

CLEANER_VERSION = "1"  # part of the index's fingerprint: changing the rules re-indexes everything

# Whole lines that are page furniture, not reporting. Matched case-insensitively against a stripped line.
BOILERPLATE_LINES = [
    r"share( this( article| story)?| on \w+)?",
    r"(facebook|twitter|x|linkedin|email|print|copy link|whatsapp|reddit|comments?)",
    r"subscribe\b.{0,80}",
    r"(read next|read more|related|also read|recommended|more from \w+)\s*:.*",
    r"for (updates and )?corrections,? (please )?(email|contact|write).*",
    r"(profile image|advertisement|ad|all newsletters|sign up|log in|sign in|skip to (main )?content)",
    r"(photo|image|picture|video)( credit| courtesy)?\s*(:|by|courtesy).{0,120}",
    r"read about our editorial guidelines.*",
    r".{0,120}\bdelivered (daily|weekly)\b.{0,40}",
    r"(sign up|subscribe) (for|to) (our|the) .{0,60}newsletter.{0,40}",
    r"(click|tap) here .{0,80}",
    r"(copyright|©)\s*(©\s*)?\d{4}\b.{0,100}",
]
BOILERPLATE = re.compile(r"^(?:" + "|".join(BOILERPLATE_LINES) + r")[.!]?$", re.IGNORECASE)
# "(Photo Courtesy of Pool via Getty Images)" at the end of a caption line.
PHOTO_CREDIT = re.compile(r"\s*\((?:photo|image|picture)[^)]{0,120}\)\s*$", re.IGNORECASE)
WORD = re.compile(r"\w+")
MIN_WORDS_TO_DEDUPLICATE = 4
PARAGRAPH_BREAK = "\n\n"


@dataclass(frozen=True)
class CleanedText:
    text: str
    page_starts: tuple[int, ...] = ()  # where each page of the source begins in `text`, for a paged article


def clean_text(text: str) -> str:
    """Paragraphs (one per non-empty line) without boilerplate or repeats, joined by blank lines."""
    return PARAGRAPH_BREAK.join(paragraph for _, paragraph in _kept_paragraphs(text))


def clean_article(text: str, page_starts: Sequence[int] = ()) -> CleanedText:
    """clean_text, and the page starts carried over: a page begins at its first kept paragraph (or where the
    next kept paragraph begins, when cleaning left nothing of it)."""
    kept = list(_kept_paragraphs(text))
    cleaned = PARAGRAPH_BREAK.join(paragraph for _, paragraph in kept)
    if not page_starts:
        return CleanedText(cleaned)
    starts: list[int] = []  # cleaned offset of each kept paragraph
    offset = 0
    for _, paragraph in kept:
        starts.append(offset)
        offset += len(paragraph) + len(PARAGRAPH_BREAK)
    origins = [origin for origin, _ in kept]
    mapped = []
    for page_start in page_starts:
        first_kept = bisect_left(origins, page_start)
        mapped.append(starts[first_kept] if first_kept < len(starts) else len(cleaned))
    return CleanedText(cleaned, tuple(mapped))


def _kept_paragraphs(text: str) -> Iterator[tuple[int, str]]:
    """(offset of its line in `text`, paragraph) for every line kept."""
    seen: set[str] = set()
    offset = 0
    for line in text.splitlines(keepends=True):
        origin, offset = offset, offset + len(line)
        paragraph = PHOTO_CREDIT.sub("", " ".join(line.split()))
        if not paragraph or BOILERPLATE.match(paragraph):
            continue
        words = WORD.findall(paragraph.lower())
        key = " ".join(words)
        if len(words) >= MIN_WORDS_TO_DEDUPLICATE:
            if key in seen:
                continue
            seen.add(key)
        yield origin, paragraph
