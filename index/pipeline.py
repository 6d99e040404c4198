"""ingest(paths) → IngestReport: incremental by content hash, and all-or-nothing about bad input.

Two passes over the inputs:
1. plan: load and hash every article. Any bad file stops the run here, before anything is written.
2. apply: clean and chunk the new or changed articles on a worker thread while the main thread embeds
   and writes them in batches. Only chunks whose ids are not already stored are embedded. An article's
   manifest record is written after all its chunks, so an interrupted run is finished by the next one.
The keyword index is rebuilt from Chroma at the end when anything changed. The chunk collection is marked as
changing before the first write, and the revision bump at the end clears the mark: an ingest killed in between
leaves it, and the next ingest bumps the revision even when it finds nothing left to write, so keyword indexes built
without the killed ingest's writes are rebuilt.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from index.chunking import TokenLimit, chunk_text
from index.cleaning import clean_text
from index.embeddings import Encoder
from index.errors import InputError, storage_error
from index.faults import checkpoint
from index.keyword import KeywordIndex, keyword_rows
from index.loaders import expand_paths, iter_articles
from index.store import ChunkStore
from index.stories import NO_SIGNATURE, StoryGrouper, encode_signature, minhash
from index.types import Article, ArticleRecord, StoredChunk

Progress = Callable[[int, int], None]  # (articles done, articles to do)


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks: int = 0  # chunks embedded in this run
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)  # articles with no text left after cleaning


@dataclass(frozen=True)
class IngestOptions:
    limits: tuple[TokenLimit, ...]
    overlap_tokens: int
    max_chars: int  # hard cap on a chunk's length, whatever its tokens
    max_bytes: int
    batch_size: int = 256  # chunks embedded and written together
    prune: bool = False
    story_threshold: float | None = None  # group near-duplicate articles at this MinHash Jaccard; None: no grouping


@dataclass
class _Prepared:
    article: Article
    cleaned: str
    chunks: list[StoredChunk]
    existing: set[str]
    signature: str = ""  # the cleaned text's MinHash, stored with the article record for later ingests to group against


def plan(paths: Iterable[str | Path], max_bytes: int) -> tuple[list[Path], dict[str, str]]:
    """Every input checked and hashed: (files, article id → content hash)."""
    files = expand_paths(paths)
    hashes: dict[str, str] = {}
    origin: dict[str, str] = {}
    for article in iter_articles(files, max_bytes=max_bytes):
        if article.id in hashes:
            raise InputError(f"article id {article.id!r} appears twice ({origin[article.id]} and {article.meta.location})")
        hashes[article.id] = article.content_hash()
        origin[article.id] = article.meta.location
    return files, hashes


def ingest(
    paths: Iterable[str | Path],
    store: ChunkStore,
    encoder: Encoder,
    options: IngestOptions,
    keyword_dir: Path,
    progress: Progress | None = None,
) -> IngestReport:
    started = time.perf_counter()
    files, hashes = plan(paths, options.max_bytes)
    manifest = store.manifest()
    todo = {aid for aid, digest in hashes.items() if manifest.get(aid) != digest}
    report = IngestReport(unchanged=len(hashes) - len(todo))
    stale = sorted(set(manifest) - set(hashes)) if options.prune else []
    unfinished = store.unfinished_changes()  # an earlier ingest died mid-write: its revision bump is still owed
    checkpoint("ingest-planned")
    if todo or stale:
        store.begin_changes()
    if todo:
        grouper = _story_grouper(store, set(stale), options.story_threshold)
        _apply(files, todo, manifest, store, encoder, options, report, progress, grouper)
    for article_id in stale:
        store.delete_article(article_id)
        report.removed += 1
    checkpoint("ingest-written")
    if todo or stale or unfinished:
        store.bump_revision()  # ends the changes: every keyword index built before now is rebuilt
        store.record_articles()  # what an emptied or damaged store is later checked against
    refresh_keyword_index(store, keyword_dir)
    report.seconds = time.perf_counter() - started
    return report


def refresh_keyword_index(store: ChunkStore, keyword_dir: Path) -> KeywordIndex:
    """The saved keyword index if it matches the store's revision, else one rebuilt from Chroma."""
    revision = store.revision()
    current = KeywordIndex.load(keyword_dir)
    if current is not None and current.revision == revision:
        return current
    rebuilt = KeywordIndex.build(keyword_rows(store.iter_chunks()), revision)
    try:
        rebuilt.save(keyword_dir)
    except OSError as err:  # a full disk above all: one line, and the old index stays in place
        raise storage_error(err, keyword_dir) from None
    return rebuilt


