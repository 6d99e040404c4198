"""The `extractive` backend: answers with the evidence sentences themselves.

No generative model: every answer sentence is a sentence of a passage, so each citation is exact by construction.
Which sentences, and whether to answer at all, is the evidence selector's decision (assistant/evidence.py), shared
with the model backends.
"""

from __future__ import annotations

from collections.abc import Iterator

from assistant.answer import Passage
from assistant.backends.base import AnswerBackend, Draft, refusal
from assistant.config import Settings
from assistant.evidence import EvidenceSelector, make_selector, stated_answer
from assistant.question import Question
from index.embeddings import Encoder


class ExtractiveBackend(AnswerBackend):
    name = "extractive"
    model = None
    checks_support = False  # its sentences are the passages' own

    def __init__(self, selector: EvidenceSelector) -> None:
        self.selector = selector

    @classmethod
    def from_settings(cls, settings: Settings, encoder: Encoder) -> ExtractiveBackend:
        return cls(make_selector(settings, encoder))

    def answer(self, question: Question, passages: list[Passage]) -> Iterator[str | Draft]:
        evidence = self.selector.select(question, passages)
        if not evidence.answers:
            yield from refusal()
            return
        yield from stated_answer(evidence)
