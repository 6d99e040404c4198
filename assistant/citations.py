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
CLOSING = re.compile(r"[.!?…]+[\"”’)]*$")
MIN_CLAUSE_WORDS = 3  # shorter pieces ("and", "but also") say too little to check on their own
SupportCheck = Callable[[str, Passage], bool]  # (claim without markers, cited passage) → supported?


@dataclass
class Claim:
    """An answer sentence and the passage numbers its markers name."""

    text: str  # without markers
    numbers: list[int] = field(default_factory=list)
    # The clause each marker closes ("A [1], but B [2]." → 1: "A", 2: "but B"): a sentence that cites two
    # passages for two halves is checked half by half.
    clauses: dict[int, str] = field(default_factory=dict)


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
        numbers: list[int] = []
        clauses: dict[int, str] = {}
        clause_start = 0
        for m in MARKER.finditer(piece):
            clause = MARKER.sub("", piece[clause_start : m.start()]).strip(" ,;:")
            for n in re.split(r"\s*,\s*", m.group(1)):
                numbers.append(int(n))
                clauses.setdefault(int(n), clause)
            clause_start = m.end()
        bare = MARKER.sub("", piece).strip()
        if not bare and claims:  # a lone marker after a sentence belongs to it
            claims[-1].numbers.extend(numbers)
            continue
        claims.append(Claim(text=bare, numbers=numbers, clauses=clauses))
    return claims


def lexical_support(claim: str, passage: Passage) -> float:
    """Share of the claim's content words that the passage contains."""
    wanted = content_stems(claim)
    if not wanted:
        return 1.0
    return len(wanted & content_stems(passage.text)) / len(wanted)


def check_citations(
    text: str, passages: list[Passage], supports: SupportCheck | None = None, *, repair: bool = False
) -> CheckedText:
    """Drop out-of-range and unsupported markers, renumber by first appearance, quote what each cites.

    With `repair`, a claim left without a supported citation is cited to the first passage (by rank) that
    supports it: small models often put the wrong number on a true sentence. It is still listed in `flagged`.
    """
    by_number = {p.rank: p for p in passages}
    claims = parse_claims(text)
    flagged: list[str] = []
    for claim in claims:
        if not claim.text:  # a marker with no words before it cites nothing
            claim.numbers = []
            continue
        kept = []
        for number in dict.fromkeys(claim.numbers):  # unique, in order
            passage = by_number.get(number)
            if passage is None:
                continue
            clause = claim.clauses.get(number, "")
            if supports is not None and not supports(claim.text, passage) and not _clause_supported(clause, passage, supports):
                flagged.append(claim.text)
                continue
            kept.append(number)
        if repair and supports is not None and claim.numbers and not kept:
            kept = [p.rank for p in passages if supports(claim.text, p)][:1]
        claim.numbers = kept
    order = list(dict.fromkeys(n for claim in claims for n in claim.numbers))
    renumber = {old: new for new, old in enumerate(order, start=1)}
    rendered = " ".join(_with_markers(claim.text, [renumber[n] for n in claim.numbers]) for claim in claims if claim.text)
    citations = [quote_passage(renumber[old], by_number[old], [c.text for c in claims if old in c.numbers]) for old in order]
    return CheckedText(text=rendered, citations=citations, flagged=flagged, supported_claims=sum(1 for c in claims if c.numbers))


def _clause_supported(clause: str, passage: Passage, supports: SupportCheck) -> bool:
    return len(clause.split()) >= MIN_CLAUSE_WORDS and supports(clause, passage)


def _with_markers(sentence: str, numbers: list[int]) -> str:
    """The sentence with its markers before its closing punctuation: "… in June [1]." """
    if not numbers:
        return sentence
    markers = "".join(f" [{n}]" for n in numbers)
    found = CLOSING.search(sentence)
    cut = found.start() if found else len(sentence)
    return sentence[:cut].rstrip() + markers + sentence[cut:]


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


class MarkerStream:
    """Renumbers [n] markers in streamed text as it arrives: out-of-range ones vanish, the rest become 1..m
    in order of first appearance (what check_citations will do, unless the support check drops one)."""

    def __init__(self, passage_count: int) -> None:
        self.passage_count = passage_count
        self.numbers: dict[int, int] = {}
        self.pending = ""

    def feed(self, delta: str) -> str:
        text = self.pending + delta
        cut = text.rfind("[")
        if cut != -1 and "]" not in text[cut:] and len(text) - cut <= 12:
            text, self.pending = text[:cut], text[cut:]  # a marker may still be arriving
        else:
            self.pending = ""
        return MARKER.sub(self._replace, text)

    def flush(self) -> str:
        rest, self.pending = self.pending, ""
        return MARKER.sub(self._replace, rest)

    def _replace(self, match: re.Match[str]) -> str:
        kept = []
        for part in re.split(r"\s*,\s*", match.group(1)):
            number = int(part)
            if 1 <= number <= self.passage_count:
                kept.append(self.numbers.setdefault(number, len(self.numbers) + 1))
        if not kept:
            return ""
        leading = match.group(0)[: len(match.group(0)) - len(match.group(0).lstrip())]
        return leading + "[" + ", ".join(str(n) for n in dict.fromkeys(kept)) + "]"
