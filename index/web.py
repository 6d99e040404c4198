"""URLs → Articles: a page is one article, a feed is the pages its items link to.

What a response is read as depends on its Content-Type alone, through CONTENT_LOADERS (one line a type). A URL that
fails, for whatever reason, is one FetchFailure and never stops the others. Only the URLs given and the links of
the feeds among them are fetched, nothing a page links to.

A feed item whose page fails is a failure of its own (naming the item's URL and its feed); the feed's other items
are still read. The feed is then remembered without its ETag/Last-Modified, so the next `sync` reads it whole and
fetches the failed item again (the items read fine are asked only whether they changed). An article the failed item
gave earlier stays indexed as it was. Items that left a feed are forgotten by `sync`; their articles stay indexed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeAlias
from urllib.parse import urlsplit

from index.errors import InputError
from index.feeds import Feed, FeedItem, SeenFeed, SeenItem, parse_feed
from index.fetch import Download, Fetcher, FetchError, Validators
from index.html_page import html_article
from index.metadata import source_from_url
from index.pdf_text import pdf_article
from index.types import Article, ArticleMeta

log = logging.getLogger(__name__)
URL_SCHEMES = ("http://", "https://")


def is_url(source: str | Path) -> bool:
    """A source to fetch rather than a path to read (a Path never is: it would have lost the "//")."""
    return isinstance(source, str) and source.strip().lower().startswith(URL_SCHEMES)


def url_article_id(url: str) -> str:
    """The article id of a page: its URL without scheme and fragment ("example.com/news/a?id=3"), so the http and
    https forms of one page are one article."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    return host + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def page_article(download: Download) -> Article:
    """An HTML page as an article whose id comes from its final URL, which is also its location."""
    try:
        return html_article(download.text(), article_id=url_article_id(download.url), location=download.url)
    except InputError:
        raise FetchError(download.requested, "no article text on the page") from None


def pdf_download_article(download: Download) -> Article:
    """A text PDF at a URL, read as a .pdf file is (its pages kept for citations)."""
    try:
        return pdf_article(download.body, article_id=url_article_id(download.url), location=download.url)
    except InputError as err:  # "<location>: reason": the reason, for the URL's one line
        raise FetchError(download.requested, str(err).removeprefix(f"{download.url}: ")) from None


ContentLoader = Callable[[Download], Article | Feed]
CONTENT_LOADERS: dict[str, ContentLoader] = {
    "text/html": page_article,
    "application/xhtml+xml": page_article,
    "application/rss+xml": parse_feed,
    "application/atom+xml": parse_feed,
    "application/rdf+xml": parse_feed,  # RSS 1.0
    "application/xml": parse_feed,  # generic XML: read as a feed, and refused when feedparser finds none
    "text/xml": parse_feed,
    "application/pdf": pdf_download_article,
}
"""Content type → what reads it."""


def load(download: Download) -> Article | Feed:
    loader = CONTENT_LOADERS.get(download.content_type)
    if loader is None:
        accepted = "an HTML page, a PDF or an RSS/Atom feed"
        raise FetchError(download.requested, f"unsupported content type {download.content_type} (expected {accepted})")
    return loader(download)


@dataclass(frozen=True)
class FetchFailure:
    """One URL that gave nothing to index, and why (one line)."""

    url: str
    reason: str
    feed: str = ""  # the feed whose item this is; "" for a URL given directly

    def __str__(self) -> str:
        where = f"{self.url} (item of {self.feed})" if self.feed else self.url
        return f"{where}: {self.reason}"


@dataclass
class WebHarvest:
    """What reading a set of URLs gave: articles to index, failures, and the feeds to remember once indexed."""

    articles: list[Article] = field(default_factory=list)
    failures: list[FetchFailure] = field(default_factory=list)
    feeds: dict[str, SeenFeed] = field(default_factory=dict)
    not_modified: int = 0  # item pages a server said are unchanged since the last sync: nothing to index


@dataclass(frozen=True)
class _Page:
    article: Article
    validators: Validators  # of the page's response, for the next sync's conditional request


_Outcome: TypeAlias = _Page | Feed | FetchFailure | None  # None: not modified since the validators sent


@dataclass(frozen=True)
class _Task:
    url: str
    validators: Validators | None = None
    feed: Feed | None = None  # set for an item's page
    item: FeedItem | None = None
    seen: SeenItem | None = None  # what the last sync recorded for this item
    must_be_feed: bool = False  # a feed remembered for sync: a page there now is no feed's items


