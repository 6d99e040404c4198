"""Hybrid retrieval: dense (Chroma) and BM25, fused by reciprocal rank, with filters, a recency boost for questions
that ask for the latest, and one passage per story (near-duplicate articles grouped at ingest) for the same text.

The dense side queries the Chroma collection that ingest fills directly: the question path never imports
llama_index.core (over a second of a cold `ask`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

import numpy as np

from assistant.answer import Passage
from assistant.question import Question
from assistant.time_window import TimeWindow
from index.faults import checkpoint
from index.keyword import KeywordFilter, KeywordIndex
from index.store import ChunkStore
from index.stories import same_passage
from index.types import ArticleMeta, StoredChunk

Mode = Literal["hybrid", "dense", "keyword"]
NEWEST_PAGE = 128  # chunks read at a time for the newest stories (HybridRetriever.newest)
OVERFETCH = 4  # a filtered dense search first reads this many times the candidates unfiltered (see _dense)


@dataclass(frozen=True)
class Filters:
    """Published-date range (inclusive), outlets and the as-of day. An article with no date never passes a date range,
    but always passes the as-of day: nothing says it was published later."""

    since: date | None = None
    until: date | None = None
    sources: tuple[str, ...] = ()
    as_of: date | None = None  # nothing published after this day

    @property
    def since_day(self) -> int | None:
        return _day(self.since)

    @property
    def until_day(self) -> int | None:
        return _day(self.until)

    @property
    def as_of_day(self) -> int | None:
        return _day(self.as_of)

    @property
    def active(self) -> bool:
        """A date range or outlets chosen (the as-of day is always there, so it does not count)."""
        return self.since is not None or self.until is not None or bool(self.sources)

    def within(self, window: TimeWindow | None) -> Filters:
        """These filters narrowed to a question's date window (no change for a window without a range)."""
        if window is None or not window.hard:
            return self
        since = max(d for d in (self.since, window.since) if d is not None)
        until = min(d for d in (self.until, window.until) if d is not None)
        return replace(self, since=since, until=until)

    def describe(self) -> str:
        """The filter in words, for a message: "published 2030-01-01 to 2030-12-31, outlet Stocktwits"."""
        parts: list[str] = []
        if self.since or self.until:
            parts.append(f"published {self.since or '…'} to {self.until or '…'}")
        if self.sources:
            parts.append(("outlet " if len(self.sources) == 1 else "outlets ") + ", ".join(self.sources))
        if self.as_of:
            parts.append(f"as of {self.as_of} (undated articles included)")
        return "the filter " + "; ".join(parts) if parts else "no filter"

    def for_keywords(self) -> KeywordFilter:
        return KeywordFilter(since_day=self.since_day, until_day=self.until_day, sources=self.sources, as_of_day=self.as_of_day)

    def for_chroma(self, newest_day: int | None = None) -> dict[str, Any] | None:
        """The same filters as a Chroma `where` on the chunk metadata (published_day is 0 when unknown). The as-of
        condition is left out when no chunk is newer (`newest_day`, when known): any `where` makes a Chroma query
        about 80 times slower (295 ms against 3.5 ms on 46,000 chunks), and this one would keep every chunk."""
        conditions: list[dict[str, Any]] = []
        if self.since_day is not None:
            conditions.append({"published_day": {"$gte": self.since_day}})
        if self.until_day is not None:
            conditions += [{"published_day": {"$lte": self.until_day}}, {"published_day": {"$gt": 0}}]
        if self.sources:
            conditions.append({"source": {"$in": list(self.sources)}})
        if self._as_of_leaves_out(newest_day):
            conditions.append({"published_day": {"$lte": self.as_of_day}})  # undated chunks (day 0) pass
        if not conditions:
            return None
        return conditions[0] if len(conditions) == 1 else {"$and": conditions}

    def _as_of_leaves_out(self, newest_day: int | None) -> bool:
        """Could the as-of condition leave a chunk out? Not when the date range ends before it, nor when no chunk is
        newer (`newest_day`, when known)."""
        as_of_day = self.as_of_day
        if as_of_day is None or (self.until_day is not None and self.until_day <= as_of_day):
            return False
        return newest_day is None or newest_day > as_of_day

    def admits(self, meta: ArticleMeta) -> bool:
        """Does an article pass? The same test as the `where`s, for chunks read after the search."""
        day = meta.published_day
        if self.as_of_day is not None and day > self.as_of_day:
            return False
        if (self.since_day is not None or self.until_day is not None) and day == 0:
            return False
        if self.since_day is not None and day < self.since_day:
            return False
        if self.until_day is not None and day > self.until_day:
            return False
        return not self.sources or meta.source in self.sources


def _day(value: date | None) -> int | None:
    return value.year * 10000 + value.month * 100 + value.day if value else None


