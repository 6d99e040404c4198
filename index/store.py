"""Chroma storage: chunk vectors and the article manifest.

Two collections per index fingerprint:
- `chunks-<digest>`: one record a chunk, its embedding and metadata (article, offsets, outlet, date, and the text
  itself under `chunk_text`, not as Chroma's document: see add_chunks);
- `articles-<digest>`: one record an article: the cleaned text (citations point into it) and, in its
  metadata, the content hash that makes ingest incremental. Keeping the manifest in Chroma means every
  client of a Chroma server sees the same one.
The chunk collection's metadata carries a `revision` that changes whenever its chunks change, and a short journal
of the chunk ids each recent revision added and removed; the keyword index beside Chroma is brought up to date when
its revision differs (from the journal when it reaches back to the index's revision, else by listing every id).
An embedded store is checked on opening against the article counts it last recorded (index/integrity.py), so an
emptied or damaged one is refused, not recreated.
"""

from __future__ import annotations

import functools
import inspect
import json
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar
from urllib.parse import urlparse

import numpy as np

from index.errors import StoreError, is_disk_full, storage_error
from index.fingerprint import IndexFingerprint
from index.integrity import StoreMarker, check_store_files
from index.types import ArticleRecord, StoredChunk

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

PAGE = 5000
ID_PAGE = 50000  # ids alone are small: fewer, larger pages
CHANGING = "changing"  # chunk-collection metadata: an ingest is writing (or died writing) its chunks
JOURNAL = "journal"  # chunk-collection metadata: JSON, the recent revisions' added and removed chunk ids
JOURNAL_STEPS = 16  # revisions kept in the journal; a keyword index further behind lists every chunk id
JOURNAL_MAX_IDS = 5000  # a change of more chunks than this is not journaled (listing every id is then cheap beside it)
# The HNSW search breadth (Chroma's default is 100). At 100, a search for the 120 nearest of RealTime QA's 4,759
# January-April chunks missed 287 of the exact 120 over 60 questions, and which it missed changed from process to
# process (most likely as Chroma re-inserts the chunks written since its last save on every load, on several threads),
# so one question's passages, and its answer, could differ between two runs of the same code. At 500: 14 missed,
# and the same in repeated runs; 2.0 ms a query on 48,472 chunks instead of 1.4 ms (benchmarks/README.md).
SEARCH_EF = 500
CHUNK_TEXT = "chunk_text"  # chunk metadata: the chunk's text (Chroma's document field stays empty; see add_chunks)


@dataclass
class ChunkChanges:
    """The chunk ids one ingest added and removed, from the revision it began at."""

    since: str
    added: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)
    whole: bool = True  # False when something else changed the chunks too (an ingest killed before this one)

    def step(self, revision: str) -> dict[str, Any] | None:
        if not self.whole or len(self.added) + len(self.removed) > JOURNAL_MAX_IDS:
            return None
        return {"from": self.since, "to": revision, "added": sorted(self.added), "removed": sorted(self.removed - self.added)}


def changes_between(journal: Sequence[dict[str, Any]], since: str, until: str) -> tuple[set[str], set[str]] | None:
    """The chunk ids added and removed from revision `since` to `until`, by the journal's steps; None when the journal
    does not link the two (too far back, or a change that was not journaled)."""
    by_start = {step["from"]: step for step in journal}
    added: set[str] = set()
    removed: set[str] = set()
    revision = since
    for _ in range(len(journal)):
        if revision == until:
            break
        step = by_start.get(revision)
        if step is None:
            return None
        gone = set(step["removed"])
        added = (added - gone) | set(step["added"])
        removed = (removed | gone) - set(step["added"])
        revision = step["to"]
    return (added, removed) if revision == until else None


ARTICLE_VECTOR = np.ones((1, 1), dtype=np.float32)  # article records are looked up by id only; Chroma still wants a vector


