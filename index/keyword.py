"""The BM25 keyword index kept beside Chroma (bm25s), rebuilt from Chroma's own chunk documents.

Chroma has no local keyword search, so this sidecar holds one. It is a cache, never the truth: it is
stamped with the chunk collection's revision and rebuilt from the chunks stored in Chroma whenever the
revision differs. That keeps it consistent for every client of a shared Chroma server, at the cost of
one rebuild (about a second per 10k chunks) after each change.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import bm25s

    from index.types import StoredChunk

STATE_FILE = "state.json"


@dataclass(frozen=True)
class KeywordHit:
    chunk_id: str
    score: float


@dataclass(frozen=True)
class KeywordFilter:
    """The same filters as the dense side: published-day range (YYYYMMDD), outlets, and the as-of day (undated chunks,
    day 0, pass it)."""

    since_day: int | None = None
    until_day: int | None = None
    sources: tuple[str, ...] = ()
    as_of_day: int | None = None

    @property
    def active(self) -> bool:
        return self.since_day is not None or self.until_day is not None or bool(self.sources) or self.as_of_day is not None


_per_thread = threading.local()


def _stem_words() -> Any:
    """One stemmer per thread: a PyStemmer object must not be used by two threads at once (questions run
    concurrently in the web app)."""
    stem = getattr(_per_thread, "stem_words", None)
    if stem is None:
        import Stemmer

        # bm25s logs every load and save at DEBUG/INFO; that is noise in a server log.
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        stem = _per_thread.stem_words = Stemmer.Stemmer("english").stemWords
    return stem


def tokenize(texts: list[str]) -> list[list[str]]:
    import bm25s

    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=_stem_words(), return_ids=False, show_progress=False)
    return tokens  # return_ids=False gives lists of strings


class KeywordIndex:
    """BM25 over chunk texts, with per-chunk day and outlet for filtering."""

    def __init__(self, retriever: bm25s.BM25, ids: list[str], days: np.ndarray, sources: list[str], revision: str) -> None:
        self.retriever = retriever
        self.ids = ids
        self.days = days
        self.sources = np.asarray(sources, dtype=object)
        self.revision = revision

    @classmethod
    def build(cls, rows: Iterable[tuple[str, str, int, str]], revision: str) -> KeywordIndex:
        """rows: (chunk id, text, published day, source)."""
        import bm25s

        ids: list[str] = []
        texts: list[str] = []
        days: list[int] = []
        sources: list[str] = []
        for chunk_id, text, day, source in rows:
            ids.append(chunk_id)
            texts.append(text)
            days.append(day)
            sources.append(source)
        retriever = bm25s.BM25()
        if texts:
            retriever.index(tokenize(texts), show_progress=False)
        return cls(retriever, ids, np.asarray(days, dtype=np.int64), sources, revision)

    def save(self, folder: Path) -> None:
        """Written to a new folder and swapped in, so a reader never sees half an index. The staging folder is this
        writer's own (an ingest and a question may both rebuild at once); when another writer swaps in first, its
        index stays (it is stamped with its revision, and a reader compares that)."""
        staging = folder.with_name(f"{folder.name}.new-{os.getpid()}-{threading.get_ident()}")
        shutil.rmtree(staging, ignore_errors=True)
        try:
            staging.mkdir(parents=True)
            if self.ids:
                self.retriever.save(str(staging), show_progress=False)
            np.save(staging / "days.npy", self.days)
            state = {"revision": self.revision, "ids": self.ids, "sources": list(self.sources)}
            (staging / STATE_FILE).write_text(json.dumps(state))
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)  # a half-written copy would only take space
            raise
        shutil.rmtree(folder, ignore_errors=True)
        try:
            staging.rename(folder)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            if not folder.is_dir():  # not another writer's index in place: a real failure (a full disk)
                raise

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex | None:
        """The saved index, or None when there is none or it cannot be read (it is then rebuilt)."""
        import bm25s

        try:
            state = json.loads((folder / STATE_FILE).read_text())
            retriever = bm25s.BM25.load(str(folder), show_progress=False) if state["ids"] else bm25s.BM25()
            days = np.load(folder / "days.npy")
            # another writer may have swapped the folder while these files were read: keep only a matching set
            if json.loads((folder / STATE_FILE).read_text())["revision"] != state["revision"] or len(days) != len(state["ids"]):
                return None
        except (OSError, ValueError, KeyError):
            return None
        return cls(retriever, list(state["ids"]), days, list(state["sources"]), str(state["revision"]))

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {chunk_id: i for i, chunk_id in enumerate(self.ids)}

    def passing(self, where: KeywordFilter) -> Callable[[str], bool]:
        """Does a chunk (by id) pass the filter, by the day and outlet this index holds for it? An id it does not know
        (added since it was built) passes: whoever reads the chunk checks it again."""
        keep = self._mask(where) > 0
        positions = self._positions
        return lambda chunk_id: (i := positions.get(chunk_id)) is None or bool(keep[i])

    @property
    def newest_day(self) -> int:
        """The latest published day (YYYYMMDD) of any chunk; 0 when none is dated."""
        return int(self.days.max()) if len(self.days) else 0

    def search(self, question: str, k: int, where: KeywordFilter | None = None) -> list[KeywordHit]:
        if not self.ids:
            return []
        query = tokenize([question])[0]
        if not query:
            return []
        mask = self._mask(where) if where and where.active else None
        scores = np.asarray(self.retriever.get_scores(query, weight_mask=mask), dtype=np.float32)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [KeywordHit(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def _mask(self, where: KeywordFilter) -> np.ndarray:
        keep = np.ones(len(self.ids), dtype=bool)
        if where.since_day is not None:
            keep &= self.days >= where.since_day
        if where.until_day is not None:
            keep &= (self.days <= where.until_day) & (self.days > 0)
        if where.sources:
            keep &= np.isin(self.sources, list(where.sources))
        if where.as_of_day is not None:
            keep &= self.days <= where.as_of_day
        return keep.astype(np.float32)


def keyword_rows(chunks: Iterable[StoredChunk]) -> Iterable[tuple[str, str, int, str]]:
    """(id, text, day, source) of each chunk."""
    for chunk in chunks:
        yield chunk.id, chunk.text, chunk.meta.published_day, chunk.meta.source
