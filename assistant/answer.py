"""The typed results of a question: Passage, Citation, Answer."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk. `start`/`end` are offsets into its article's cleaned text."""

    rank: int
    chunk_id: str
    article_id: str
    title: str
    source: str
    published: str
    location: str
    text: str
    start: int
    end: int
    score: float  # fused (reciprocal-rank) score
    dense_score: float | None = None  # cosine similarity to the question, when the dense side found it
    keyword_score: float | None = None  # BM25 score, when the keyword side found it


@dataclass(frozen=True)
class Citation:
    """What an [n] marker points at: an exact quote inside a passage's article."""

    number: int
    article_id: str
    title: str
    source: str
    published: str
    location: str
    quote: str
    start: int  # cleaned_article_text[start:end] == quote
    end: int
    score: float
    chunk_id: str = ""


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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
