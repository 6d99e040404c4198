"""[n] markers ↔ passages: validate, check support, renumber 1..m, and quote the exact supporting text."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.answer import Citation, Passage
from assistant.text import content_stems, sentences

MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
# "claim. [1] Next" → "claim [1]. Next": a marker after the full stop still belongs to the sentence before it.
MARKERS_AFTER_STOP = re.compile(r"([.!?][\"”’]?)((?:\s*\[\d+(?:\s*,\s*\d+)*\])+)")
SupportCheck = Callable[[str, Passage], bool]  # (claim without markers, cited passage) → supported?


@dataclass
class Claim:
    """An answer sentence and the passage numbers its markers name."""

    text: str  # without markers
    numbers: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class CheckedText:
    text: str
    citations: list[Citation]
    flagged: list[str]  # claims that lost a citation because their passage does not support them
    supported_claims: int


def parse_claims(text: str) -> list[Claim]:
    """Sentences of an answer with the numbers of the markers inside or right after them."""
    claims: list[Claim] = []
    text = MARKERS_AFTER_STOP.sub(r"\2\1", text)
    for start, end in sentences(text):
        piece = text[start:end]
        numbers = [int(n) for m in MARKER.finditer(piece) for n in re.split(r"\s*,\s*", m.group(1))]
        bare = MARKER.sub("", piece).strip()
        if not bare and claims:  # a lone marker after a sentence belongs to it
            claims[-1].numbers.extend(numbers)
            continue
        claims.append(Claim(text=bare, numbers=numbers))
    return claims


def lexical_support(claim: str, passage: Passage) -> float:
    """Share of the claim's content words that the passage contains."""
    wanted = content_stems(claim)
    if not wanted:
        return 1.0
    return len(wanted & content_stems(passage.text)) / len(wanted)


def check_citations(text: str, passages: list[Passage], supports: SupportCheck | None = None) -> CheckedText:
    """Drop out-of-range and unsupported markers, renumber by first appearance, quote what each cites."""
    by_number = {p.rank: p for p in passages}
    claims = parse_claims(text)
    flagged: list[str] = []
    for claim in claims:
        kept = []
        for number in dict.fromkeys(claim.numbers):  # unique, in order
            passage = by_number.get(number)
            if passage is None:
                continue
            if supports is not None and not supports(claim.text, passage):
                flagged.append(claim.text)
                continue
            kept.append(number)
        claim.numbers = kept
    order = list(dict.fromkeys(n for claim in claims for n in claim.numbers))
    renumber = {old: new for new, old in enumerate(order, start=1)}
    rendered = " ".join(
        claim.text + "".join(f" [{renumber[n]}]" for n in claim.numbers) for claim in claims if claim.text
    )
    citations = [
        quote_passage(renumber[old], by_number[old], [c.text for c in claims if old in c.numbers]) for old in order
    ]
    return CheckedText(
        text=rendered, citations=citations, flagged=flagged, supported_claims=sum(1 for c in claims if c.numbers)
    )


def quote_passage(number: int, passage: Passage, claims: list[str]) -> Citation:
    """The span of the passage's sentences that best support the claims citing it."""
    spans = sentences(passage.text) or [(0, len(passage.text))]
    chosen: list[tuple[int, int]] = []
    for claim in claims:
        wanted = content_stems(claim)
        best = max(spans, key=lambda span: len(wanted & content_stems(passage.text[span[0] : span[1]])))
        chosen.append(best)
    start = min(s for s, _ in chosen) if chosen else spans[0][0]
    end = max(e for _, e in chosen) if chosen else spans[0][1]
    return Citation(
        number=number,
        article_id=passage.article_id,
        title=passage.title,
        source=passage.source,
        published=passage.published,
        location=passage.location,
        quote=passage.text[start:end],
        start=passage.start + start,
        end=passage.start + end,
        score=passage.score,
        chunk_id=passage.chunk_id,
    )