class WebReader:
    """Fetches URLs side by side (`workers` at once) and turns them into articles."""

    def __init__(self, fetcher: Fetcher, workers: int) -> None:
        self.fetcher = fetcher
        self.workers = workers

    def read(self, urls: Sequence[str]) -> WebHarvest:
        """Every URL fetched afresh (the user asked for them): pages, and feeds with all their items."""
        return self._harvest([_Task(url.strip()) for url in dict.fromkeys(urls)], {}, set())

    def sync(self, known: dict[str, SeenFeed], indexed: set[str]) -> WebHarvest:
        """The known feeds asked whether they changed; a changed feed's items likewise, when their article is still
        indexed (`indexed`: article ids); only what changed is fetched whole."""
        tasks = [_Task(url, seen.validators, must_be_feed=True) for url, seen in known.items()]
        return self._harvest(tasks, known, indexed)

    def _harvest(self, tasks: list[_Task], known: dict[str, SeenFeed], indexed: set[str]) -> WebHarvest:
        harvest = WebHarvest()
        items: list[_Task] = []
        for task, outcome in self._fetch_all(tasks):
            if isinstance(outcome, FetchFailure):
                harvest.failures.append(outcome)
            elif isinstance(outcome, _Page):
                harvest.articles.append(outcome.article)
            elif isinstance(outcome, Feed):
                previous = known.get(task.url, SeenFeed())
                harvest.feeds[task.url] = SeenFeed(outcome.title, outcome.validators.etag, outcome.validators.last_modified)
                items += [_item_task(outcome, item, previous.items.get(item.link), indexed) for item in outcome.items]
            # None: a feed unchanged since the last sync
        for task, outcome in self._fetch_all(items):
            _record_item(harvest, task, outcome)
        for failure in harvest.failures:
            if failure.feed:  # not remembered as read, so the next sync reads it again and retries its failed items
                feed = harvest.feeds[failure.feed]
                feed.etag = feed.last_modified = ""
        harvest.articles = _first_of_each_id(harvest.articles)
        log.info("%d articles read, %d unchanged, %d failed", len(harvest.articles), harvest.not_modified, len(harvest.failures))
        return harvest

    def _fetch_all(self, tasks: list[_Task]) -> Iterable[tuple[_Task, _Outcome]]:
        if not tasks:
            return []
        with ThreadPoolExecutor(max_workers=min(self.workers, len(tasks)), thread_name_prefix="fetch") as pool:
            return list(zip(tasks, pool.map(self._fetch_one, tasks), strict=True))

    def _fetch_one(self, task: _Task) -> _Outcome:
        """A page, a feed, a failure, or None when the server says nothing changed since `task.validators`."""
        feed_url = task.feed.url if task.feed else ""
        try:
            download = self.fetcher.get(task.url, task.validators)
            if download is None:
                return None
            loaded = load(download)
            if isinstance(loaded, Feed):
                if task.feed is not None:
                    raise FetchError(task.url, "a feed item that is itself a feed; ingest it as a feed of its own")
                return loaded
            if task.must_be_feed:
                raise FetchError(task.url, f"not an RSS or Atom feed any more ({download.content_type})")
            return _Page(_with_fallback_metadata(loaded, task.feed, task.item, download.url), download.validators)
        except FetchError as err:
            log.info("failed: %s", err)
            return FetchFailure(url=err.url, reason=err.reason, feed=feed_url)
        except Exception as err:  # a parser's surprise must not stop the other URLs
            log.exception("unexpected failure reading %s", task.url)
            return FetchFailure(url=task.url, reason=f"cannot be read ({type(err).__name__}: {err})", feed=feed_url)


def _record_item(harvest: WebHarvest, task: _Task, outcome: _Outcome) -> None:
    """An item page's outcome into the harvest, and what the next sync is to ask its server."""
    assert task.feed is not None and task.item is not None
    remembered = harvest.feeds[task.feed.url].items
    if isinstance(outcome, FetchFailure):
        harvest.failures.append(outcome)
        if task.seen:  # the indexed version is still the one those validators name
            remembered[task.item.link] = task.seen
    elif outcome is None:
        assert task.seen is not None
        harvest.not_modified += 1
        remembered[task.item.link] = task.seen
    elif isinstance(outcome, _Page):
        harvest.articles.append(outcome.article)
        validators = outcome.validators
        remembered[task.item.link] = SeenItem(outcome.article.id, validators.etag, validators.last_modified)
    else:
        raise AssertionError(f"an item read as {outcome!r}")


def _item_task(feed: Feed, item: FeedItem, seen: SeenItem | None, indexed: set[str]) -> _Task:
    still_indexed = seen is not None and seen.article_id in indexed  # else a 304 would leave it out of the index
    return _Task(item.link, seen.validators if seen and still_indexed else None, feed, item, seen)


def _with_fallback_metadata(article: Article, feed: Feed | None, item: FeedItem | None, url: str) -> Article:
    """What the page's own tags lack: from its feed the item's title and date and the feed's title as the outlet;
    failing those, the host as the outlet."""
    meta = article.meta
    if feed is not None and item is not None:
        if meta.date_inferred and item.published:  # the feed states the date the page only let us guess
            meta = replace(meta, published="", date_inferred=False)
        meta = meta.filled_from(ArticleMeta(id=meta.id, title=item.title, source=feed.title, published=item.published))
    meta = meta.filled_from(ArticleMeta(id=meta.id, title="", source=source_from_url(url)))
    return replace(article, meta=meta)  # its text and, for a PDF, its pages


def _first_of_each_id(articles: list[Article]) -> list[Article]:
    """One article per id: a page given directly and as a feed item, or two links redirected to one page."""
    kept: dict[str, Article] = {}
    for article in articles:
        if article.id in kept:
            log.info("%s: read twice; indexed once", article.meta.location)
        kept.setdefault(article.id, article)
    return list(kept.values())
