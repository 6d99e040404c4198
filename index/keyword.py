"""The BM25 keyword index kept beside Chroma: a cache of the chunk texts stored in Chroma, updated in place.

Chroma has no local keyword search, so this sidecar holds one. It is never the truth: it is stamped with the
chunk collection's revision, and when that differs it is brought up to date from Chroma (index/pipeline.py,
`refresh_keyword_index`): the ids of all stored chunks are listed (ids only), the chunks it lacks are read and
tokenized, and the chunks gone are marked dead. Chunk ids name their article and text (index/chunking.py), so
an id it already holds is a chunk it already has. The cost of an update follows the size of the change, not
of the index; a whole build happens only when there is no usable saved copy.

Scoring is BM25 as bm25s scores by default, in float32 as bm25s does ("lucene": k1 1.5, b 0.75, idf
ln(1 + (N - df + 0.5) / (df + 0.5)), a document's length its token count after stop words), the scorer this index
used before. No score is stored per document, since every added or removed chunk changes N, the document
frequencies and the mean length and so every stored score: the index keeps term frequencies, a question computes
the statistics of its own few terms, and each slot's length normalisation is computed once per index (an update
makes a new index). Its scores are therefore those of a fresh build over the same chunks, whatever the history of
updates.

The postings live in segments, one per update: term-major arrays, never changed once made. Removed chunks are
marked dead; when dead slots or segments pile up, everything live is merged into one segment. On disk each
segment is a folder of arrays, and `state.json` (replaced atomically, after its segments are written) names the
revision, the segments and the dead slots: a reader never sees half an index, an update writes only its own
segment, and a reader that already holds some of the segments reads only the others.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import json
import logging
import math
import os
import re
import shutil
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.faults import checkpoint

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from index.types import StoredChunk

STATE_FILE = "state.json"
LOCK_FILE = ".writer.lock"
FORMAT = 3  # 1: a bm25s index rebuilt whole; 2: compounds only as parts; a saved index of another format is built anew
K1, B = 1.5, 0.75  # bm25s' defaults
MAX_SEGMENTS = 12  # more, and a question walks too many postings lists: merge
MAX_DEAD_SHARE = 0.2  # more dead slots than this share, and they cost memory and time: merge
STALE_SECONDS = 600.0  # files no state names are removed once this old (a writer may still be about to name them)

Row = tuple[str, str, int, str]  # (chunk id, text, published day, source)


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


# A compound of letters ("cease-fire", "re-election", "e-mail"): outlets write the same word with and without the
# hyphen ("ceasefire"), so it is indexed and searched as its parts and as one word.
COMPOUND = re.compile(r"\b[^\W\d_]+(?:-[^\W\d_]+)+\b")


def with_joined_compounds(text: str) -> str:
    """The text with each compound of letters followed by its parts written as one word: "cease-fire ceasefire"."""
    return COMPOUND.sub(lambda found: f"{found.group()} {found.group().replace('-', '')}", text)


def tokenize(texts: list[str], *, return_ids: bool = False) -> Any:
    """bm25s' tokens (stop words out, stemmed) of the texts with their compounds joined too: lists of strings, or
    bm25s' ids and vocabulary with `return_ids`."""
    import bm25s

    joined = [with_joined_compounds(text) for text in texts]
    return bm25s.tokenize(joined, stopwords="en", stemmer=_stem_words(), return_ids=return_ids, show_progress=False)


