"""An article's metadata, declared once, and the records that carry it: Article, StoredChunk, ArticleRecord.

Unknown values are "" everywhere (Chroma metadata cannot hold None), so no layer converts None ⇄ "".
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any


@dataclass(frozen=True)
class ArticleMeta:
    """Who says what, where and when: what every chunk, passage and citation of an article shows."""

    id: str
    title: str
    source: str = ""  # the outlet
    author: str = ""
    published: str = ""  # YYYY-MM-DD, or "" when unknown
    location: str = ""  # the file path or the article's URL
    date_inferred: bool = False  # `published` was read from the text (a dateline) or guessed by htmldate, not given
    story: str = ""  # the story group (index/stories.py): the id of the first indexed article of the same story

    @property
    def story_group(self) -> str:
        """The story this article tells: its group's id, or its own id when no other article tells it."""
        return self.story or self.id

    @property
    def published_day(self) -> int:
        """2025-07-02 → 20250702, the form Chroma's range filters compare; 0 when the date is unknown."""
        return day_number(self.published)

    def as_metadata(self) -> dict[str, str | int]:
        """The fields as Chroma metadata (`id` is the record's own id, or `article_id` on a chunk)."""
        return {
            "title": self.title,
            "source": self.source,
            "author": self.author,
            "published": self.published,
            "published_day": self.published_day,
            "location": self.location,
            "date_inferred": self.date_inferred,
            "story": self.story,
        }

    def filled_from(self, other: ArticleMeta) -> ArticleMeta:
        """These fields, with the empty ones taken from `other` (a second reading of the same article)."""
        filled = {name: value for name, value in asdict(other).items() if not getattr(self, name) and name != "date_inferred"}
        if "published" in filled:  # whether a date was inferred goes with the date
            filled["date_inferred"] = other.date_inferred
        return replace(self, **filled)

    @classmethod
    def from_metadata(cls, article_id: str, meta: Mapping[str, Any]) -> ArticleMeta:
        return cls(
            id=article_id,
            title=str(meta.get("title", "")),
            source=str(meta.get("source", "")),
            author=str(meta.get("author", "")),
            published=str(meta.get("published", "")),
            location=str(meta.get("location", "")),
            date_inferred=bool(meta.get("date_inferred", False)),
            story=str(meta.get("story", "")),
        )


OPTIONAL_IN_HASH = ("source", "author", "published")
ADDED_TO_HASH = ("date_inferred",)  # fields newer than the hash: in it only when set, so older indexes keep their hashes
NOT_IN_HASH = ("story",)  # decided at ingest from the other articles, not read from the article


def day_number(published: str) -> int:
    return int(published.replace("-", "")) if published else 0


def page_at(page_starts: Sequence[int], offset: int) -> int | None:
    """The 1-based page holding `offset`, or None for an article without pages. An empty page shares its start with
    the next one, which then wins, as it should: nothing can be quoted from an empty page."""
    return bisect_right(page_starts, offset) if page_starts else None


def _offsets_to_metadata(offsets: Sequence[int]) -> str:
    return ",".join(map(str, offsets))


def _offsets_from_metadata(value: object) -> tuple[int, ...]:
    return tuple(int(part) for part in str(value).split(",")) if value else ()


@dataclass(frozen=True)
class Article:
    """One news article as loaded, before cleaning. A paged source (a PDF) keeps where each page begins in `text`:
    page n starts at page_starts[n - 1]; other sources have none."""

    meta: ArticleMeta
    text: str
    page_starts: tuple[int, ...] = ()

    @property
    def id(self) -> str:
        return self.meta.id

    def content_hash(self) -> str:
        """A hash of everything that ends up in the index, so a change to any of it re-indexes the article.
        The payload is the flat field set it has always been, so existing indexes keep their hashes."""
        fields = {**asdict(self.meta), "text": self.text}
        fields |= {name: fields[name] or None for name in OPTIONAL_IN_HASH}  # None, as the loaders once stored it
        for name in NOT_IN_HASH + tuple(name for name in ADDED_TO_HASH if not fields[name]):
            del fields[name]
        if self.page_starts:  # only paged articles hash their pages, so every other article keeps its hash
            fields["page_starts"] = list(self.page_starts)
        payload = json.dumps(fields, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as stored: its text and offsets into the cleaned article, and the article's metadata."""

    id: str
    meta: ArticleMeta
    index: int
    text: str
    start: int
    end: int
    page: int = 0  # the page the chunk starts on; 0 for an article without pages
    page_breaks: tuple[int, ...] = ()  # offsets (into the cleaned article) where later pages begin inside the chunk

    def page_at(self, offset: int) -> int | None:
        """The page of an offset into the cleaned article inside this chunk; None when the article has no pages."""
        return self.page + bisect_right(self.page_breaks, offset) if self.page else None

    def metadata(self) -> dict[str, str | int]:
        # Only paged chunks carry the page fields, so every other chunk's metadata is what it has always been.
        pages: dict[str, str | int] = (
            {"page": self.page, "page_breaks": _offsets_to_metadata(self.page_breaks)} if self.page else {}
        )
        return {
            "article_id": self.meta.id,
            "chunk_index": self.index,
            "start": self.start,
            "end": self.end,
            **self.meta.as_metadata(),
            **pages,
        }

    @classmethod
    def from_record(cls, chunk_id: str, text: str, meta: Mapping[str, Any]) -> StoredChunk:
        return cls(
            id=chunk_id,
            meta=ArticleMeta.from_metadata(str(meta["article_id"]), meta),
            index=int(meta["chunk_index"]),
            text=text,
            start=int(meta["start"]),
            end=int(meta["end"]),
            page=int(meta.get("page", 0)),
            page_breaks=_offsets_from_metadata(meta.get("page_breaks")),
        )


@dataclass(frozen=True)
class ArticleRecord:
    """An indexed article: its metadata, the manifest's content hash, and (when asked for) the cleaned text."""

    meta: ArticleMeta
    content_hash: str
    chunk_count: int
    text: str = ""  # the cleaned text, which citation offsets point into; empty when only metadata was asked for
    page_starts: tuple[int, ...] = ()  # where each page begins in the cleaned text, for a paged article (a PDF)
    signature: str = ""  # the text's MinHash (index/stories.py), which later ingests group new articles against

    @property
    def id(self) -> str:
        return self.meta.id

    def page_at(self, offset: int) -> int | None:
        return page_at(self.page_starts, offset)

    def metadata(self) -> dict[str, str | int]:
        extra = {"page_starts": _offsets_to_metadata(self.page_starts)} if self.page_starts else {}
        extra |= {"signature": self.signature} if self.signature else {}
        return {**self.meta.as_metadata(), "content_hash": self.content_hash, "chunk_count": self.chunk_count, **extra}

    @classmethod
    def from_record(cls, article_id: str, meta: Mapping[str, Any], text: str = "") -> ArticleRecord:
        return cls(
            meta=ArticleMeta.from_metadata(article_id, meta),
            content_hash=str(meta.get("content_hash", "")),
            chunk_count=int(meta.get("chunk_count", 0)),
            text=text,
            page_starts=_offsets_from_metadata(meta.get("page_starts")),
            signature=str(meta.get("signature", "")),
        )
