"""Answer backends behind one small interface, and the registry that builds one by name.

A backend turns a question and numbered passages into a draft: text deltas as they are produced, then a final
Draft. A Draft is a list of claims, each naming the passages (by rank) it rests on and, where the backend knows
it, the exact span of each passage it quotes; the engine turns claims into checked, renumbered citations.
"""

from __future__ import annotations

import importlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.answer import Passage
from assistant.errors import AssistantError
from assistant.prompts import REFUSAL_TEXT
from assistant.question import Question

if TYPE_CHECKING:
    from assistant.config import Settings
    from index.embeddings import Encoder


@dataclass(frozen=True)
class Source:
    """A passage a claim cites, by rank, and the span of the passage's text it rests on when that is known."""

    rank: int
    span: tuple[int, int] | None = None  # offsets into the passage's text


@dataclass(frozen=True)
class Claim:
    """One answer sentence (without markers) and what it cites."""

    text: str
    sources: tuple[Source, ...] = ()
    # The clause each cited rank closes ("A [1], but B [2]." → 1: "A", 2: "but B"), for generated text whose
    # sentence cites two passages for two halves: each half is checked against its own passage.
    clauses: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class Draft:
    claims: list[Claim]
    refused: bool
    tokens: dict[str, int] = field(default_factory=dict)  # prompt / completion token counts, when known
    answer_check: float | None = None  # the model's P(the evidence states the answer), where it was read


def refusal(answer_check: float | None = None) -> Iterator[str | Draft]:
    """What a backend yields when the passages do not answer: the refusal sentence, then a refused Draft."""
    yield REFUSAL_TEXT
    yield Draft(claims=[], refused=True, answer_check=answer_check)


class AnswerBackend(ABC):
    """One strategy for answering from passages."""

    name: str = "base"
    model: str | None = None
    checks_support: bool = True  # run the support check on its citations (generated text needs it)

    @classmethod
    @abstractmethod
    def from_settings(cls, settings: Settings, encoder: Encoder) -> AnswerBackend:
        """The backend as the settings describe it."""

    @abstractmethod
    def answer(self, question: Question, passages: list[Passage]) -> Iterator[str | Draft]:
        """Yield text deltas (markers [n] name passages by rank), then exactly one Draft."""

    def condense(self, question: str, history: list[tuple[str, str]]) -> str | None:
        """A standalone version of a follow-up question, or None to use the rule-based rewrite."""
        return None


# name → "module:Class"; imported on first use, so choosing extractive never imports llama.cpp.
_REGISTRY: dict[str, str | type[AnswerBackend]] = {
    "extractive": "assistant.backends.extractive:ExtractiveBackend",
    "local": "assistant.backends.local:LocalBackend",
    "openai": "assistant.backends.openai:OpenAIBackend",
}


def register_backend(name: str, backend: str | type[AnswerBackend]) -> None:
    """Make `name` a backend (a class, or "module:Class" imported on first use); tests register fakes here."""
    _REGISTRY[name] = backend


def backend_names() -> list[str]:
    return sorted(_REGISTRY)


def backend_class(name: str) -> type[AnswerBackend]:
    target = _REGISTRY.get(name)
    if target is None:
        raise AssistantError(f"unknown answer backend {name!r}; use {', '.join(['auto', *backend_names()])}")
    if isinstance(target, str):
        module, _, attribute = target.partition(":")
        target = getattr(importlib.import_module(module), attribute)
        assert isinstance(target, type) and issubclass(target, AnswerBackend)
        _REGISTRY[name] = target
    return target


MEASURED_FILE = Path(__file__).with_name("measured.json")


def measured_accuracy(path: Path = MEASURED_FILE) -> dict[str, float]:
    """Each backend's answer accuracy on the seeds gold set, as last measured (`assistant eval eval/sets/seeds.jsonl
    --backend NAME`; measured.json says when and with what)."""
    return {name: float(value) for name, value in json.loads(path.read_text(encoding="utf-8"))["accuracy"].items()}


def resolve_backend(settings: Settings, measured: dict[str, float] | None = None) -> str:
    """The backend name `settings.llm` stands for. `auto` is `local` only while the local model is installed and
    measures at least as accurate as `extractive` on the seeds gold set; otherwise `extractive`."""
    if settings.llm != "auto":
        return settings.llm
    from assistant.backends.model_files import DEFAULT_MODEL

    accuracy = measured if measured is not None else measured_accuracy()
    installed = bool(settings.local_model_path) or DEFAULT_MODEL.installed()
    return "local" if installed and accuracy.get("local", 0.0) >= accuracy.get("extractive", 0.0) else "extractive"


def create_backend(settings: Settings, encoder: Encoder) -> AnswerBackend:
    return backend_class(resolve_backend(settings)).from_settings(settings, encoder)
