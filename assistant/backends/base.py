"""Answer backends behind one small interface, and the factory that picks one from Settings.

A backend turns a question and numbered passages into a draft: text deltas as they are produced, then a
final Draft. Drafts cite passages as [n] by their rank; the engine validates and renumbers the markers.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field

from assistant.answer import Passage


@dataclass(frozen=True)
class Draft:
    text: str
    refused: bool
    tokens: dict[str, int] = field(default_factory=dict)  # prompt / completion token counts, when known


class AnswerBackend(ABC):
    """One strategy for answering from passages."""

    name: str = "base"
    model: str | None = None
    checks_support: bool = True  # run the support check on its citations (generated text needs it)

    @abstractmethod
    def answer(self, question: str, passages: list[Passage]) -> Iterator[str | Draft]:
        """Yield text deltas, then exactly one Draft with the whole text."""

    def condense(self, question: str, history: list[tuple[str, str]]) -> str | None:
        """A standalone version of a follow-up question, or None to use the rule-based rewrite."""
        return None