@dataclass(frozen=True)
class _Segment:
    """The postings of a run of consecutive slots: for each term id t, indptr[t]:indptr[t+1] of `slots` (relative to
    `start`) and `tfs`. `terms` are the terms this segment added to the vocabulary (their ids follow the earlier
    segments'); indptr covers every term id known when it was made."""

    name: str
    start: int
    terms: list[str]
    indptr: np.ndarray
    slots: np.ndarray
    tfs: np.ndarray
    ids: list[str]
    lengths: np.ndarray
    days: np.ndarray
    sources: list[str]

    @property
    def vocabulary_size(self) -> int:
        return len(self.indptr) - 1

    def postings(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        if term >= self.vocabulary_size:
            return _NO_SLOTS, _NO_TFS
        begin, end = int(self.indptr[term]), int(self.indptr[term + 1])
        return self.slots[begin:end] + self.start, self.tfs[begin:end]

    def write(self, folder: Path) -> None:
        """Into folder/<name>, through a staging folder renamed at the end (a half-written segment never has its name)."""
        target = folder / self.name
        if target.is_dir():
            return  # segments never change once made
        staging = folder / f".{self.name}.{uuid.uuid4().hex[:8]}"
        try:
            staging.mkdir(parents=True)
            for key in ("indptr", "slots", "tfs", "lengths", "days"):
                np.save(staging / f"{key}.npy", np.ascontiguousarray(getattr(self, key)))
            meta = {"start": self.start, "terms": self.terms, "ids": self.ids, "sources": self.sources}
            (staging / "meta.json").write_text(json.dumps(meta))
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    @classmethod
    def read(cls, folder: Path, name: str) -> _Segment:
        where = folder / name
        meta = json.loads((where / "meta.json").read_text())
        arrays = {key: np.load(where / f"{key}.npy", mmap_mode="r") for key in ("indptr", "slots", "tfs")}
        return cls(
            name=name,
            start=int(meta["start"]),
            terms=list(meta["terms"]),
            ids=list(meta["ids"]),
            sources=list(meta["sources"]),
            lengths=np.load(where / "lengths.npy"),
            days=np.load(where / "days.npy"),
            **arrays,
        )


_NO_SLOTS = np.zeros(0, dtype=np.int64)
_NO_TFS = np.zeros(0, dtype=np.float32)


def _new_segment(start: int, rows: Sequence[Row], vocabulary: dict[str, int]) -> _Segment:
    """The postings of `rows` as slots start, start+1, …; terms not in `vocabulary` get the next ids (the dict is
    not changed: it may be another index's, in use)."""
    tokenized = tokenize([text for _, text, _, _ in rows], return_ids=True)
    added: dict[str, int] = {}
    to_term = np.zeros(len(tokenized.vocab), dtype=np.int64)  # the tokenizer's word id → our term id
    for word, local in tokenized.vocab.items():
        term = vocabulary.get(word)
        to_term[local] = term if term is not None else added.setdefault(word, len(vocabulary) + len(added))
    lengths = np.fromiter(map(len, tokenized.ids), dtype=np.int64, count=len(rows))
    words = np.fromiter(itertools.chain.from_iterable(tokenized.ids), dtype=np.int64, count=int(lengths.sum()))
    slot_of_word = np.repeat(np.arange(len(rows), dtype=np.int64), lengths)
    # one key per (term, slot), term-major and slots ascending within a term; its count is the term frequency
    keys, tfs = np.unique(to_term[words] * max(len(rows), 1) + slot_of_word, return_counts=True)
    terms, slots = np.divmod(keys, max(len(rows), 1))
    size = len(vocabulary) + len(added)
    return _Segment(
        name=_segment_name(),
        start=start,
        terms=list(added),  # insertion order is id order
        indptr=_indptr(np.bincount(terms, minlength=size)),
        slots=slots.astype(np.int32),
        tfs=tfs.astype(np.float32),
        ids=[chunk_id for chunk_id, _, _, _ in rows],
        lengths=lengths.astype(np.int32),
        days=np.asarray([day for _, _, day, _ in rows], dtype=np.int64),
        sources=[source for _, _, _, source in rows],
    )


def _indptr(counts: np.ndarray) -> np.ndarray:
    indptr = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr


def _segment_name() -> str:
    return f"seg-{uuid.uuid4().hex}"


@dataclass
class PassingChunks:
    """The chunks that pass a filter, by the day and outlet a keyword index holds for each."""

    keep: np.ndarray  # per slot: passes the filter
    live: np.ndarray  # per slot: not removed
    ids: list[str]  # per slot
    slots: dict[str, int]  # live chunk id → slot

    def __contains__(self, chunk_id: str) -> bool:
        """An id the index does not know (added since it was built) passes: whoever reads the chunk checks it again."""
        i = self.slots.get(chunk_id)
        return i is None or bool(self.keep[i])

    def listed(self) -> list[str]:
        """The live chunks that pass."""
        return [self.ids[i] for i in np.flatnonzero(self.keep & self.live)]


class KeywordIndex:
    """BM25 over chunk texts, with per-chunk day and outlet for filtering. Never changed once made: an update gives a
    new index sharing this one's segments, so questions reading this one are not disturbed."""

    def __init__(self, segments: Sequence[_Segment], dead: Iterable[int], revision: str) -> None:
        self.segments = tuple(segments)
        self.revision = revision
        self.vocabulary: dict[str, int] = {}
        for segment in self.segments:
            first = len(self.vocabulary)
            self.vocabulary.update(zip(segment.terms, range(first, first + len(segment.terms)), strict=True))
        self.ids: list[str] = [chunk_id for segment in self.segments for chunk_id in segment.ids]
        self.lengths = _joined([s.lengths for s in self.segments], np.int32)
        self.days = _joined([s.days for s in self.segments], np.int64)
        self.sources = np.asarray([source for s in self.segments for source in s.sources], dtype=object)
        self.dead = np.asarray(sorted(set(dead)), dtype=np.int64)
        self.live = np.ones(len(self.ids), dtype=bool)
        self.live[self.dead] = False
        self.count = len(self.ids) - len(self.dead)  # live chunks: BM25's N
        self.total_length = int(self.lengths[self.live].sum(dtype=np.int64))

    # --- building and updating ---------------------------------------------------------------------
    @classmethod
    def build(cls, rows: Iterable[Row], revision: str) -> KeywordIndex:
        """A whole index from rows: (chunk id, text, published day, source)."""
        listed = list(rows)
        return cls([_new_segment(0, listed, {})] if listed else [], (), revision)

    def updated(self, added: Iterable[Row], removed: Iterable[str], revision: str) -> KeywordIndex:
        """This index with chunks added and removed (by id), stamped with `revision`; this one is left as it was.
        An added id already held replaces the old chunk."""
        rows = list(added)
        slot_of = self._live_slots
        dead = {slot_of[chunk_id] for chunk_id in {*removed, *(row[0] for row in rows)} if chunk_id in slot_of}
        dead.update(int(slot) for slot in self.dead)
        segments = list(self.segments)
        if rows:
            segments.append(_new_segment(len(self.ids), rows, self.vocabulary))
        index = KeywordIndex(segments, dead, revision)
        if len(index.dead) > MAX_DEAD_SHARE * len(index.ids):
            return index.merged(0)
        if len(index.segments) > MAX_SEGMENTS:
            return index.merged(_merge_from([len(s.ids) for s in index.segments]))
        return index

    def merged(self, first: int = 0) -> KeywordIndex:
        """The segments from `first` on merged into one, their dead slots dropped and the others renumbered (earlier
        slots keep their numbers); merging them all also drops the terms no live chunk uses. The same scores."""
        if first >= len(self.segments):
            return self
        tail = self.segments[first:]
        start = tail[0].start
        live = self.live[start:]
        renumber = np.cumsum(live) - 1  # a live slot's new number, counted from `start`
        size = len(self.vocabulary)
        parts, counts = [], np.zeros(size, dtype=np.int64)
        for segment in tail:  # each segment's live postings: term-major, slots ascending
            terms = np.repeat(np.arange(segment.vocabulary_size, dtype=np.int64), np.diff(segment.indptr))
            slots = np.asarray(segment.slots, dtype=np.int64) + (segment.start - start)
            keep = live[slots]
            count = np.bincount(terms[keep], minlength=size)
            parts.append((terms[keep], renumber[slots[keep]], np.asarray(segment.tfs)[keep], count))
            counts += count
        names = list(self.vocabulary)  # insertion order is id order
        if first == 0:  # a whole merge: terms renumbered, unused ones gone
            used = np.flatnonzero(counts)
            new_term = np.full(size, -1, dtype=np.int64)
            new_term[used] = np.arange(len(used))
            parts = [(new_term[t], s, f, c[used]) for t, s, f, c in parts]
            counts, added = counts[used], [names[t] for t in used]
        else:
            added = [term for segment in tail for term in segment.terms]
        indptr = _indptr(counts)
        slots_out = np.empty(int(indptr[-1]), dtype=np.int32)
        tfs_out = np.empty(int(indptr[-1]), dtype=np.float32)
        earlier = np.zeros(len(counts), dtype=np.int64)  # postings of each term placed from earlier segments
        for terms, slots, tfs, count in parts:
            first_of_term = _indptr(count)[:-1]  # where each term's run begins in this segment's kept postings
            at = indptr[terms] + earlier[terms] + (np.arange(len(terms)) - first_of_term[terms])
            slots_out[at], tfs_out[at] = slots, tfs
            earlier += count
        kept = np.flatnonzero(live) + start
        segment = _Segment(
            name=_segment_name(),
            start=start,
            terms=added,
            indptr=indptr,
            slots=slots_out,
            tfs=tfs_out,
            ids=[self.ids[slot] for slot in kept],
            lengths=self.lengths[kept],
            days=self.days[kept],
            sources=list(self.sources[kept]),
        )
        return KeywordIndex([*self.segments[:first], segment], (int(d) for d in self.dead if d < start), self.revision)

    def slot_of(self) -> dict[str, int]:
        """Live chunk id → slot."""
        found = dict(zip(self.ids, range(len(self.ids)), strict=True))
        for slot in self.dead:
            if found.get(self.ids[slot]) == slot:
                del found[self.ids[slot]]
        return found

    def chunk_ids(self) -> set[str]:
        return set(self._live_slots)

    @cached_property
    def _live_slots(self) -> dict[str, int]:
        return self.slot_of()

    def passing(self, where: KeywordFilter) -> PassingChunks:
        """The chunks that pass the filter, by the day and outlet this index holds for each (one mask, asked by id or
        listed)."""
        return PassingChunks(self._mask(where), self.live, self.ids, self._live_slots)

    def day_of(self, chunk_id: str) -> int:
        """The published day (YYYYMMDD) this index holds for a chunk; 0 when undated or unknown to it."""
        i = self._live_slots.get(chunk_id)
        return 0 if i is None else int(self.days[i])

    def newest_first(self, where: KeywordFilter) -> list[str]:
        """The live chunks that pass, by the day this index holds for each: the newest first, undated ones last, and
        the last added first within a day (a feed synced through the day: its latest stories)."""
        slots = np.flatnonzero(self._mask(where) & self.live)[::-1]
        return [self.ids[i] for i in slots[np.argsort(-self.days[slots], kind="stable")]]

    @cached_property
    def newest_day(self) -> int:
        """The latest published day (YYYYMMDD) of any live chunk; 0 when none is dated. Asked on every question."""
        days = self.days[self.live]
        return int(days.max()) if len(days) else 0

    # --- searching ---------------------------------------------------------------------------------
    def search(self, question: str, k: int, where: KeywordFilter | None = None) -> list[KeywordHit]:
        if not self.count:
            return []
        query = Counter(self.vocabulary[word] for word in tokenize([question])[0] if word in self.vocabulary)
        if not query:
            return []
        scores = self.scores(query)
        if where and where.active:
            scores *= self._mask(where)  # False: 0
        # Ranked among the slots that score at all: on 194k chunks a partition of every slot took 2 ms a question.
        hit = np.flatnonzero(scores)
        if len(hit) > k:
            hit = hit[np.argpartition(-scores[hit], k - 1)[:k]]
        top = hit[np.argsort(-scores[hit], kind="stable")]
        return [KeywordHit(self.ids[i], float(scores[i])) for i in top]

    def scores(self, query: Counter[int]) -> np.ndarray:
        """BM25 of every slot (dead ones 0) for term ids with their counts in the question."""
        scores = np.zeros(len(self.ids), dtype=np.float32)  # float32, as bm25s scores
        for term, repeats in query.items():
            slots, tfs = self._postings(term)
            if not len(slots):
                continue
            df = len(slots)
            idf = math.log(1 + (self.count - df + 0.5) / (df + 0.5))
            # a slot appears once per term: no lost updates
            scores[slots] += np.float32(repeats * idf) * (tfs / (self._length_norm[slots] + tfs))
        return scores

    @cached_property
    def _length_norm(self) -> np.ndarray:
        """Each slot's BM25 length normalisation, k1 (1 − b + b · length / mean length): the same for every question
        to this index, so computed once (1 ms of a 7 ms question on 242k chunks)."""
        mean_length = self.total_length / max(self.count, 1)
        return (K1 * (1 - B + B * self.lengths / mean_length)).astype(np.float32)

    def _postings(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        """The live slots holding `term`, and its frequency in each."""
        parts = [segment.postings(term) for segment in self.segments]
        parts = [part for part in parts if len(part[0])]
        if not parts:
            return _NO_SLOTS, _NO_TFS
        slots = np.concatenate([p[0] for p in parts]) if len(parts) > 1 else parts[0][0]
        tfs = np.concatenate([p[1] for p in parts]) if len(parts) > 1 else parts[0][1]
        if len(self.dead):
            keep = self.live[slots]
            slots, tfs = slots[keep], tfs[keep]
        return slots, tfs

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
        return keep

    # --- on disk -----------------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Its segments that are not on disk yet, then the state naming them, replaced in one step; files no state
        names any more are removed once old. Writers take turns (a lock file); a reader needs no lock."""
        _make_folder(folder)
        with _writer_lock(folder):
            for segment in self.segments:
                segment.write(folder)
            names = [s.name for s in self.segments]
            state = {"format": FORMAT, "revision": self.revision, "segments": names, "dead": [int(d) for d in self.dead]}
            staging = folder / f".{STATE_FILE}.{uuid.uuid4().hex[:8]}"
            try:
                staging.write_text(json.dumps(state))
                checkpoint("keyword-staged")
                os.replace(staging, folder / STATE_FILE)
            finally:
                staging.unlink(missing_ok=True)
            _remove_unnamed(folder, {STATE_FILE, LOCK_FILE, *names})

    @staticmethod
    def saved_revision(folder: Path) -> str | None:
        """The revision of the saved index, without reading the index."""
        try:
            state = json.loads((folder / STATE_FILE).read_text())
            return str(state["revision"]) if state.get("format") == FORMAT else None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):  # missing, or garbage of any shape
            return None

    @classmethod
    def load(cls, folder: Path, reuse: KeywordIndex | None = None) -> KeywordIndex | None:
        """The saved index, or None when there is none or it cannot be read (it is then built anew). Segments that
        `reuse` holds are taken from it rather than read again."""
        held = {s.name: s for s in reuse.segments} if reuse is not None else {}
        missing: FileNotFoundError | None = None
        for _ in range(3):  # a writer may remove a superseded segment while this reads: read the new state
            seen: str | None = None
            try:
                seen = (folder / STATE_FILE).read_text()
                state = json.loads(seen)
                if state.get("format") != FORMAT:
                    return None
                segments = [held.get(name) or _Segment.read(folder, name) for name in state["segments"]]
                index = cls(segments, (int(slot) for slot in state["dead"]), str(state["revision"]))
            except FileNotFoundError as err:
                missing = err
                continue
            except Exception as err:  # damaged files fail in any of json's or numpy's ways (EOFError for an empty array, …)
                if seen is not None and _text_of(folder / STATE_FILE) != seen:
                    continue  # a writer replaced the index while this read it (a failure of any kind then): read the new one
                # A derived index is rebuilt without a word to the user; the reason is for whoever debugs.
                log.debug("keyword index in %s unreadable (%s); built anew", folder, type(err).__name__)
                return None
            if _consistent(index):
                return index
            log.debug("keyword index in %s has segments that do not fit together; built anew", folder)
            return None
        if missing is not None and missing.filename != str(folder / STATE_FILE):
            log.debug("keyword index in %s lost %s while being read; built anew", folder, missing.filename)
        return None


def _text_of(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def _merge_from(sizes: list[int]) -> int:
    """Where a merge of the newest segments starts: at least half of the allowed number go, and every older one
    whose size the merged run already matches (so the large early segments are merged rarely, the small late ones
    often); the first segment stays (a whole merge happens when dead chunks pile up)."""
    first, total = len(sizes) - 1, sizes[-1]
    while first > 1 and (len(sizes) - first < MAX_SEGMENTS // 2 or 2 * total >= sizes[first - 1]):
        first -= 1
        total += sizes[first]
    return first


def _consistent(index: KeywordIndex) -> bool:
    """Each segment starts where the one before ended (a mixed-up set of files is not used)."""
    start = 0
    for segment in index.segments:
        if segment.start != start or len(segment.lengths) != len(segment.ids):
            return False
        start += len(segment.ids)
    return True


def _joined(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.zeros(0, dtype=dtype)


def _make_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        folder.unlink()  # garbage in the index folder's place (a file)
    folder.mkdir(parents=True, exist_ok=True)


@contextlib.contextmanager
def _writer_lock(folder: Path) -> Iterator[None]:
    with (folder / LOCK_FILE).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_unnamed(folder: Path, named: set[str]) -> None:
    """Segments of superseded states, a crashed writer's leftovers, the files of an index of an older format."""
    cutoff = time.time() - STALE_SECONDS
    for entry in folder.iterdir():
        if entry.name in named:
            continue
        try:
            if entry.lstat().st_mtime > cutoff:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
        except OSError:
            continue


def keyword_rows(chunks: Iterable[StoredChunk]) -> Iterable[Row]:
    """(id, text, day, source) of each chunk."""
    for chunk in chunks:
        yield chunk.id, chunk.text, chunk.meta.published_day, chunk.meta.source
