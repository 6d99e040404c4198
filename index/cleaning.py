"""Article text as it is indexed and cited: no page furniture, each paragraph once, tidy whitespace.

The cleaned text is kept per article, because citations carry offsets into it.
"""

from __future__ import annotations

import re

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


def clean_text(text: str) -> str:
    """Paragraphs (one per non-empty line) without boilerplate or repeats, joined by blank lines."""
    kept: list[str] = []
    seen: set[str] = set()
    for line in text.splitlines():
        paragraph = PHOTO_CREDIT.sub("", " ".join(line.split()))
        if not paragraph or BOILERPLATE.match(paragraph):
            continue
        words = WORD.findall(paragraph.lower())
        key = " ".join(words)
        if len(words) >= MIN_WORDS_TO_DEDUPLICATE:
            if key in seen:
                continue
            seen.add(key)
        kept.append(paragraph)
    return "\n\n".join(kept)