def calendar_day(published_day: int) -> date | None:
    """The date of a day as the index holds it (20250709), None when undated (0) or no calendar day."""
    if not published_day:
        return None
    year, rest = divmod(published_day, 10000)
    try:
        return date(year, rest // 100, rest % 100)
    except ValueError:
        return None


@dataclass(frozen=True)
class Recency:
    """A boost for newer articles, fused with the retrieval scores: a new article gains `weight` times a first place
    in one more ranking (1 / (rrf_k + 1)), halving every `half_life_days` of age before the as-of day. Undated
    articles gain nothing; articles after the as-of day are filtered out before this counts."""

    as_of: date
    weight: float
    half_life_days: float

    def boost(self, published_day: int, rrf_k: int) -> float:
        day = calendar_day(published_day)
        if day is None or not self.weight:
            return 0.0
        age = max((self.as_of - day).days, 0)
        return self.weight * 0.5 ** (age / self.half_life_days) / (rrf_k + 1)

    def adjust(self, fused: dict[str, float], day_of: Callable[[str], int], rrf_k: int) -> None:
        for chunk_id in fused:
            fused[chunk_id] += self.boost(day_of(chunk_id), rrf_k)


@dataclass(frozen=True)
class Staleness:
    """A gentler preference, for questions that do not ask for the latest: a candidate loses `weight` times a first
    place in one more ranking, times 1 − 0.5^(gap / half_life_days), the gap being how much older it is than the newest
    dated candidate (December 2023's report of the next debate ranks behind June 2024's). Measured against the newest
    candidate, not the as-of day, so articles all from one week rank as they would without it however long ago that
    week was, and an undated article (no gap known) loses nothing."""

    weight: float
    half_life_days: float

    def adjust(self, fused: dict[str, float], day_of: Callable[[str], int], rrf_k: int) -> None:
        if not self.weight:
            return
        days = {chunk_id: calendar_day(day_of(chunk_id)) for chunk_id in fused}
        newest = max((day for day in days.values() if day is not None), default=None)
        if newest is None:
            return
        for chunk_id, day in days.items():
            if day is not None:
                fused[chunk_id] -= self.weight * (1 - 0.5 ** ((newest - day).days / self.half_life_days)) / (rrf_k + 1)


DatePreference = Recency | Staleness  # how a question's candidates are reordered by the day they were published


@dataclass
class _Kept:
    """A passage kept, and the other articles of its story that carried the same text (collapsed into it)."""

    chunk: StoredChunk
    vector: np.ndarray
    also_in: list[ArticleMeta] = field(default_factory=list)

    def absorbs(self, other: StoredChunk) -> bool:
        """Is `other` the same passage of the same story, in another article?"""
        mine = self.chunk.meta
        return (
            other.meta.id != mine.id
            and other.meta.story_group == mine.story_group
            and all(other.meta.id != m.id for m in self.also_in)
            and same_passage(self.chunk.text, other.text)
        )


class HybridRetriever:
    def __init__(
        self,
        store: ChunkStore,
        keyword_index: Callable[[], KeywordIndex],
        *,
        candidates: int,
        rrf_k: int,
        collapse_stories: bool = False,
    ) -> None:
        self.store = store
        self.keyword_index = keyword_index  # a callable, so a rebuilt index is picked up
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.collapse_stories = collapse_stories

    def retrieve(
        self,
        question: Question,
        k: int,
        filters: Filters | None = None,
        mode: Mode = "hybrid",
        exclude: Callable[[StoredChunk], bool] | None = None,
        recency: DatePreference | None = None,
    ) -> list[Passage]:
        """The k best passages; `exclude` leaves chunks out and fills their places from the other candidates (the
        eval's counterfactual questions: the same question with every answer-bearing chunk taken away); `recency`
        ranks newer articles higher."""
        filters = filters or Filters()
        n = max(self.candidates, k)
        vector = question.vector
        keyword_index = self.keyword_index()
        dense = self._dense(vector, n, filters, keyword_index) if mode != "keyword" else []
        checkpoint("dense-searched")
        keyword = keyword_index.search(question.text, n, filters.for_keywords()) if mode != "dense" else []
        fused: dict[str, float] = {}
        for ranking in ([chunk_id for chunk_id, _ in dense], [h.chunk_id for h in keyword]):
            for rank, chunk_id in enumerate(ranking):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (self.rrf_k + rank + 1)
        if recency is not None:  # the day each candidate was published, as the keyword index holds it
            recency.adjust(fused, keyword_index.day_of, self.rrf_k)
        ranked = sorted(fused, key=lambda cid: -fused[cid])
        kept = self._read(ranked, k, filters, exclude)
        dense_scores = dict(dense)
        keyword_scores = {h.chunk_id: h.score for h in keyword}
        return [
            Passage(
                rank=rank,
                chunk=item.chunk,
                score=fused[item.chunk.id],
                dense_score=dense_scores.get(item.chunk.id, float(vector @ item.vector)),
                keyword_score=keyword_scores.get(item.chunk.id),
                also_in=tuple(item.also_in),
            )
            for rank, item in enumerate(kept, start=1)
        ]

    def newest(
        self, k: int, filters: Filters | None = None, exclude: Callable[[StoredChunk], bool] | None = None
    ) -> list[Passage]:
        """The first passage of each of the k newest stories that pass (undated articles after every dated one; within
        a day, the last ingested first): what a question with no topic ("what's in the news this week?") is answered
        from. Chunks are read in that order, a page at a time, until k stories are found and the first chunk of each
        has been read (or the day is over: it was left out)."""
        filters = filters or Filters()
        keyword_index = self.keyword_index()
        ordered = keyword_index.newest_first(filters.for_keywords())
        first: dict[str, StoredChunk] = {}  # article id → its first chunk read
        stories: dict[str, str] = {}  # story → its newest article, in the order found

        def chosen() -> list[StoredChunk]:  # the first chunk read of each of the k newest stories found so far
            return [first[article] for article in list(stories.values())[:k]]

        for start in range(0, len(ordered), NEWEST_PAGE):
            page = ordered[start : start + NEWEST_PAGE]
            found = chosen()
            if len(found) == k and (
                all(chunk.index == 0 for chunk in found) or keyword_index.day_of(page[0]) < found[-1].meta.published_day
            ):
                break
            for chunk in self.store.get_chunks(page):
                if filters.admits(chunk.meta) and not (exclude and exclude(chunk)):
                    known = first.get(chunk.meta.id)
                    if known is None or chunk.index < known.index:
                        first[chunk.meta.id] = chunk
                    stories.setdefault(chunk.meta.story_group, chunk.meta.id)
        return [Passage(rank=rank, chunk=chunk, score=0.0) for rank, chunk in enumerate(chosen(), start=1)]

    def _read(self, ranked: list[str], k: int, filters: Filters, exclude: Callable[[StoredChunk], bool] | None) -> list[_Kept]:
        """The k best candidates that pass, read in full. Only the k winners are read at first (all candidates when
        some may be excluded), and more only as far as some were dropped; chunks only the keyword side found get their
        cosine from their vector. The filters are checked again on what is read: the as-of condition was left out of
        the dense search when the keyword index knew of no newer chunk, and another client may have added one since
        the keyword index was last refreshed. With stories collapsed, a passage of an article whose story a better
        passage already tells, in the same words, is not kept but listed with it."""
        kept: list[_Kept] = []
        position, batch = 0, len(ranked) if exclude else k
        while len(kept) < k and position < len(ranked):
            read = self.store.get_chunks_with_vectors(ranked[position : position + batch])
            position += batch
            for chunk, stored_vector in read:
                if not filters.admits(chunk.meta) or (exclude and exclude(chunk)):
                    continue
                twin = next((item for item in kept if item.absorbs(chunk)), None) if self.collapse_stories else None
                if twin is not None:
                    twin.also_in.append(chunk.meta)
                elif len(kept) < k:
                    kept.append(_Kept(chunk, stored_vector))
            batch = k - len(kept)
        return kept

    def _dense(self, vector: np.ndarray, n: int, filters: Filters, keywords: KeywordIndex) -> list[tuple[str, float]]:
        """The n chunks nearest the question that pass the filters. A Chroma `where` makes a query about 80 times slower
        (295 ms against 3.5 ms on 46,000 chunks) and its filtered search is approximate (two runs of one eval differed),
        so the nearest OVERFETCH × n are read unfiltered and filtered by the day and outlet the keyword index holds for
        each chunk. When fewer than n of them pass (a narrow filter: "last week"), the search runs again among the
        chunks the keyword index says pass, named by id (about 20 ms on 194k chunks, where a `where` took 300 ms and
        more), and not at all when none does. A chunk the keyword index does not know yet (another client's, since
        its last refresh) is found by the wide search only."""
        where = filters.for_chroma(keywords.newest_day)
        if where is None:
            return self.store.nearest(vector, n)
        wide = self.store.nearest(vector, OVERFETCH * n)
        within = filters.for_keywords()
        passing = keywords.passing(within)
        kept = [hit for hit in wide if hit[0] in passing]
        if len(kept) >= n or len(wide) < OVERFETCH * n:  # enough, or every chunk was read
            return kept[:n]
        among = passing.listed()
        if not among:
            return kept
        narrow = self.store.nearest_among(vector, n, among)
        if narrow is None:  # a listed chunk is gone from Chroma: filter there instead
            narrow = self.store.nearest(vector, n, where)
        found = dict(kept) | dict(narrow)  # the kept hits the keyword index does not know stay in
        return sorted(found.items(), key=lambda hit: -hit[1])[:n]
