"""Does a cited passage support a claim? Names and numbers first, then word overlap or closeness in meaning.

A generated sentence that swaps in a name or number the passage does not have is the typical small-model
error, and overlap measures barely notice it (one word of ten), so names and numbers are checked on their own.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from assistant.answer import Passage
from assistant.config import SupportSettings
from assistant.names import aliases, named_stems
from assistant.text import MONTH_NAMED, STOPWORDS, capitalised_words, content_stems, date_forms, months_named, sentences, stem
from index.embeddings import Encoder

# The thresholds are Settings.support (assistant/config.py), set from data by benchmarks/tune_generation.py.
SHORT_CLAIM_WORDS = 3  # a claim with fewer content words than this must find all of them ("The Chiefs won")
# A number with its scale or unit: "1.31%" does not support "1.31 million shares", though the digits match.
NUMBER = re.compile(
    r"(\d+(?:[.,]\d+)*)(?:\s?(%|percent\b|per cent\b|thousand\b|million\b|billion\b|trillion\b|bn\b|mn\b))?", re.I
)
UNITS = {"percent": "%", "per cent": "%", "bn": "billion", "mn": "million"}


def numbers(text: str, *, bare_too: bool = False) -> set[str]:
    """The numbers of `text`, each as written with its unit ("1.31%", "2 billion" as "2billion") or bare; with
    `bare_too`, each bare as well (what a passage supports: a claim may leave the unit out)."""
    found = set()
    for digits, unit in NUMBER.findall(text):
        unit = unit.lower()
        found.add(digits + UNITS.get(unit, unit))
        if bare_too:
            found.add(digits)
    return found


@dataclass(frozen=True)
class SupportScores:
    names: float  # share of the claim's names and numbers found in the passage (1.0 when it has none)
    lexical: float
    semantic: float


def names_and_numbers(text: str) -> set[str]:
    """Stems of capitalised words past a sentence's start, and numbers: what a claim must not invent."""
    return {stem(w) for w in capitalised_words(text) if w not in STOPWORDS} | numbers(text)


def shown_text(passage: Passage) -> str:
    """What a model is shown of a passage: its article's title, outlet, author and date (in the forms a model may
    write it), and its text. A claim may rest on any of it."""
    meta = passage.meta
    return " ".join([meta.title, meta.source, meta.author, meta.published, *date_forms(meta.published), passage.text])


def names_found(claim: str, passage: Passage, asked: AbstractSet[str] = frozenset()) -> float:
    """Share of the claim's names and numbers the passage holds. A place the question itself names (`asked`: the
    question's names_and_numbers) counts when the passage names it another way (asked about "Tokyo", the passage says
    Japan); any other place must be there as it is (a model's "held in Tokyo" is not supported by a passage on Japan)."""
    wanted = names_and_numbers(claim)
    if not wanted:
        return 1.0
    shown = shown_text(passage)
    have = named_stems(shown) | numbers(shown, bare_too=True)
    # a month is found by its number, as the passage may write it another way: "Aug. 23" supports "August 23"
    spelled = {stem(word.rstrip(".")): word for word in MONTH_NAMED.findall(claim)}
    month_stems = spelled.keys() & wanted
    months = months_named(" ".join(spelled[month] for month in month_stems))
    others = wanted - month_stems
    found = len(months & months_named(shown)) + sum(
        name in have or (name in asked and bool(aliases(name) & have)) for name in others
    )
    return found / (len(months) + len(others))


def lexical_support(claim: str, passage: Passage) -> float:
    """Share of the claim's content words that the passage (as shown) contains."""
    wanted = content_stems(claim)
    if not wanted:
        return 1.0
    return len(wanted & content_stems(shown_text(passage))) / len(wanted)


class SupportChecker:
    """Checks the claims of one answer: `question` is what was asked (its places may be named another way)."""

    def __init__(self, encoder: Encoder, limits: SupportSettings | None = None, question: str = "") -> None:
        self.encoder = encoder
        self.limits = limits or SupportSettings()
        self.asked = names_and_numbers(question)

    def scores(self, claim: str, passage: Passage) -> SupportScores:
        spans = sentences(passage.text) or [(0, len(passage.text))]
        vectors = self.encoder.encode([claim] + [passage.text[s:e] for s, e in spans])
        return SupportScores(
            names=names_found(claim, passage, self.asked),
            lexical=lexical_support(claim, passage),
            semantic=float((vectors[1:] @ vectors[0]).max()),
        )

    def __call__(self, claim: str, passage: Passage) -> bool:
        if names_found(claim, passage, self.asked) < self.limits.min_names:
            return False
        short = len(content_stems(claim)) < SHORT_CLAIM_WORDS
        if lexical_support(claim, passage) >= (1.0 if short else self.limits.min_lexical):
            return True
        return self.scores(claim, passage).semantic >= self.limits.min_semantic
