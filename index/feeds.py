"""RSS and Atom feeds: a fetched body → the feed's items (feedparser), and the feeds an ingest has seen, remembered in
`<home>/feeds.json` with what `sync` needs to ask each server "has it changed?".
"""

from __future__ import annotations

import io
import json
import logging
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from index.errors import StoreError, storage_error
from index.fetch import Download, FetchError, Validators

log = logging.getLogger(__name__)
FEEDS_FILE = "feeds.json"
FILE_VERSION = 1


@dataclass(frozen=True)
class FeedItem:
    link: str  # absolute: feedparser resolves it against the feed's URL
    title: str = ""
    published: str = ""  # YYYY-MM-DD, or ""


@dataclass(frozen=True)
class Feed:
    url: str  # the URL the user gave
    title: str
    items: list[FeedItem]
    validators: Validators


def parse_feed(download: Download) -> Feed:
    """The feed's items in document order; FetchError when the body is no RSS or Atom feed."""
    import feedparser  # here: importing the index must stay light

    headers = {"content-location": download.url, "content-type": download.content_type}
    if download.charset:
        headers["content-type"] += f"; charset={download.charset}"
    # A stream, never bytes or a str: feedparser would treat a string as a URL or file name to open.
    parsed = feedparser.parse(io.BytesIO(download.body), response_headers=headers)
    if not parsed.get("version"):
        problem = parsed.get("bozo_exception")
        detail = f" ({str(problem).splitlines()[0][:120]})" if problem else ""
        raise FetchError(download.requested, f"not an RSS or Atom feed{detail}")
    items = [
        FeedItem(link=entry.get("link", "").strip(), title=entry.get("title", "").strip(), published=_day(entry))
        for entry in parsed.entries
    ]
    for number, item in enumerate(items, start=1):
        if not item.link:
            log.warning("%s: item %d (%s) has no link; left out", download.requested, number, item.title or "untitled")
    feed_title = str(parsed.feed.get("title", "")).strip()
    log.info("%s: %s feed %r with %d items", download.requested, parsed.version, feed_title, len(items))
    return Feed(url=download.requested, title=feed_title, items=[i for i in items if i.link], validators=download.validators)


def _day(entry: Any) -> str:
    # dict.get: FeedParserDict's own get maps a missing updated_parsed to published_parsed, with a warning
    parsed = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    return time.strftime("%Y-%m-%d", parsed) if parsed else ""


@dataclass
class SeenItem:
    article_id: str
    etag: str = ""
    last_modified: str = ""

    @property
    def validators(self) -> Validators:
        return Validators(self.etag, self.last_modified)


@dataclass
class SeenFeed:
    title: str = ""
    etag: str = ""
    last_modified: str = ""
    items: dict[str, SeenItem] = field(default_factory=dict)  # item link → the article it gave

    @property
    def validators(self) -> Validators:
        return Validators(self.etag, self.last_modified)


class KnownFeeds:
    """The feeds ingested into one data directory, keyed by the URL the user gave. Written whole to a temporary file
    and renamed over the old one, so a crash leaves the old file or the new one, never half of one. Read and written
    under the data directory's ingest lock."""

    def __init__(self, home: Path) -> None:
        self.path = home / FEEDS_FILE

    def load(self) -> dict[str, SeenFeed]:
        if not self.path.exists():
            return {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return {
                url: SeenFeed(
                    title=entry.get("title", ""),
                    etag=entry.get("etag", ""),
                    last_modified=entry.get("last_modified", ""),
                    items={link: SeenItem(**item) for link, item in entry.get("items", {}).items()},
                )
                for url, entry in raw["feeds"].items()
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
            raise StoreError(f"{self.path}: cannot be read ({type(err).__name__}: {err}); fix or delete it") from None

    def save(self, feeds: dict[str, SeenFeed]) -> None:
        payload = json.dumps(
            {"version": FILE_VERSION, "feeds": {url: asdict(feed) for url, feed in sorted(feeds.items())}},
            ensure_ascii=False,
            indent=1,
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".feeds-", suffix=".json", dir=self.path.parent)
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    out.write(payload)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, self.path)
            finally:
                if os.path.exists(temporary):
                    os.unlink(temporary)
        except OSError as err:
            raise storage_error(err, self.path) from None
