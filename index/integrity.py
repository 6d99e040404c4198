"""Is the embedded store still the one this data directory had?

Chroma opens a missing or 0-byte `chroma.sqlite3` as a new, empty index, and the first question would then index
the seeds over the loss without a word. So a store that was emptied, cut short or deleted is refused, never
recreated over:
- before Chroma opens the folder: a 0-byte or truncated sqlite file, or a folder that held a store but has no
  sqlite file any more (segment folders or the marker below left behind);
- after: an index whose articles the marker counted but whose collection is gone or empty.

The marker, `assistant-store.json` inside the Chroma folder, records per index fingerprint how many articles the
store held after the last write. Moving the whole Chroma folder aside (what the errors advise) starts afresh.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

from index.errors import StoreError, storage_error

SQLITE_FILE = "chroma.sqlite3"
MARKER_FILE = "assistant-store.json"
SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_BYTES = 100


def check_store_files(chroma_dir: Path) -> None:
    """Refuse a Chroma folder whose sqlite file is empty, cut short, or missing from a store that existed."""
    db = chroma_dir / SQLITE_FILE
    if not db.exists():
        leftovers = sorted(p.name for p in chroma_dir.iterdir()) if chroma_dir.is_dir() else []
        if leftovers:
            raise StoreError(
                f"the index in {chroma_dir} has lost its {SQLITE_FILE} (the folder still holds {', '.join(leftovers[:3])}); "
                f"restore it, or move {chroma_dir} aside and ingest again"
            )
        return
    size = db.stat().st_size
    if size == 0:
        raise StoreError(
            f"{db} is empty (0 bytes): the index was emptied; restore it, or move {chroma_dir} aside and ingest again"
        )
    expected = _sqlite_size(db)
    if expected is not None and size < expected:
        raise StoreError(
            f"{db} is cut short ({size} of {expected} bytes): the index is damaged; restore it, or move {chroma_dir} aside "
            "and ingest again"
        )


def _sqlite_size(db: Path) -> int | None:
    """The file size the sqlite header promises, or None when the header does not say (an old or foreign file:
    sqlite itself then refuses it if it is not a database)."""
    with db.open("rb") as handle:
        header = handle.read(HEADER_BYTES)
    if len(header) < HEADER_BYTES or not header.startswith(SQLITE_MAGIC):
        return None
    (page_size,) = struct.unpack(">H", header[16:18])
    page_size = 65536 if page_size == 1 else page_size
    change_counter, pages = struct.unpack(">II", header[24:32])
    (valid_for,) = struct.unpack(">I", header[92:96])
    if pages == 0 or change_counter != valid_for:  # the in-header size is only valid when these agree
        return None
    return int(pages * page_size)


class StoreMarker:
    """Articles per index fingerprint the embedded store held after its last write."""

    def __init__(self, chroma_dir: Path) -> None:
        self.path = chroma_dir / MARKER_FILE

    def read(self) -> dict[str, int]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            raise StoreError(f"{self.path} cannot be read; move {self.path.parent} aside and ingest again") from None
        articles = data.get("articles") if isinstance(data, dict) else None
        if not isinstance(articles, dict):
            raise StoreError(f"{self.path} is not a store marker; move {self.path.parent} aside and ingest again")
        return {str(k): int(v) for k, v in articles.items()}

    def check(self, digest: str, articles: int | None) -> None:
        """articles: what the store holds now for this fingerprint (None: its collection is gone)."""
        recorded = self.read().get(digest, 0)
        if recorded > 0 and not articles:
            raise StoreError(
                f"the index in {self.path.parent} held {recorded} articles and now holds none: it was emptied or damaged; "
                f"restore it, or move {self.path.parent} aside and ingest again"
            )

    def record(self, digest: str, articles: int) -> None:
        """Written to a temporary file and renamed over the old one, so a crash never leaves half a marker."""
        counts = self.read()
        if counts.get(digest) == articles and self.path.exists():
            return
        counts[digest] = articles
        staging = self.path.with_name(self.path.name + ".new")
        try:
            staging.write_text(json.dumps({"articles": counts}, sort_keys=True), encoding="utf-8")
            os.replace(staging, self.path)
        except OSError as err:
            staging.unlink(missing_ok=True)
            raise storage_error(err, self.path) from None
