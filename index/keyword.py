"""The BM25 keyword index kept beside Chroma (bm25s), rebuilt from Chroma's own chunk documents.

Chroma has no local keyword search, so this sidecar holds one. It is a cache, never the truth: it is
stamped with the chunk collection's revision and rebuilt from the chunks stored in Chroma whenever the
revision differs. That keeps it consistent for every client of a shared Chroma server, at the cost of
one rebuild (about a second per 10k chunks) after each change.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.faults import checkpoint

if TYPE_CHECKING:
    import bm25s

    from index.types import StoredChunk

# The index folder holds versions, v-<random hex>, each a whole index never changed once written, and CURRENT, a file
# naming the one that is the index.
CURRENT = "current"
VERSION = "v-"
VERSION_NAME = re.compile(r"v-[0-9a-f]{32}")
STATE_FILE = "state.json"
GRACE_SECONDS = 60.0  # a replaced version stays this long for readers that were loading it


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
        """Written whole into a version folder of its own, then made current by renaming one small file over CURRENT
        (atomic), so a reader finds the old index or the new one: never half of one, never none. Writers may save at
        once (an ingest and a question, two processes): the last rename wins, and each version carries its revision,
        which readers compare. A replaced version stays GRACE_SECONDS for readers still loading it; a later save
        removes it then, with anything else stale in the folder (what a killed writer left, garbage)."""
        _make_folder(folder)
        version = folder / f"{VERSION}{uuid.uuid4().hex}"
        pointer = folder / f"{CURRENT}.{version.name}"
        try:
            version.mkdir()
            if self.ids:
                self.retriever.save(str(version), show_progress=False)
            np.save(version / "days.npy", self.days)
            state = {"revision": self.revision, "ids": self.ids, "sources": list(self.sources)}
            (version / STATE_FILE).write_text(json.dumps(state))
            pointer.write_text(version.name)
            checkpoint("keyword-staged")
            replaced = _current_version(folder)
            os.replace(pointer, folder / CURRENT)
        except OSError:
            shutil.rmtree(version, ignore_errors=True)  # a half-written copy would only take space
            pointer.unlink(missing_ok=True)
            raise
        if replaced is not None:
            _touch(replaced)  # its grace period starts now, not when it was written
        _remove_stale(folder)

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex | None:
        """The current index, or None when there is none or it cannot be read (it is then rebuilt from Chroma, which
        loses nothing). Damaged files fail in any of json's, numpy's or bm25s's ways (EOFError for an empty array
        file, TypeError for JSON of another shape, …), so any error means "cannot be read"."""
        import bm25s

        version = _current_version(folder)
        if version is None:
            return None
        try:
            state = json.loads((version / STATE_FILE).read_text())
            ids, sources, revision = list(state["ids"]), list(state["sources"]), str(state["revision"])
            retriever = bm25s.BM25.load(str(version), show_progress=False) if ids else bm25s.BM25()
            days = np.load(version / "days.npy")
        except Exception:
            return None
        if days.ndim != 1 or not len(days) == len(ids) == len(sources) or (ids and retriever.scores["num_docs"] != len(ids)):
            return None  # files of different indexes
        return cls(retriever, ids, days, sources, revision)

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {chunk_id: i for i, chunk_id in enumerate(self.ids)}

    def passing(self, where: KeywordFilter) -> Callable[[str], bool]:
        """Does a chunk (by id) pass the filter, by the day and outlet this index holds for it? An id it does not know
        (added since it was built) passes: whoever reads the chunk checks it again."""
        keep = self._mask(where) > 0
        positions = self._positions
        return lambda chunk_id: (i := positions.get(chunk_id)) is None or bool(keep[i])

    def day_of(self, chunk_id: str) -> int:
        """The published day (YYYYMMDD) this index holds for a chunk; 0 when undated or unknown to it."""
        i = self._positions.get(chunk_id)
        return 0 if i is None else int(self.days[i])

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


def _make_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        folder.unlink()  # garbage in the index folder's place (a file)
    folder.mkdir(parents=True, exist_ok=True)


def _current_version(folder: Path) -> Path | None:
    """The version folder CURRENT names, or None when there is no index (or CURRENT is garbage)."""
    try:
        name = (folder / CURRENT).read_text(encoding="ascii").strip()
    except (OSError, ValueError):
        return None
    return folder / name if VERSION_NAME.fullmatch(name) else None


def _touch(path: Path) -> None:
    with contextlib.suppress(OSError):  # another writer removed it: nothing to keep
        os.utime(path)


def _remove_stale(folder: Path) -> None:
    """Everything in the folder but the current index that has not changed for GRACE_SECONDS: replaced versions no
    reader can still be loading, what a killed writer left, files of the older one-folder layout."""
    current, cutoff = _current_version(folder), time.time() - GRACE_SECONDS
    for entry in folder.iterdir():
        if entry.name == CURRENT or entry == current:
            continue
        with contextlib.suppress(OSError):  # another writer removed it first
            if entry.lstat().st_mtime >= cutoff:
                continue  # young: a version being written, or one a reader may still be loading
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()


def keyword_rows(chunks: Iterable[StoredChunk]) -> Iterable[tuple[str, str, int, str]]:
    """(id, text, day, source) of each chunk."""
    for chunk in chunks:
        yield chunk.id, chunk.text, chunk.meta.published_day, chunk.meta.source