def open_client(chroma_dir: Path, chroma_url: str | None) -> ClientAPI:
    """Embedded Chroma in chroma_dir, or an HttpClient for a `chroma run` server; telemetry off either way."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    if chroma_url:
        host, port, ssl = _server_address(chroma_url)
        try:
            client = chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=settings)
            client.heartbeat()
        except Exception as err:  # chromadb raises ValueError, httpx errors and more for a refused or failed connection
            raise StoreError(
                f"the Chroma server at {chroma_url} is not reachable ({_short(err)}); start it with "
                "`chroma run --path DIR --port N` or unset ASSISTANT_CHROMA_URL to use the embedded store"
            ) from None
        return client
    check_store_files(chroma_dir)  # before Chroma would open an emptied or cut-short store as a new one
    try:
        chroma_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(chroma_dir), settings=settings)
    except Exception as err:  # a corrupt sqlite file or an unreadable folder surfaces as many types
        if is_disk_full(err):
            raise storage_error(err, chroma_dir) from None
        raise StoreError(
            f"the data directory {chroma_dir} cannot be opened ({_short(err)}); move it aside and ingest again"
        ) from None


def _server_address(chroma_url: str) -> tuple[str, int, bool]:
    """(host, port, ssl) of http[s]://host[:port]; a bare host:port means http."""
    url = urlparse(chroma_url if "://" in chroma_url else f"http://{chroma_url}")
    try:
        port = url.port
    except ValueError:  # a port that is not a number
        port = -1
    if url.scheme not in ("http", "https") or not url.hostname or port == -1 or url.path not in ("", "/"):
        raise StoreError(f"ASSISTANT_CHROMA_URL={chroma_url!r} is not a server address like http://127.0.0.1:8000")
    ssl = url.scheme == "https"
    return url.hostname, port or (443 if ssl else 8000), ssl


def _short(err: Exception) -> str:
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    return text[:160]


def _chroma_failures() -> tuple[type[BaseException], ...]:
    """What chromadb raises when its server fails or goes away mid-run (httpx under the HttpClient), or when the
    embedded store cannot read or write its files (sqlite errors, a full disk)."""
    import sqlite3

    import httpx
    from chromadb.errors import ChromaError

    return (httpx.HTTPError, ChromaError, OSError, sqlite3.Error)


F = TypeVar("F", bound=Callable[..., Any])


