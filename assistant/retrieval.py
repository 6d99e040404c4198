"""Hybrid retrieval: dense (Chroma through llama-index) and BM25, fused by reciprocal rank, with filters."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np

from assistant.answer import Passage
from index.embeddings import Encoder
from index.keyword import KeywordFilter, KeywordIndex
from index.store import ChunkStore, StoredChunk

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

    def for_keywords(self) -> KeywordFilter:
        return KeywordFilter(since_day=self.since_day, until_day=self.until_day, sources=self.sources)


def _day(value: date | None) -> int | None:
    return value.year * 10000 + value.month * 100 + value.day if value else None


@dataclass(frozen=True)
class _Candidate:
    chunk: StoredChunk
    dense_score: float | None


class HybridRetriever:
    def __init__(
        self,
        store: ChunkStore,
        encoder: Encoder,
        keyword_index: Callable[[], KeywordIndex],
        candidates: int = 30,
        rrf_k: int = 60,
    ) -> None:
        self.store = store
        self.encoder = encoder
        self.keyword_index = keyword_index  # a callable, so a rebuilt index is picked up
        self.candidates = candidates
        self.rrf_k = rrf_k

    def retrieve(self, question: str, k: int, filters: Filters | None = None, mode: Mode = "hybrid") -> list[Passage]:
        filters = filters or Filters()
        n = max(self.candidates, k)
        vector = self.encoder.encode([question])[0]
        dense = self._dense(vector, n, filters) if mode != "keyword" else []
        keyword = self.keyword_index().search(question, n, filters.for_keywords()) if mode != "dense" else []
        fused: dict[str, float] = {}
        for ranking in ([c.chunk.id for c in dense], [h.chunk_id for h in keyword]):
            for rank, chunk_id in enumerate(ranking):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (self.rrf_k + rank + 1)
        top = sorted(fused, key=lambda cid: -fused[cid])[:k]
        found = {c.chunk.id: c for c in dense}
        # Chunks only the keyword side found still get their cosine, from their stored vectors.
        for chunk, stored_vector in self.store.get_chunks_with_vectors([cid for cid in top if cid not in found]):
            found[chunk.id] = _Candidate(chunk, float(vector @ stored_vector))
        keyword_scores = {h.chunk_id: h.score for h in keyword}
        ranked = [found[cid] for cid in top if cid in found]
        return [
            _passage(rank, c.chunk, fused[c.chunk.id], c.dense_score, keyword_scores.get(c.chunk.id))
            for rank, c in enumerate(ranked, start=1)
        ]

    def _dense(self, vector: np.ndarray, n: int, filters: Filters) -> list[_Candidate]:
        from llama_index.core.vector_stores.types import (
            FilterOperator,
            MetadataFilter,
            MetadataFilters,
            VectorStoreQuery,
        )

        conditions: list[MetadataFilter | MetadataFilters] = []
        if filters.since_day is not None:
            conditions.append(MetadataFilter(key="published_day", operator=FilterOperator.GTE, value=filters.since_day))
        if filters.until_day is not None:
            conditions.append(MetadataFilter(key="published_day", operator=FilterOperator.LTE, value=filters.until_day))
            conditions.append(MetadataFilter(key="published_day", operator=FilterOperator.GT, value=0))
        if filters.sources:
            conditions.append(MetadataFilter(key="source", operator=FilterOperator.IN, value=list(filters.sources)))
        query = VectorStoreQuery(
            query_embedding=[float(x) for x in vector],
            similarity_top_k=n,
            filters=MetadataFilters(filters=conditions) if conditions else None,
        )
        result = self.store.vectors.query(query)
        candidates = []
        for node, similarity in zip(result.nodes or [], result.similarities or [], strict=True):
            # llama-index reports exp(-distance); Chroma's cosine distance is 1 - cos.
            cosine = 1.0 + math.log(similarity) if similarity > 0 else -1.0
            chunk = StoredChunk.from_record(node.node_id, node.get_content(), dict(node.metadata))
            candidates.append(_Candidate(chunk, cosine))
        return candidates


def _passage(rank: int, chunk: StoredChunk, fused: float, dense: float | None, keyword: float | None) -> Passage:
    return Passage(
        rank=rank,
        chunk_id=chunk.id,
        article_id=chunk.article_id,
        title=chunk.title,
        source=chunk.source,
        published=chunk.published,
        location=chunk.location,
        text=chunk.text,
        start=chunk.start,
        end=chunk.end,
        score=fused,
        dense_score=dense,
        keyword_score=keyword,
    )