def _apply(
    files: list[Path],
    todo: set[str],
    manifest: dict[str, str],
    store: ChunkStore,
    encoder: Encoder,
    options: IngestOptions,
    report: IngestReport,
    progress: Progress | None,
    grouper: StoryGrouper | None,
) -> None:
    pending: list[_Prepared] = []  # articles whose chunks are not all written yet
    batch: list[StoredChunk] = []
    done = 0
    for prepared in _prepare_in_background(files, todo, set(manifest), store, options, grouper):
        if not prepared.chunks:
            report.skipped.append(prepared.article.id)
            done += 1
            continue
        pending.append(prepared)
        batch.extend(c for c in prepared.chunks if c.id not in prepared.existing)
        if len(batch) >= options.batch_size:
            report.chunks += _write(batch, store, encoder)
            batch = []
            checkpoint("chunks-written")
            done += _commit_articles(pending, store, manifest, report)
            pending = []
            checkpoint("articles-recorded")
            if progress:
                progress(done, len(todo))
    report.chunks += _write(batch, store, encoder)
    checkpoint("chunks-written")
    done += _commit_articles(pending, store, manifest, report)
    checkpoint("articles-recorded")
    if progress:
        progress(done, len(todo))


def _write(batch: list[StoredChunk], store: ChunkStore, encoder: Encoder) -> int:
    if batch:
        store.add_chunks(batch, encoder.encode([c.text for c in batch]))
    return len(batch)


def _commit_articles(pending: list[_Prepared], store: ChunkStore, manifest: dict[str, str], report: IngestReport) -> int:
    """Chunks are written: drop each article's stale chunks, then record its new hash."""
    for prepared in pending:
        article = prepared.article
        stale = prepared.existing - {c.id for c in prepared.chunks}
        store.delete_chunks(sorted(stale))
        # Chunks whose text did not change were not written again; their metadata (a date now inferred, a story group)
        # may have.
        store.update_chunk_metadata([c for c in prepared.chunks if c.id in prepared.existing])
        store.put_article(
            ArticleRecord(
                meta=prepared.chunks[0].meta,  # with its story group
                content_hash=article.content_hash(),
                chunk_count=len(prepared.chunks),
                text=prepared.cleaned,
                signature=prepared.signature,
            )
        )
        if article.id in manifest:
            report.updated += 1
        else:
            report.added += 1
    return len(pending)


def _prepare_in_background(
    files: list[Path],
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
            for article in iter_articles(files, max_bytes=options.max_bytes):
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
    cleaned = clean_text(article.text)
    pieces = chunk_text(article.id, cleaned, options.limits, options.overlap_tokens, options.max_chars) if cleaned else []
    meta, signature = article.meta, ""
    sketch = minhash(cleaned) if grouper is not None and pieces else None
    if grouper is not None and sketch is not None:
        meta = replace(meta, story=grouper.assign(article.id, sketch))
        signature = encode_signature(sketch)
    elif grouper is not None:
        grouper.remove(article.id)  # too short to group now: no later article joins its older text
        signature = NO_SIGNATURE
    chunks = [StoredChunk(id=p.id, meta=meta, index=p.index, text=p.text, start=p.start, end=p.end) for p in pieces]
    return _Prepared(article=article, cleaned=cleaned, chunks=chunks, existing=existing, signature=signature)


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
