"""The typed results of a question: Passage, Citation, Answer.

Each composes the article's metadata (index.types.ArticleMeta) instead of copying its fields; `to_dict()`
flattens it again, because the JSON that `ask --json` and the `/ask` endpoint print is what users read.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from assistant.time_window import TimeWindow
from index.types import ArticleMeta, StoredChunk


def _flat_meta(meta: ArticleMeta) -> dict[str, Any]:
    """The metadata keys of the JSON (the author is in the Python objects, not yet in the JSON): `date_inferred` says
    `published` was read from the text or guessed from the page, not given; `story` is the article's story group."""
    return {"article_id": meta.id, "title": meta.title, "source": meta.source, "published": meta.published,
            "date_inferred": meta.date_inferred, "location": meta.location, "story": meta.story_group}  # fmt: skip


def _also_in(metas: tuple[ArticleMeta, ...]) -> list[dict[str, Any]]:
    """The other articles of the story that carried the same passage: which outlet, when, where."""
    return [{"article_id": m.id, "source": m.source, "published": m.published, "date_inferred": m.date_inferred,
             "location": m.location} for m in metas]  # fmt: skip


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk and how it scored. `chunk.start`/`chunk.end` are offsets into its article's cleaned text."""

    rank: int
    chunk: StoredChunk
    score: float  # fused score
    dense_score: float | None = None  # cosine similarity to the question, when the dense side found it
    keyword_score: float | None = None  # BM25 score, when the keyword side found it
    also_in: tuple[ArticleMeta, ...] = ()  # other articles of its story with the same passage, collapsed into this one

    @property
    def meta(self) -> ArticleMeta:
        return self.chunk.meta

    @property
    def text(self) -> str:
        return self.chunk.text

    @property
    def page(self) -> int | None:
        """The page the passage starts on, for an article with pages (a PDF)."""
        return self.chunk.page_at(self.chunk.start)

    def to_dict(self) -> dict[str, Any]:
        c = self.chunk
        return {"rank": self.rank, "chunk_id": c.id, **_flat_meta(c.meta), "text": c.text, "start": c.start, "end": c.end,
                "page": self.page, "score": self.score, "dense_score": self.dense_score,
                "keyword_score": self.keyword_score, "also_in": _also_in(self.also_in)}  # fmt: skip


@dataclass(frozen=True)
class Citation:
    """What an [n] marker points at: an exact quote inside a passage's article."""

    number: int
    meta: ArticleMeta
    quote: str
    start: int  # cleaned_article_text[start:end] == quote
    end: int
    score: float
    chunk_id: str = ""
    page: int | None = None  # the page the quote starts on, for an article with pages (a PDF)
    also_in: tuple[ArticleMeta, ...] = ()  # the other outlets' articles of the same story that carried the passage

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, **_flat_meta(self.meta), "quote": self.quote, "start": self.start, "end": self.end,
                "page": self.page, "score": self.score, "chunk_id": self.chunk_id, "also_in": _also_in(self.also_in)}  # fmt: skip


@dataclass
class Answer:
    question: str
    text: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    backend: str = "extractive"
    model: str | None = None
    standalone_question: str | None = None  # the follow-up rewritten, when chat rewrote it
    flagged: list[str] = field(default_factory=list)  # sentences whose citation was dropped as unsupported
    timings: dict[str, float] = field(default_factory=dict)  # seconds: retrieval, first_token, total
    tokens: dict[str, int] = field(default_factory=dict)  # prompt and completion tokens, for generated answers
    answer_check: float | None = None  # the local model's P(the evidence states the answer), read before it wrote
    as_of: date | None = None  # the day the question was answered as of: nothing published later was read
    window: TimeWindow | None = None  # what the question's own time expressions asked for ("last week"), if any

    def to_dict(self) -> dict[str, Any]:
        flat = {f.name: getattr(self, f.name) for f in fields(self)}
        flat |= {"flagged": list(self.flagged), "timings": dict(self.timings), "tokens": dict(self.tokens)}
        flat["as_of"] = self.as_of.isoformat() if self.as_of else None
        flat["window"] = self.window.to_dict() if self.window else None
        flat["citations"] = [c.to_dict() for c in self.citations]
        flat["passages"] = [p.to_dict() for p in self.passages]
        return flat
