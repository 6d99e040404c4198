"""Fakes for unit tests, built from the real types: passages, and a scripted answer backend that is registered
by name like the real ones, so the CLI and the engine run end to end in-process without a language model."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

from assistant.answer import Passage
from assistant.backends import AnswerBackend, Draft, register_backend
from assistant.backends.base import refusal
from assistant.citations import parse_claims
from assistant.config import Settings
from assistant.question import Question
from index.embeddings import Encoder
from index.types import ArticleMeta, StoredChunk

SCRIPT_ENV = "ASSISTANT_TEST_SCRIPT"  # a JSON object: question → reply with [n] markers ("" refuses)


def make_passage(
    rank: int,
    text: str,
    *,
    article_id: str | None = None,
    title: str | None = None,
    source: str = "Wire",
    author: str = "",
    published: str = "2025-07-02",
    location: str | None = None,
    start: int = 100,
    score: float = 0.5,
) -> Passage:
    meta = ArticleMeta(
        id=article_id or f"a{rank}",
        title=f"Title {rank}" if title is None else title,
        source=source,
        author=author,
        published=published,
        location=location or f"/x/{rank}.txt",
    )
    chunk = StoredChunk(id=f"c{rank}", meta=meta, index=0, text=text, start=start, end=start + len(text))
    return Passage(rank=rank, chunk=chunk, score=score)


class ScriptedBackend(AnswerBackend):
    """Replies with what its script says for the question (or `default`), streamed word by word, cited as the reply
    cites; an empty reply refuses. `checks_support` puts its claims through the support check, as generated text is."""

    name = "scripted"
    model = "script"

    def __init__(self, script: dict[str, str], default: str = "", *, checks_support: bool = False) -> None:
        self.script = script
        self.default = default
        self.checks_support = checks_support

    @classmethod
    def from_settings(cls, settings: Settings, encoder: Encoder) -> ScriptedBackend:
        return cls(json.loads(os.environ.get(SCRIPT_ENV, "{}")))

    def answer(self, question: Question, passages: list[Passage]) -> Iterator[str | Draft]:
        reply = self.script.get(question.text, self.default)
        if not reply:
            yield from refusal()
            return
        for word in reply.split(" "):
            yield word + " "
        yield Draft(claims=parse_claims(reply), refused=False)


register_backend("scripted", ScriptedBackend)
