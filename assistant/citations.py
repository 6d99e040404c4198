"""Claims ↔ passages: parse [n] markers, validate, check support, renumber 1..m, and quote the exact supporting text."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from assistant.answer import Citation, Passage
from assistant.backends.base import Claim, Source
from assistant.text import content_stems, sentences
from index.chunking import ends_with_abbreviation

MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
# "claim. [1] Next" → "claim [1]. Next": a marker after the full stop still belongs to the sentence before it.
MARKERS_AFTER_STOP = re.compile(r"([.!?][\"”’]?)((?:\s*\[\d+(?:\s*,\s*\d+)*\])+)")
CLOSING = re.compile(r"[.!?…]+$")  # bare: a quote's or bracket's end stays inside it, and the marker goes after
# A sentence's end, whatever closes it (a straight quote or a bracket too, after which a marker goes last): a line
# without one (a subhead) gets a full stop when it is quoted, so that the next sentence does not run on from it.
ENDED = re.compile(r"[.!?…][\"'”’)\]]*$")
MIN_CLAUSE_WORDS = 3  # shorter pieces ("and", "but also") say too little to check on their own
SupportCheck = Callable[[str, Passage], bool]  # (claim without markers, cited passage) → supported?


@dataclass(frozen=True)
class CheckedText:
    text: str
    citations: list[Citation]
    flagged: list[str]  # claims that lost a citation because their passage does not support them
    supported_claims: int


def parse_claims(text: str) -> list[Claim]:
    """Sentences of generated text with the passages (by rank) its markers name, inside or right after them."""
    claims: list[Claim] = []
    text = MARKERS_AFTER_STOP.sub(r"\2\1", text)
    for start, end in sentences(text):
        piece = text[start:end]
        ranks: list[int] = []
        clauses: dict[int, str] = {}
        clause_start = 0
        for m in MARKER.finditer(piece):
            clause = MARKER.sub("", piece[clause_start : m.start()]).strip(" ,;:")
            for n in re.split(r"\s*,\s*", m.group(1)):
                ranks.append(int(n))
                clauses.setdefault(int(n), clause)
            clause_start = m.end()
        bare = MARKER.sub("", piece).strip()
        if not bare and claims:  # a lone marker after a sentence belongs to it
            last = claims[-1]
            claims[-1] = replace(last, sources=last.sources + tuple(Source(n) for n in ranks))
            continue
        claims.append(Claim(text=bare, sources=tuple(Source(n) for n in ranks), clauses=tuple(clauses.items())))
    return claims


def as_checked(text: str) -> str:
    """Text with its markers where a checked answer puts them ("… June. [1]" → "… June [1]."), every claim kept:
    how a streamed answer reads once checked, if the check takes nothing away."""
    return rendered([c for c in parse_claims(text) if c.text])


def rendered(claims: Iterable[Claim], numbers: Mapping[int, int] | None = None) -> str:
    """The claims as answer text, each with its markers (`with_markers`): a source's number from `numbers`, by its
    rank, or the rank itself."""
    return " ".join(with_markers(c.text, [numbers[s.rank] if numbers is not None else s.rank for s in c.sources]) for c in claims)


def renumbered(ranks: Iterable[int]) -> dict[int, int]:
    """Passage rank → citation number 1..m, by first appearance: how every answer, streamed or final, numbers."""
    return {rank: number for number, rank in enumerate(dict.fromkeys(ranks), start=1)}


def check_citations(claims: list[Claim], passages: list[Passage], supports: SupportCheck | None = None) -> CheckedText:
    """Drop out-of-range and unsupported sources (a claim that loses one is listed in `flagged`), renumber by first
    appearance, quote what each cites."""
    by_rank = {p.rank: p for p in passages}
    flagged: list[str] = []
    kept_claims: list[Claim] = []
    for claim in claims:
        if not claim.text:  # a marker with no words before it cites nothing
            continue
        clauses = dict(claim.clauses)
        kept: list[Source] = []
        checked: set[int] = set()  # each rank once: the first of its markers in the claim
        for source in claim.sources:
            passage = by_rank.get(source.rank)
            if passage is None or source.rank in checked:
                continue
            checked.add(source.rank)
            clause = clauses.get(source.rank, "")
            if supports is not None and not supports(claim.text, passage) and not _clause_supported(clause, passage, supports):
                flagged.append(claim.text)
                continue
            kept.append(source)
        kept_claims.append(replace(claim, sources=tuple(kept)))
    numbers = renumbered(s.rank for claim in kept_claims for s in claim.sources)
    text = rendered(kept_claims, numbers)
    citations = [
        quote_passage(number, by_rank[rank], [(c.text, s.span) for c in kept_claims for s in c.sources if s.rank == rank])
        for rank, number in numbers.items()
    ]
    return CheckedText(text=text, citations=citations, flagged=flagged, supported_claims=sum(1 for c in kept_claims if c.sources))


def _clause_supported(clause: str, passage: Passage, supports: SupportCheck) -> bool:
    return len(clause.split()) >= MIN_CLAUSE_WORDS and supports(clause, passage)


def with_markers(sentence: str, numbers: list[int]) -> str:
    """The sentence with its markers before its closing punctuation: "… in June [1]."; after it when the full stop
    is an abbreviation's, which it must keep: "… with the U.S. [1]", not "… with the U.S [1]."; after a closing quote,
    which the markers are not part of: "… called it “fake news.” [1]"; and a full stop after them when it has none:
    "… pardon his son if he is convicted [1]." """
    if not numbers:
        return sentence
    markers = "".join(f" [{n}]" for n in numbers)
    if ends_with_abbreviation(sentence):
        return sentence.rstrip() + markers
    found = CLOSING.search(sentence)
    if found is None:  # "… “fake news.”" keeps its end
        if ENDED.search(sentence):
            return sentence.rstrip() + markers
        # a line with no full stop (a subhead, or a sentence cut at a comma: "… 1.31%, respectively,") gets one
        return sentence.rstrip().rstrip(",;:").rstrip() + markers + "."
    return sentence[: found.start()].rstrip() + markers + sentence[found.start() :]


def quote_passage(number: int, passage: Passage, claims: list[tuple[str, tuple[int, int] | None]]) -> Citation:
    """The span of the passage that the claims citing it rest on: the span a claim carries (the extractive backend
    knows it), else the passage's sentence sharing most words with the claim (generated text)."""
    spans = sentences(passage.text) or [(0, len(passage.text))]
    chosen: list[tuple[int, int]] = []
    for claim, span in claims:
        if span is None:
            wanted = content_stems(claim)
            span = max(spans, key=lambda sentence: len(wanted & content_stems(passage.text[sentence[0] : sentence[1]])))
        chosen.append(span)
    start = min(s for s, _ in chosen) if chosen else spans[0][0]
    end = max(e for _, e in chosen) if chosen else spans[0][1]
    chunk = passage.chunk
    return Citation(
        number=number,
        meta=chunk.meta,
        quote=chunk.text[start:end],
        start=chunk.start + start,
        end=chunk.start + end,
        score=passage.score,
        chunk_id=chunk.id,
        page=chunk.page_at(chunk.start + start),
        also_in=passage.also_in,
    )


class MarkerStream:
    """Renumbers [n] markers in streamed text as it arrives: out-of-range ones vanish, the rest are numbered as
    check_citations numbers them (`renumbered`), unless the support check drops one."""

    def __init__(self, passage_count: int) -> None:
        self.passage_count = passage_count
        self.seen: list[int] = []  # valid ranks in order of appearance
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
                self.seen.append(number)
                kept.append(renumbered(self.seen)[number])
        if not kept:
            return ""
        leading = match.group(0)[: len(match.group(0)) - len(match.group(0).lstrip())]
        return leading + "[" + ", ".join(str(n) for n in dict.fromkeys(kept)) + "]"
