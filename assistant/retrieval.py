"""Hybrid retrieval: dense (Chroma) and BM25, fused by reciprocal rank, with filters.

The dense side queries the Chroma collection that ingest fills through llama-index's ChromaVectorStore,
directly: the question path then never imports llama_index.core (over a second of a cold `ask`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from assistant.answer import Passage
from assistant.question import Question
from index.faults import checkpoint
from index.keyword import KeywordFilter, KeywordIndex
from index.store import ChunkStore
from index.types import StoredChunk

Mode = Literal["hybrid", "dense", "keyword"]


@dataclass(frozen=True)
class Filters:
    """Published-date range (inclusive) and outlets; an article with no date never passes a date filter."""

    since: date | None = None
    until: date | None = None
    sources: tuple[str, ...] = ()

    @property
    def since_day(self) -> int | None:
        return _day(self.since)

    @property
    def until_day(self) -> int | None:
        return _day(self.until)

    @property
    def active(self) -> bool:
        return self.since is not None or self.until is not None or bool(self.sources)

    def describe(self) -> str:
        """The filter in words, for a message: "published 2030-01-01 to 2030-12-31, outlet Stocktwits"."""
        parts: list[str] = []
        if self.since or self.until:
            parts.append(f"published {self.since or '…'} to {self.until or '…'}")
        if self.sources:
            parts.append(("outlet " if len(self.sources) == 1 else "outlets ") + ", ".join(self.sources))
        return "the filter " + "; ".join(parts) if parts else "no filter"

    def for_keywords(self) -> KeywordFilter:
        return KeywordFilter(since_day=self.since_day, until_day=self.until_day, sources=self.sources)

    def for_chroma(self) -> dict[str, Any] | None:
        """The same filters as a Chroma `where` on the chunk metadata (published_day is 0 when unknown)."""
        conditions: list[dict[str, Any]] = []
        if self.since_day is not None:
            conditions.append({"published_day": {"$gte": self.since_day}})
        if self.until_day is not None:
            conditions += [{"published_day": {"$lte": self.until_day}}, {"published_day": {"$gt": 0}}]
        if self.sources:
            conditions.append({"source": {"$in": list(self.sources)}})
        if not conditions:
            return None
        return conditions[0] if len(conditions) == 1 else {"$and": conditions}


def _day(value: date | None) -> int | None:
    return value.year * 10000 + value.month * 100 + value.day if value else None


class HybridRetriever:
    def __init__(self, store: ChunkStore, keyword_index: Callable[[], KeywordIndex], *, candidates: int, rrf_k: int) -> None:
        self.store = store
        self.keyword_index = keyword_index  # a callable, so a rebuilt index is picked up
        self.candidates = candidates
        self.rrf_k = rrf_k

    def retrieve(
        self,
        question: Question,
        k: int,
        filters: Filters | None = None,
        mode: Mode = "hybrid",
        exclude: Callable[[StoredChunk], bool] | None = None,
    ) -> list[Passage]:
        """The k best passages; `exclude` leaves chunks out and fills their places from the other candidates (the
        eval's counterfactual questions: the same question with every answer-bearing chunk taken away)."""
        filters = filters or Filters()
        n = max(self.candidates, k)
        vector = question.vector
        dense = self.store.nearest(vector, n, filters.for_chroma()) if mode != "keyword" else []
        checkpoint("dense-searched")
        keyword = self.keyword_index().search(question.text, n, filters.for_keywords()) if mode != "dense" else []
        fused: dict[str, float] = {}
        for ranking in ([chunk_id for chunk_id, _ in dense], [h.chunk_id for h in keyword]):
            for rank, chunk_id in enumerate(ranking):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (self.rrf_k + rank + 1)
        ranked = sorted(fused, key=lambda cid: -fused[cid])
        # Only the k winners are read in full (all candidates when some may be excluded); chunks only the keyword side
        # found get their cosine from their vector.
        read = self.store.get_chunks_with_vectors(ranked if exclude else ranked[:k])
        kept = [(chunk, stored) for chunk, stored in read if not (exclude and exclude(chunk))][:k]
        dense_scores = dict(dense)
        keyword_scores = {h.chunk_id: h.score for h in keyword}
        return [
            Passage(
                rank=rank,
                chunk=chunk,
                score=fused[chunk.id],
                dense_score=dense_scores.get(chunk.id, float(vector @ stored_vector)),
                keyword_score=keyword_scores.get(chunk.id),
            )
            for rank, (chunk, stored_vector) in enumerate(kept, start=1)
        ]
