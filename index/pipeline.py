"""ingest(paths) → IngestReport: incremental by content hash, and all-or-nothing about bad input.

The inputs are files and folders, and articles already in memory (pages fetched from URLs by index/web.py).
Two passes over them:
1. plan: load and hash every article. Any bad file stops the run here, before anything is written.
2. apply: three stages overlap. A worker thread loads, cleans and chunks the new or changed articles; the
   encoder embeds the next batches (ONNX Runtime releases the GIL, so it runs on all the encoder's cores); the
   main thread meanwhile writes the oldest batch to Chroma and records its articles. Batches are written in
   order, one at a time, exactly as a sequential run writes them: only the embedding runs ahead. Only chunks
   whose ids are not already stored are embedded. An article's manifest record is written after all its chunks
   (and its stale chunks' removal), so an interrupted run is finished by the next one.
The keyword index is brought up to date from Chroma at the end when anything changed. The chunk collection is marked as
changing before the first write, and the revision bump at the end clears the mark: an ingest killed in between
leaves it, and the next ingest bumps the revision even when it finds nothing left to write, so keyword indexes built
without the killed ingest's writes are brought up to date.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from index.chunking import TokenLimit, chunk_text
from index.cleaning import clean_article
from index.embeddings import Encoder
from index.errors import InputError, storage_error
from index.faults import checkpoint
from index.keyword import KeywordIndex, keyword_rows
from index.loaders import expand_paths, iter_articles
from index.store import ChunkStore
from index.stories import NO_SIGNATURE, StoryGrouper, encode_signature, minhash
from index.types import Article, ArticleRecord, StoredChunk, page_at

if TYPE_CHECKING:
    import numpy as np

Progress = Callable[[int, int], None]  # (articles done, articles to do)
EMBED_AHEAD = 2  # batches embedded ahead of the one being written
log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks: int = 0  # chunks embedded in this run
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)  # articles with no text left after cleaning
    failed: list[str] = field(default_factory=list)  # one line per URL that gave nothing to index ("URL: reason")


@dataclass(frozen=True)
class IngestOptions:
    limits: tuple[TokenLimit, ...]
    overlap_tokens: int
    max_chars: int  # hard cap on a chunk's length, whatever its tokens
    max_bytes: int
    batch_size: int = 128  # chunks embedded and written together (an article's chunks are never split)
    edge_batch_size: int = 8  # the first batch, and the last one cut into batches this small: see _batches
    prune: bool = False
    story_threshold: float | None = None  # group near-duplicate articles at this MinHash Jaccard; None: no grouping


@dataclass
class _Prepared:
    article: Article
    cleaned: str
    page_starts: tuple[int, ...]  # into `cleaned`
    chunks: list[StoredChunk]
    existing: set[str]
    signature: str = ""  # the cleaned text's MinHash, stored with the article record for later ingests to group against


@dataclass(frozen=True)
class Inputs:
    """What one ingest reads: files (streamed, read once to plan and once to index) and articles already loaded."""

    files: list[Path]
    loaded: Sequence[Article] = ()

    def articles(self, max_bytes: int) -> Iterator[Article]:
        yield from iter_articles(self.files, max_bytes=max_bytes)
        yield from self.loaded


def plan(paths: Iterable[str | Path], max_bytes: int, loaded: Sequence[Article] = ()) -> tuple[Inputs, dict[str, str]]:
    """Every input checked and hashed: (inputs, article id → content hash)."""
    inputs = Inputs(expand_paths(paths), loaded)
    hashes: dict[str, str] = {}
    origin: dict[str, str] = {}
    for article in inputs.articles(max_bytes):
        if article.id in hashes:
            raise InputError(f"article id {article.id!r} appears twice ({origin[article.id]} and {article.meta.location})")
        hashes[article.id] = article.content_hash()
        origin[article.id] = article.meta.location
    return inputs, hashes


def ingest(
    paths: Iterable[str | Path],
    store: ChunkStore,
    encoder: Encoder,
    options: IngestOptions,
    keyword_dir: Path,
    progress: Progress | None = None,
    keyword: KeywordIndex | None = None,
    *,
    loaded: Sequence[Article] = (),
) -> IngestReport:
    """keyword: the caller's keyword index in memory, if any; brought up to date from it rather than from disk.
    loaded: articles already in memory (fetched pages), indexed beside the files."""
    started = time.perf_counter()
    inputs, hashes = plan(paths, options.max_bytes, loaded)
    manifest = store.manifest()
    todo = {aid for aid, digest in hashes.items() if manifest.get(aid) != digest}
    report = IngestReport(unchanged=len(hashes) - len(todo))
    log.info("%d articles read: %d new or changed, %d unchanged", len(hashes), len(todo), report.unchanged)
    stale = sorted(set(manifest) - set(hashes)) if options.prune else []
    unfinished = store.unfinished_changes()  # an earlier ingest died mid-write: its revision bump is still owed
    checkpoint("ingest-planned")
    if todo or stale:
        store.begin_changes()
    if todo:
        grouper = _story_grouper(store, set(stale), options.story_threshold)
        _apply(inputs, todo, manifest, store, encoder, options, report, progress, grouper)
    for article_id in stale:
        store.delete_article(article_id)
        report.removed += 1
    checkpoint("ingest-written")
    if todo or stale or unfinished:
        store.bump_revision()  # ends the changes: every keyword index built before now is rebuilt
        store.record_articles()  # what an emptied or damaged store is later checked against
    refresh_keyword_index(store, keyword_dir, keyword)
    report.seconds = time.perf_counter() - started
    log.info("added %d, updated %d, removed %d; %d chunks embedded", report.added, report.updated, report.removed, report.chunks)
    return report


def refresh_keyword_index(store: ChunkStore, keyword_dir: Path, current: KeywordIndex | None = None) -> KeywordIndex:
    """The keyword index at the store's revision. `current` (the one in memory) or the saved copy when either is at
    that revision already; else the newest copy brought up to date from Chroma: every chunk id is listed, only the
    chunks added since are read and tokenized, the chunks gone are dropped; a whole build only when there is no
    copy at all. What changed comes from the store's journal when it reaches back to the copy's revision (a few ids,
    whatever the index's size), else from listing every chunk id. What was brought up to date is saved for the next
    process."""
    revision = store.revision()
    if current is not None and current.revision == revision:
        return current
    if current is None or KeywordIndex.saved_revision(keyword_dir) == revision:
        current = KeywordIndex.load(keyword_dir, reuse=current) or current  # reads only the segments not held
        if current is not None and current.revision == revision:
            return current
    if current is None:
        updated = KeywordIndex.build(keyword_rows(store.iter_chunks()), revision)
    else:
        revision, journaled = store.changes_since(current.revision)
        if journaled is None:  # the journal does not reach back to it: compare every id
            stored, held = store.all_chunk_ids(), current.chunk_ids()
            added, removed = stored - held, held - stored
        else:
            added, removed = journaled
        updated = current.updated(keyword_rows(store.iter_chunks_by_id(sorted(added))), removed, revision)
    try:
        updated.save(keyword_dir)
    except OSError as err:  # a full disk above all: one line, and the saved index stays as it was
        raise storage_error(err, keyword_dir) from None
    return updated


def _apply(
    inputs: Inputs,
    todo: set[str],
    manifest: dict[str, str],
    store: ChunkStore,
    encoder: Encoder,
    options: IngestOptions,
    report: IngestReport,
    progress: Progress | None,
    grouper: StoryGrouper | None,
) -> None:
    # Embedding runs ahead of writing by EMBED_AHEAD batches, on threads of its own: while the next batches are
    # embedded, this thread writes the oldest one and records its articles. Writes stay in order and sequential (the
    # same calls in the same order as with no overlap). Two batches in flight, not one, so that the encoder's
    # workers start on the next batch while the last pieces of this one finish, instead of one core idling.
    ahead: deque[_Batch] = deque()
    with ThreadPoolExecutor(max_workers=EMBED_AHEAD, thread_name_prefix="ingest-encode") as embedding:
        try:
            for batch in _batches(_prepare_in_background(inputs, todo, set(manifest), store, options, grouper), options, report):
                batch.vectors = embedding.submit(encoder.encode_documents, [c.text for c in batch.chunks])
                ahead.append(batch)
                if len(ahead) > EMBED_AHEAD:
                    _write_and_commit(ahead.popleft(), store, manifest, report)
                    if progress:
                        progress(report.added + report.updated + len(report.skipped), len(todo))
            while ahead:
                _write_and_commit(ahead.popleft(), store, manifest, report)
        finally:
            for unwritten in ahead:  # on an error: nothing more is embedded
                if unwritten.vectors is not None:
                    unwritten.vectors.cancel()
    if progress:
        progress(report.added + report.updated + len(report.skipped), len(todo))


@dataclass
class _Batch:
    """Chunks embedded and written together, and the articles whose chunks are all among them."""

    chunks: list[StoredChunk] = field(default_factory=list)
    articles: list[_Prepared] = field(default_factory=list)
    vectors: Future[np.ndarray] | None = None  # of the chunks' embeddings, computed on the encoder thread

    def add(self, article: _Prepared) -> None:
        self.articles.append(article)
        self.chunks.extend(c for c in article.chunks if c.id not in article.existing)


def _batches(prepared: Iterable[_Prepared], options: IngestOptions, report: IngestReport) -> Iterator[_Batch]:
    """Whole articles gathered until their new chunks reach the batch size; articles with no text left are reported as
    skipped. The batches at either end are smaller, since nothing overlaps them: the first is `edge_batch_size` and
    each next one four times the last, up to the batch size, so the encoder starts once an article or two is chunked
    and the chunking stays ahead of it; the last batch is cut into batches of `edge_batch_size`, so the write after
    the last vectors, which ends the ingest, is short. A batch is handed on only once the next article has arrived, so
    the last one is known to be the last.

    An ingest run again after a kill batches what it has left differently from the uninterrupted one; its vectors are
    the same because the int8 encoder embeds one chunk a run (index/embeddings.py, INT8_BATCH_SIZE)."""
    edge = min(options.edge_batch_size, options.batch_size)
    sizes = itertools.chain(_growing(edge, options.batch_size), itertools.repeat(options.batch_size))
    rest = yield from _gathered(_with_text(prepared, report), sizes)
    rest = yield from _gathered(rest.articles, itertools.repeat(edge))
    if rest.articles:
        yield rest


def _growing(first: int, limit: int) -> Iterator[int]:
    """first, 4 x first, 16 x first, … while under limit."""
    size = first
    while size < limit:
        yield size
        size *= 4


def _with_text(prepared: Iterable[_Prepared], report: IngestReport) -> Iterator[_Prepared]:
    for article in prepared:
        if article.chunks:
            yield article
        else:
            report.skipped.append(article.article.id)


def _gathered(articles: Iterable[_Prepared], sizes: Iterator[int]) -> Generator[_Batch, None, _Batch]:
    """Batches of whole articles in order, each handed on once its new chunks reach the next of `sizes` and another
    article has arrived; returns the batch of what is left (fewer chunks, only articles with nothing new to embed, or
    none at all)."""
    batch, size = _Batch(), next(sizes)
    for article in articles:
        if len(batch.chunks) >= size:
            yield batch
            batch, size = _Batch(), next(sizes)
        batch.add(article)
    return batch


def _write_and_commit(batch: _Batch, store: ChunkStore, manifest: dict[str, str], report: IngestReport) -> None:
    """The batch's chunks written (once embedded), then its articles recorded."""
    if batch.chunks:
        assert batch.vectors is not None
        store.add_chunks(batch.chunks, batch.vectors.result())
        report.chunks += len(batch.chunks)
    checkpoint("chunks-written")
    _commit_articles(batch.articles, store, manifest, report)
    checkpoint("articles-recorded")


def _commit_articles(pending: list[_Prepared], store: ChunkStore, manifest: dict[str, str], report: IngestReport) -> None:
    """The articles' chunks are written: drop their stale chunks, then record their new hashes (one write for all)."""
    stale = set().union(*(prepared.existing - {c.id for c in prepared.chunks} for prepared in pending))
    store.delete_chunks(sorted(stale))
    # Chunks whose text did not change were not written again; their metadata (a date now inferred, a story group)
    # may have.
    store.update_chunk_metadata([c for p in pending for c in p.chunks if c.id in p.existing])
    store.put_articles(
        [
            ArticleRecord(
                meta=p.chunks[0].meta,  # with its story group
                content_hash=p.article.content_hash(),
                chunk_count=len(p.chunks),
                text=p.cleaned,
                page_starts=p.page_starts,
                signature=p.signature,
            )
            for p in pending
        ]
    )
    for prepared in pending:
        if prepared.article.id in manifest:
            report.updated += 1
        else:
            report.added += 1


def _prepare_in_background(
    inputs: Inputs,
    todo: set[str],
    indexed: set[str],
    store: ChunkStore,
    options: IngestOptions,
    grouper: StoryGrouper | None,
) -> Iterator[_Prepared]:
    """Load, clean, group and chunk on a worker thread (bounded queue), so the main thread only embeds. The worker
    alone touches the grouper, in input order, so a run groups its articles as one article after another would."""
    handoff: queue.Queue[_Prepared | BaseException | None] = queue.Queue(maxsize=64)

    def work() -> None:
        try:
            for article in inputs.articles(options.max_bytes):
                if article.id in todo:
                    existing = store.chunk_ids_of(article.id) if article.id in indexed else set()
                    handoff.put(_prepare(article, existing, options, grouper))
            handoff.put(None)
        except BaseException as err:  # handed to the consumer, which re-raises it
            handoff.put(err)

    worker = threading.Thread(target=work, name="ingest-prepare", daemon=True)
    worker.start()
    while (item := handoff.get()) is not None:
        if isinstance(item, BaseException):
            raise item
        yield item
    worker.join()


def _prepare(article: Article, existing: set[str], options: IngestOptions, grouper: StoryGrouper | None) -> _Prepared:
    cleaned = clean_article(article.text, article.page_starts)
    text = cleaned.text
    pieces = chunk_text(article.id, text, options.limits, options.overlap_tokens, options.max_chars) if text else []
    meta, signature = article.meta, ""
    sketch = minhash(text) if grouper is not None and pieces else None
    if grouper is not None and sketch is not None:
        meta = replace(meta, story=grouper.assign(article.id, sketch))
        signature = encode_signature(sketch)
    elif grouper is not None:
        grouper.remove(article.id)  # too short to group now: no later article joins its older text
        signature = NO_SIGNATURE
    chunks = [
        StoredChunk(
            id=p.id,
            meta=meta,
            index=p.index,
            text=p.text,
            start=p.start,
            end=p.end,
            page=page_at(cleaned.page_starts, p.start) or 0,
            page_breaks=tuple(s for s in cleaned.page_starts if p.start < s < p.end),
        )
        for p in pieces
    ]
    return _Prepared(
        article=article, cleaned=text, page_starts=cleaned.page_starts, chunks=chunks, existing=existing, signature=signature
    )


def _story_grouper(store: ChunkStore, leaving: set[str], threshold: float | None) -> StoryGrouper | None:
    """The indexed articles' MinHashes in an LSH index, from the signatures stored with their records (those about to
    be pruned left out). An article indexed before grouping existed has none: its MinHash is made from its stored
    text and stored with it, once; it keeps being its own story's first, since its chunks name no group."""
    if threshold is None:
        return None
    records = [r for r in store.list_articles() if r.id not in leaving]
    grouper = StoryGrouper.from_signatures(((r.id, r.meta.story, r.signature) for r in records), threshold)
    for record in records:
        if record.signature:
            continue
        full = store.get_article(record.id)
        sketch = minhash(full.text) if full is not None else None
        if sketch is not None:
            grouper.add(record.id, sketch, record.meta.story_group)
        if full is not None:  # stored, so that the next ingest reads it instead of the text
            store.put_article(replace(full, signature=encode_signature(sketch) if sketch is not None else NO_SIGNATURE))
    return grouper
