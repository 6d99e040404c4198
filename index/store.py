"""Chroma storage: chunk vectors (through llama-index's ChromaVectorStore) and the article manifest.

Two collections per index fingerprint:
- `chunks-<digest>`: one record a chunk, its embedding, text and metadata (article, offsets, outlet, date);
- `articles-<digest>`: one record an article: the cleaned text (citations point into it) and, in its
  metadata, the content hash that makes ingest incremental. Keeping the manifest in Chroma means every
  client of a Chroma server sees the same one.
The chunk collection's metadata carries a `revision` that changes whenever its chunks change; the keyword
index beside Chroma is rebuilt when its revision differs. An embedded store is checked on opening against the
article counts it last recorded (index/integrity.py), so an emptied or damaged one is refused, not recreated.
"""

from __future__ import annotations

import functools
import inspect
import uuid
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
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
    from llama_index.vector_stores.chroma import ChromaVectorStore

PAGE = 5000
CHANGING = "changing"  # chunk-collection metadata: an ingest is writing (or died writing) its chunks
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
        if self.marker is not None and fingerprint.digest not in self.marker.read():
            self.record_articles()  # from its creation on (or the first open of an older data directory)

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

    @cached_property
    def vectors(self) -> ChromaVectorStore:
        """llama-index's view of the chunk collection, for writing; imported only by commands that write
        (llama_index.core takes over a second to import, more than the whole question path)."""
        from llama_index.vector_stores.chroma import ChromaVectorStore

        return ChromaVectorStore(chroma_collection=self.chunks)

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
        self.articles.upsert(
            ids=[record.meta.id],
            embeddings=ARTICLE_VECTOR,
            documents=[record.text],
            metadatas=[record.metadata()],
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
        from llama_index.core.schema import BaseNode, NodeRelationship, RelatedNodeInfo, TextNode

        nodes: list[BaseNode] = [
            TextNode(
                id_=chunk.id,
                text=chunk.text,
                embedding=list(map(float, vector)),
                metadata=chunk.metadata(),
                relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=chunk.meta.id)},
            )
            for chunk, vector in zip(chunks, embeddings, strict=True)
        ]
        self.vectors.add(nodes)

    @_chroma_call
    def update_chunk_metadata(self, chunks: Sequence[StoredChunk]) -> None:
        """Write the metadata of chunks already stored, their text and vector untouched (Chroma merges the fields)."""
        for start in range(0, len(chunks), PAGE):
            page = chunks[start : start + PAGE]
            self.chunks.update(ids=[c.id for c in page], metadatas=[c.metadata() for c in page])

    @_chroma_call
    def nearest(self, vector: np.ndarray, n: int, where: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        """Ids and cosines of the n chunks closest to vector (passing `where`, a Chroma filter), best first.

        Straight to Chroma rather than through llama-index's query, and ids only: the caller reads the few
        records it keeps (reading 30 records' text and metadata costs more than the search itself)."""
        found = self.chunks.query(
            query_embeddings=vector.astype(np.float32).reshape(1, -1), n_results=n, where=where or None, include=["distances"]
        )
        distances = (found["distances"] or [[]])[0]
        return [(cid, 1.0 - float(d)) for cid, d in zip(found["ids"][0], distances, strict=True)]  # cosine distance = 1 - cos

    @_chroma_call
    def any_chunk(self, where: dict[str, Any] | None) -> bool:
        """Does any chunk pass this Chroma filter?"""
        return bool(self.chunks.get(where=where or None, limit=1, include=[])["ids"])

    @_chroma_call
    def delete_chunks(self, chunk_ids: Sequence[str]) -> None:
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
                yield StoredChunk.from_record(cid, doc or "", dict(meta))
            if len(ids) < PAGE:
                return
            offset += PAGE

    @_chroma_call
    def get_chunks(self, chunk_ids: Sequence[str]) -> list[StoredChunk]:
        if not chunk_ids:
            return []
        page = self.chunks.get(ids=list(chunk_ids), include=["documents", "metadatas"])
        by_id = {
            cid: StoredChunk.from_record(cid, doc or "", dict(meta))
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
        by_id = {
            cid: (StoredChunk.from_record(cid, doc or "", dict(meta)), np.asarray(vec, dtype=np.float32))
            for cid, doc, meta, vec in rows
        }
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
        """Mark the chunks as changing, before an ingest's first write; bump_revision clears the mark."""
        self._write_metadata({CHANGING: True})

    @_chroma_call
    def bump_revision(self) -> str:
        revision = uuid.uuid4().hex
        self._write_metadata({"revision": revision})
        return revision

    def _metadata(self) -> dict[str, Any]:
        fresh = self.client.get_collection(self.chunks.name)  # another client may have changed it
        return dict(fresh.metadata or {})

    def _write_metadata(self, fields: dict[str, Any]) -> None:
        """Chroma replaces a collection's metadata whole (hnsw: settings cannot be changed, so they are left out);
        any write but begin_changes ends the changes."""
        kept = {key: value for key, value in self._metadata().items() if not key.startswith("hnsw:") and key != CHANGING}
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
