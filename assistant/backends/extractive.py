"""The `extractive` backend: answers with the retrieved sentences that best answer the question.

No generative model: every answer sentence is a sentence of a passage, so each citation is exact. It
refuses when the passages miss what the question is about: a distinctive term of the question (a name,
a number) appears in none of them, too little of the question is covered, or nothing is close in meaning.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from assistant.answer import Passage
from assistant.backends.base import AnswerBackend, Claim, Draft, Source, refusal
from assistant.config import ExtractiveSettings, Settings
from assistant.question import Question
from assistant.text import capitalised_words, content_stems, has_number, has_time_expression, sentences, stem
from index.embeddings import Encoder

QUESTION_WORDS = {"who", "what", "when", "where", "which", "why", "how", "whom", "whose"}
NAME_QUESTION = re.compile(r"^\s*(who|whom|whose)\b|\bwhich (person|politician|company|country|team|player)\b", re.I)
TIME_QUESTION = re.compile(r"^\s*when\b|\bwhat (date|day|month|year|time)\b|\bhow long\b", re.I)
NUMBER_QUESTION = re.compile(r"\bhow (many|much|old|far|long)\b|\bwhat (percentage|share|number|amount)\b", re.I)


@dataclass(frozen=True)
class PassageSentence:
    """A sentence of a passage, by its offsets into the passage's text."""

    passage: Passage
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.passage.text[self.start : self.end]

    def claim(self) -> Claim:
        return Claim(text=self.text, sources=(Source(self.passage.rank, (self.start, self.end)),))


class ExtractiveBackend(AnswerBackend):
    name = "extractive"
    model = None
    checks_support = False  # its sentences are the passages' own

    def __init__(self, encoder: Encoder, limits: ExtractiveSettings | None = None, max_sentences: int = 2) -> None:
        self.encoder = encoder
        self.limits = limits or ExtractiveSettings()
        self.max_sentences = max_sentences

    @classmethod
    def from_settings(cls, settings: Settings, encoder: Encoder) -> ExtractiveBackend:
        return cls(encoder, settings.extractive)

    def answer(self, question: Question, passages: list[Passage]) -> Iterator[str | Draft]:
        picked = self.pick_sentences(question, passages)
        if not picked:
            yield from refusal()
            return
        yield " ".join(f"{s.text} [{s.passage.rank}]" for s in picked)
        yield Draft(claims=[s.claim() for s in picked], refused=False)

    def pick_sentences(self, question: Question, passages: list[Passage]) -> list[PassageSentence]:
        if not passages or not self.answerable(question.text, passages):
            return []
        unique: dict[str, PassageSentence] = {}  # overlapping chunks repeat sentences: keep the best-ranked copy
        for passage in passages:
            for start, end in sentences(passage.text):
                sentence = PassageSentence(passage, start, end)
                if len(sentence.text.split()) >= 4:
                    unique.setdefault(sentence.text, sentence)
        if not unique:
            return []
        candidates, scores = self._score(question, list(unique.values()))
        order = np.argsort(-scores)
        best = float(scores[order[0]])
        picked = [candidates[order[0]]]
        for i in order[1 : self.max_sentences]:
            if scores[i] >= self.limits.second_sentence_ratio * best and candidates[i].text != picked[0].text:
                picked.append(candidates[i])
        return picked

    def answerable(self, question: str, passages: list[Passage]) -> bool:
        wanted = content_stems(question) - {stem(w) for w in QUESTION_WORDS}
        found = set().union(*(content_stems(p.text + " " + p.meta.title) for p in passages))
        if any(term not in found for term in distinctive_terms(question)):
            return False
        if wanted and len(wanted & found) / len(wanted) < self.limits.min_coverage:
            return False
        best_dense = max((p.dense_score for p in passages if p.dense_score is not None), default=None)
        return best_dense is None or best_dense >= self.limits.min_dense_score

    def _score(self, question: Question, candidates: list[PassageSentence]) -> tuple[list[PassageSentence], np.ndarray]:
        """Cheap lexical scores for all sentences; meaning (embeddings) only for the best few, to stay fast."""
        wanted = content_stems(question.text)
        lexical = np.array([len(wanted & content_stems(c.text)) / max(len(wanted), 1) for c in candidates])
        fit = np.array([_answer_type_fit(question.text, c.text) for c in candidates])
        rank_prior = np.array([1.0 / (c.passage.rank + 4) for c in candidates])
        cheap = 0.5 * lexical + 0.15 * fit + rank_prior
        pool = np.argsort(-cheap)[: self.limits.semantic_pool]
        shortlisted = [candidates[i] for i in pool]
        vectors = self.encoder.encode([c.text for c in shortlisted])
        return shortlisted, cheap[pool] + vectors @ question.vector


def distinctive_terms(question: str) -> set[str]:
    """Names and numbers in the question: if no passage has one of them, the passages are about something else."""
    names = {stem(w) for w in capitalised_words(question) if w not in QUESTION_WORDS}
    numbers = set(re.findall(r"\b\d{2,}\b", question))
    return names | numbers


def _answer_type_fit(question: str, sentence: str) -> float:
    """1 when the sentence has the kind of thing the question asks for (a name, a time, a number), else 0."""
    if NAME_QUESTION.search(question):
        return float(bool(capitalised_words(sentence) - {w.lower() for w in capitalised_words(question)}))
    if TIME_QUESTION.search(question):
        return float(has_time_expression(sentence))
    if NUMBER_QUESTION.search(question):
        return float(has_number(sentence))
    return 0.0