def _chroma_call(method: F) -> F:
    """A failing Chroma (a server that went down, a damaged or full data directory) becomes one StoreError line."""

    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def generator(self: ChunkStore, *args: Any, **kwargs: Any) -> Any:
            try:
                yield from method(self, *args, **kwargs)
            except Exception as err:
                if isinstance(err, _chroma_failures()):
                    self.fail(err)
                raise

        return generator  # type: ignore[return-value]

    @functools.wraps(method)
    def call(self: ChunkStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception as err:
            if isinstance(err, _chroma_failures()):
                self.fail(err)
            raise

    return call  # type: ignore[return-value]


class ChunkStore:
    """The chunk vectors and the article manifest of one index fingerprint."""

    def __init__(self, client: ClientAPI, fingerprint: IndexFingerprint, embedded_dir: Path | None = None) -> None:
        """embedded_dir: the folder of an embedded store (None for a Chroma server, whose files we cannot see)."""
        self.fingerprint = fingerprint
        self.client = client
        self.embedded_dir = embedded_dir
        self._changes: ChunkChanges | None = None  # an ingest's, from begin_changes to bump_revision
        self.marker = StoreMarker(embedded_dir) if embedded_dir is not None else None
        if self.marker is not None:  # before get_or_create below would quietly make an emptied index anew
            self.marker.check(fingerprint.digest, self._existing_articles(f"articles-{fingerprint.digest}"))
        try:
            self.chunks: Collection = client.get_or_create_collection(
                f"chunks-{fingerprint.digest}", metadata={"hnsw:space": "cosine", **fingerprint.as_metadata()}
            )
            self.articles: Collection = client.get_or_create_collection(
                f"articles-{fingerprint.digest}", metadata=dict(fingerprint.as_metadata())
            )
        except Exception as err:
            if is_disk_full(err):
                raise storage_error(err, embedded_dir or "the Chroma server's store") from None
            raise StoreError(f"Chroma refused to open the index ({_short(err)})") from None
        self._search_broadly()
        if self.marker is not None and fingerprint.digest not in self.marker.read():
            self.record_articles()  # from its creation on (or the first open of an older data directory)

    @_chroma_call
    def _search_broadly(self) -> None:
        """The chunk collection searched with SEARCH_EF (set once: on a collection made before it, at its first open)."""
        hnsw = (self.chunks.configuration or {}).get("hnsw") or {}
        if hnsw.get("ef_search") != SEARCH_EF:
            self.chunks.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}})

    @_chroma_call
    def _existing_articles(self, name: str) -> int | None:
        """Articles in the named collection, or None when there is no such collection."""
        from chromadb.errors import NotFoundError

        try:
            return int(self.client.get_collection(name).count())
        except (NotFoundError, ValueError):  # chromadb 1.x: NotFoundError; ValueError in older releases
            return None

    def fail(self, err: Exception) -> NoReturn:
        """The one line a Chroma failure becomes: a full disk, a damaged data directory, or a server gone."""
        if is_disk_full(err):
            raise storage_error(err, self.embedded_dir or "the Chroma server's store") from None
        if self.embedded_dir is None:
            raise StoreError(f"Chroma failed while the index was in use ({_short(err)}); is the server still up?") from None
        raise StoreError(
            f"the data directory {self.embedded_dir} failed ({_short(err)}); if it is damaged, move it aside and ingest again"
        ) from None

    def record_articles(self) -> None:
        """Tell the marker how many articles the store holds now (after each ingest)."""
        if self.marker is not None:
            self.marker.record(self.fingerprint.digest, self._article_count())

    @_chroma_call
    def _article_count(self) -> int:
        return int(self.articles.count())

    # --- the manifest -------------------------------------------------------------------------
    @_chroma_call
    def manifest(self) -> dict[str, str]:
        """article id → content hash of everything indexed."""
        return {rid: str(meta["content_hash"]) for rid, meta in self._pages(self.articles, include=["metadatas"])}

    @_chroma_call
    def list_articles(self) -> list[ArticleRecord]:
        return [ArticleRecord.from_record(rid, meta) for rid, meta in self._pages(self.articles, include=["metadatas"])]

    @_chroma_call
    def get_article(self, article_id: str) -> ArticleRecord | None:
        found = self.articles.get(ids=[article_id], include=["metadatas", "documents"])
        if not found["ids"]:
            return None
        metas, docs = found["metadatas"] or [{}], found["documents"] or [""]
        return ArticleRecord.from_record(article_id, metas[0], docs[0] or "")

    @_chroma_call
    def put_article(self, record: ArticleRecord) -> None:
        self.put_articles([record])

    @_chroma_call
    def put_articles(self, records: Sequence[ArticleRecord]) -> None:
        """In one write: each call costs Chroma ~25 ms of CPU whatever its size (120 articles one by one: 3.1 s; in
        batches of 15: 0.6 s), taken from the encoder during an ingest."""
        if records:
            self.articles.upsert(
                ids=[r.meta.id for r in records],
                embeddings=np.repeat(ARTICLE_VECTOR, len(records), axis=0),
                documents=[r.text for r in records],
                metadatas=[r.metadata() for r in records],
            )

    @_chroma_call
    def delete_article(self, article_id: str) -> None:
        """Its chunks first, then the record: an interrupted delete is finished by the next prune."""
        self.delete_chunks(sorted(self.chunk_ids_of(article_id)))
        self.articles.delete(ids=[article_id])

    # --- chunks --------------------------------------------------------------------------------
    @_chroma_call
    def chunk_ids_of(self, article_id: str) -> set[str]:
        return set(self.chunks.get(where={"article_id": article_id}, include=[])["ids"])

    @_chroma_call
    def add_chunks(self, chunks: Sequence[StoredChunk], embeddings: np.ndarray) -> None:
        """Straight to Chroma: id, vector and metadata a chunk, the text among the metadata. As a document, Chroma
        would also index the text for its full-text search (trigrams, which the keyword index beside it makes
        unnecessary, and which local Chroma 1.5.9 builds even when a collection's schema turns it off): the write of
        1,053 chunks took 1.15 s of CPU that way against 0.67 s with the text in the metadata, all of it taken from
        the encoder during an ingest (benchmarks/README.md). Through llama-index's ChromaVectorStore it took about a
        fifth more again (its TextNodes, and a JSON copy of each chunk's metadata in `_node_content`). Chunks stored by
        earlier versions, with the text as the document, read the same (_chunk_from)."""
        vectors = np.asarray(embeddings, dtype=np.float32)
        for start in range(0, len(chunks), PAGE):
            page = chunks[start : start + PAGE]
            self.chunks.add(
                ids=[c.id for c in page],
                embeddings=vectors[start : start + PAGE],
                metadatas=[{**c.metadata(), CHUNK_TEXT: c.text} for c in page],
            )
        if self._changes is not None:
            self._changes.added.update(chunk.id for chunk in chunks)

    @_chroma_call
    def update_chunk_metadata(self, chunks: Sequence[StoredChunk]) -> None:
        """Write the metadata of chunks already stored, their text and vector untouched (Chroma merges the fields, so
        the text among them stays).
        Journaled as added: a keyword index holding them reads their day and outlet again."""
        if self._changes is not None:
            self._changes.added.update(c.id for c in chunks)
        for start in range(0, len(chunks), PAGE):
            page = chunks[start : start + PAGE]
            self.chunks.update(ids=[c.id for c in page], metadatas=[c.metadata() for c in page])

    @_chroma_call
    def nearest(self, vector: np.ndarray, n: int, where: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        """Ids and cosines of the n chunks closest to vector (passing `where`, a Chroma filter), best first.

        Straight to Chroma rather than through llama-index's query, and ids only: the caller reads the few
        records it keeps (reading 30 records' text and metadata costs more than the search itself)."""
        return self._query(vector, n, where=where or None)

    @_chroma_call
    def nearest_among(self, vector: np.ndarray, n: int, chunk_ids: Sequence[str]) -> list[tuple[str, float]] | None:
        """As `nearest`, searching only these chunks: on 194k chunks about 20 ms where a `where` on their day took
        300 ms and more. None when Chroma refuses the list, as it does when one of the ids is no longer stored
        (another client removed it since the caller listed them): the caller then filters with a `where`."""
        from chromadb.errors import ChromaError

        try:
            return self._query(vector, n, ids=list(chunk_ids))
        except ChromaError:
            return None

    def _query(self, vector: np.ndarray, n: int, **restriction: Any) -> list[tuple[str, float]]:
        """(id, cosine) of the n chunks nearest vector among those the restriction (`where` or `ids`) leaves, best first."""
        found = self.chunks.query(
            query_embeddings=vector.astype(np.float32).reshape(1, -1), n_results=n, include=["distances"], **restriction
        )
        distances = (found["distances"] or [[]])[0]
        return [(cid, 1.0 - float(d)) for cid, d in zip(found["ids"][0], distances, strict=True)]  # cosine distance = 1 - cos

    @_chroma_call
    def any_chunk(self, where: dict[str, Any] | None) -> bool:
        """Does any chunk pass this Chroma filter?"""
        return bool(self.chunks.get(where=where or None, limit=1, include=[])["ids"])

    @_chroma_call
    def delete_chunks(self, chunk_ids: Sequence[str]) -> None:
        if self._changes is not None:
            self._changes.removed.update(chunk_ids)
        for start in range(0, len(chunk_ids), PAGE):
            self.chunks.delete(ids=list(chunk_ids[start : start + PAGE]))

    @_chroma_call
    def count(self) -> int:
        return int(self.chunks.count())

    @_chroma_call
    def iter_chunks(self) -> Iterator[StoredChunk]:
        """Every chunk with its text and metadata, page by page (for rebuilding the keyword index)."""
        offset = 0
        while True:
            page = self.chunks.get(include=["documents", "metadatas"], limit=PAGE, offset=offset)
            ids, docs, metas = page["ids"], page["documents"] or [], page["metadatas"] or []
            for cid, doc, meta in zip(ids, docs, metas, strict=True):
                yield _chunk_from(cid, doc, meta)
            if len(ids) < PAGE:
                return
            offset += PAGE

    @_chroma_call
    def all_chunk_ids(self) -> set[str]:
        """The ids of every chunk, and nothing else (for bringing the keyword index up to date)."""
        found: set[str] = set()
        offset = 0
        while True:
            ids = self.chunks.get(include=[], limit=ID_PAGE, offset=offset)["ids"]
            found.update(ids)
            if len(ids) < ID_PAGE:
                return found
            offset += ID_PAGE

    @_chroma_call
    def iter_chunks_by_id(self, chunk_ids: Sequence[str]) -> Iterator[StoredChunk]:
        """These chunks with their text and metadata, page by page (ids not stored are left out)."""
        for start in range(0, len(chunk_ids), PAGE):
            yield from self.get_chunks(chunk_ids[start : start + PAGE])

    @_chroma_call
    def get_chunks(self, chunk_ids: Sequence[str]) -> list[StoredChunk]:
        if not chunk_ids:
            return []
        page = self.chunks.get(ids=list(chunk_ids), include=["documents", "metadatas"])
        by_id = {
            cid: _chunk_from(cid, doc, meta)
            for cid, doc, meta in zip(page["ids"], page["documents"] or [], page["metadatas"] or [], strict=True)
        }
        return [by_id[cid] for cid in chunk_ids if cid in by_id]

    @_chroma_call
    def get_chunks_with_vectors(self, chunk_ids: Sequence[str]) -> list[tuple[StoredChunk, np.ndarray]]:
        if not chunk_ids:
            return []
        page = self.chunks.get(ids=list(chunk_ids), include=["documents", "metadatas", "embeddings"])
        vectors = page["embeddings"] if page["embeddings"] is not None else []
        rows = zip(page["ids"], page["documents"] or [], page["metadatas"] or [], vectors, strict=True)
        by_id = {cid: (_chunk_from(cid, doc, meta), np.asarray(vec, dtype=np.float32)) for cid, doc, meta, vec in rows}
        return [by_id[cid] for cid in chunk_ids if cid in by_id]

    # --- revision --------------------------------------------------------------------------------
    @_chroma_call
    def revision(self) -> str:
        """Changes whenever the chunks change; the keyword index compares it to its own."""
        return str(self._metadata().get("revision", ""))

    @_chroma_call
    def unfinished_changes(self) -> bool:
        """Did an ingest begin changing the chunks and die before bumping the revision (kill -9, a power cut)? Its
        writes are in Chroma, but a keyword index built meanwhile lacks them and is stamped with the unbumped
        revision, so it would pass for current until the next change."""
        return bool(self._metadata().get(CHANGING))

    @_chroma_call
    def begin_changes(self) -> None:
        """Mark the chunks as changing, before an ingest's first write; bump_revision clears the mark. The chunk ids
        written and deleted from now on are noted for the journal."""
        metadata = self._metadata()
        self._changes = ChunkChanges(since=str(metadata.get("revision", "")), whole=not metadata.get(CHANGING))
        self._write_metadata(metadata, {CHANGING: True})

    @_chroma_call
    def bump_revision(self) -> str:
        """A new revision, journaled with the ids added and removed since begin_changes when those are known and few;
        otherwise the journal starts afresh (an index behind it lists every id)."""
        revision = uuid.uuid4().hex
        metadata, changes, self._changes = self._metadata(), self._changes, None
        journal = _journal(metadata)
        step = changes.step(revision) if changes is not None and changes.since == metadata.get("revision", "") else None
        journal = [*journal, step][-JOURNAL_STEPS:] if step is not None else []
        self._write_metadata(metadata, {"revision": revision, JOURNAL: json.dumps(journal)})
        return revision

    @_chroma_call
    def changes_since(self, since: str) -> tuple[str, tuple[set[str], set[str]] | None]:
        """The current revision, and the chunk ids added and removed since revision `since` (None when the journal
        cannot say), from one read of the collection's metadata."""
        metadata = self._metadata()
        revision = str(metadata.get("revision", ""))
        return revision, changes_between(_journal(metadata), since, revision)

    def _metadata(self) -> dict[str, Any]:
        fresh = self.client.get_collection(self.chunks.name)  # another client may have changed it
        return dict(fresh.metadata or {})

    def _write_metadata(self, current: dict[str, Any], fields: dict[str, Any]) -> None:
        """`current` (just read by the caller) with `fields` written over it: Chroma replaces a collection's metadata
        whole (hnsw: settings cannot be changed, so they are left out); any write but begin_changes ends the changes."""
        kept = {key: value for key, value in current.items() if not key.startswith("hnsw:") and key != CHANGING}
        self.chunks.modify(metadata=kept | fields)

    @staticmethod
    def _pages(collection: Collection, include: list[Any]) -> Iterator[tuple[str, dict[str, Any]]]:
        offset = 0
        while True:
            page = collection.get(include=include, limit=PAGE, offset=offset)
            for rid, meta in zip(page["ids"], page["metadatas"] or [], strict=True):
                yield rid, dict(meta)
            if len(page["ids"]) < PAGE:
                return
            offset += PAGE


def _chunk_from(chunk_id: str, document: str | None, metadata: Mapping[str, Any] | None) -> StoredChunk:
    """A stored chunk record: its text among the metadata, or (written by an earlier version) as the document."""
    fields = dict(metadata or {})
    text = fields.pop(CHUNK_TEXT, None)
    return StoredChunk.from_record(chunk_id, str(text) if text is not None else document or "", fields)


def _journal(metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """The journal's steps; anything unreadable there is no journal (the keyword index then lists every id)."""
    try:
        steps = json.loads(str(metadata.get(JOURNAL, "[]")))
        return [s for s in steps if isinstance(s, dict) and {"from", "to", "added", "removed"} <= s.keys()]
    except (ValueError, TypeError):
        return []
