"""URLs and feeds (issue 15, item 1) against a real HTTP server on 127.0.0.1 that each test starts (tests/news_site.py):
pages and RSS/Atom feeds ingested, answered with citations to the item's URL, `sync` with conditional requests,
and every failure class as one line while the other URLs are indexed. No outside network: the CLI test runs under
tests/netguard.c, which also shows that only the URLs given (and the feeds' item links) were fetched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant
from index.errors import StoreError
from index.feeds import KnownFeeds, SeenFeed, SeenItem, parse_feed
from index.fetch import Download, Fetcher, FetchError, FetchSettings, Validators
from index.web import CONTENT_LOADERS, WebReader, is_url, pdf_download_article, url_article_id
from tests.conftest import REPO, SEEDS
from tests.news_site import NewsSite, article_page, atom, rss20
from tests.pdfs import text_pdf
from tests.servers import free_port
from tests.test_pdf_ingest import REPORT_PAGES

PORT_ELSWORTH = article_page(
    "Port Elsworth opens bids for ferry terminal",
    "The Coast Courier",
    "2025-07-01",
    [
        "The Port Elsworth harbour authority said on Tuesday that its new ferry terminal will open in March 2026.",
        "The terminal will cost 45 million euros, said the harbour director of Port Elsworth, Mirela Vance.",
        "Local fishermen asked for a separate quay so that their boats are not crowded out by the ferries.",
    ],
)
GLENMOOR = article_page(
    "Glenmoor library to open on Sundays",
    "The Coast Courier",
    "2025-07-02",
    [
        "The Glenmoor town council voted to open the public library on Sundays from September.",
        "Librarian Tomas Okafor said Sunday opening had been requested by students preparing for exams.",
    ],
)
GLENMOOR_CHANGED = GLENMOOR.replace("from September", "from October, a month later than planned")
KESTREL = article_page(
    "Kestrel Valley wind farm approved",
    "Upland Gazette",
    "2025-07-03",
    [
        "Regulators approved the Kestrel Valley wind farm, which will add 120 turbines to the regional grid.",
        "Construction of the Kestrel Valley turbines is to begin in spring and take three years.",
    ],
)


@pytest.fixture
def site() -> Iterator[NewsSite]:
    news = NewsSite()
    news.put("/news/port-elsworth.html", "text/html; charset=utf-8", PORT_ELSWORTH)
    news.put("/news/glenmoor.html", "text/html; charset=utf-8", GLENMOOR)
    news.put("/news/kestrel.html", "text/html", KESTREL)
    news.put(
        "/rss.xml",
        "application/rss+xml",
        rss20(
            "The Coast Courier",
            [
                ("Port Elsworth opens bids", news.url("/moved/port-elsworth.html"), "Tue, 01 Jul 2025 08:00:00 GMT"),
                ("Glenmoor library", news.url("/news/glenmoor.html"), "Wed, 02 Jul 2025 08:00:00 GMT"),
            ],
        ),
    )
    news.put("/atom.xml", "application/atom+xml", atom("Upland Gazette", [("Kestrel", "/news/kestrel.html", "2025-07-03")]))
    yield news
    news.close()


def fetch_settings(**overrides: object) -> FetchSettings:
    fields: dict[str, object] = {"timeout": 1.0, "user_agent": "test-agent/1", "max_redirects": 5, "max_bytes": 50_000}
    return FetchSettings(**(fields | overrides))  # type: ignore[arg-type]


def download(body: str, content_type: str, url: str = "http://127.0.0.1:9/feed") -> Download:
    return Download(url, url, content_type, "", body.encode(), Validators())


# --- units: feeds, ids, the registry -------------------------------------------------------------------------------
RSS091 = (
    '<?xml version="1.0"?><rss version="0.91"><channel><title>Old Wire</title><link>http://w.example/</link>'
    "<description>d</description><item><title>One</title><link>http://w.example/1</link></item></channel></rss>"
)
RSS10 = (
    '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"'
    ' xmlns:dc="http://purl.org/dc/elements/1.1/"><channel rdf:about="http://w.example/"><title>RDF Wire</title>'
    '<link>http://w.example/</link><description>d</description></channel><item rdf:about="http://w.example/2">'
    "<title>Two</title><link>http://w.example/2</link><dc:date>2025-07-02T10:00:00Z</dc:date></item></rdf:RDF>"
)


@pytest.mark.parametrize(
    ("body", "content_type", "title", "links", "published"),
    [
        (RSS091, "application/rss+xml", "Old Wire", ["http://w.example/1"], [""]),
        (RSS10, "application/rdf+xml", "RDF Wire", ["http://w.example/2"], ["2025-07-02"]),
        (
            rss20("New Wire", [("Three", "http://w.example/3", "Thu, 03 Jul 2025 08:00:00 GMT")]),
            "application/rss+xml",
            "New Wire",
            ["http://w.example/3"],
            ["2025-07-03"],
        ),
        (
            atom("Atom Wire", [("Four", "/4", "2025-07-04T00:00:00Z")]),
            "text/xml",
            "Atom Wire",
            ["http://127.0.0.1:9/4"],
            ["2025-07-04"],
        ),
    ],
    ids=["rss-0.91", "rss-1.0", "rss-2.0", "atom-relative-link"],
)
def test_every_feed_kind_gives_its_items(
    body: str, content_type: str, title: str, links: list[str], published: list[str]
) -> None:
    feed = parse_feed(download(body, content_type))
    assert feed.title == title
    assert [i.link for i in feed.items] == links
    assert [i.published for i in feed.items] == published


def test_a_feed_that_is_not_a_feed_is_one_reason() -> None:
    with pytest.raises(FetchError) as raised:
        parse_feed(download("<html><body><p>Just a page</p></body></html>", "application/rss+xml"))
    assert raised.value.reason.startswith("not an RSS or Atom feed")
    assert str(raised.value).startswith("http://127.0.0.1:9/feed: not an RSS or Atom feed")


def test_urls_are_told_from_paths_and_give_stable_ids() -> None:
    assert is_url("https://example.com/a") and is_url(" HTTP://example.com/a")
    assert not is_url("seeds/") and not is_url(Path("https://example.com/a")) and not is_url("ftp://example.com/a")
    assert url_article_id("https://Example.com:8443/news/a.html?id=3#top") == "example.com:8443/news/a.html?id=3"
    assert url_article_id("http://example.com/news/a.html") == url_article_id("https://example.com/news/a.html")
    assert url_article_id("http://example.com") == "example.com/"


def test_the_content_type_registry_reads_pages_and_feeds_only() -> None:
    assert {t for t, loader in CONTENT_LOADERS.items() if loader.__name__ == "page_article"} == {
        "text/html",
        "application/xhtml+xml",
    }
    assert CONTENT_LOADERS["application/pdf"] is pdf_download_article


def test_known_feeds_round_trip_and_a_damaged_file_is_one_line(tmp_path: Path) -> None:
    known = KnownFeeds(tmp_path)
    assert known.load() == {}
    feeds = {"http://x/rss": SeenFeed("X", '"e1"', "Tue, 01 Jul 2025 08:00:00 GMT", {"http://x/1": SeenItem("x/1", '"i1"')})}
    known.save(feeds)
    assert known.load() == feeds
    assert [p.name for p in tmp_path.iterdir()] == ["feeds.json"]  # no temporary file left behind
    known.path.write_text("{not json")
    with pytest.raises(StoreError, match=r"feeds\.json: cannot be read .*; fix or delete it$"):
        known.load()


# --- the fetcher against the real server ---------------------------------------------------------------------------
def test_a_fetch_follows_redirects_sends_the_user_agent_and_honours_validators(site: NewsSite) -> None:
    with Fetcher(fetch_settings()) as fetcher:
        page = fetcher.get(site.url("/moved/glenmoor.html"))
        assert page is not None
        assert page.url == site.url("/news/glenmoor.html") and page.content_type == "text/html" and page.charset == "utf-8"
        assert "Glenmoor town council" in page.text()
        assert fetcher.get(site.url("/news/glenmoor.html"), page.validators) is None  # 304
        site.put("/news/glenmoor.html", "text/html", GLENMOOR_CHANGED)
        changed = fetcher.get(site.url("/news/glenmoor.html"), page.validators)
        assert changed is not None and "October" in changed.text()
    assert {r.user_agent for r in site.requests} == {"test-agent/1"}
    assert [(r.status, r.conditional) for r in site.requested("/news/glenmoor.html")] == [(200, False), (304, True), (200, True)]


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/slow", "timed out after 1 s (ASSISTANT_FETCH_TIMEOUT)"),
        ("/loop", "too many redirects (more than 5)"),
        ("/huge", "the body is over the 0.05 MB limit (ASSISTANT_MAX_FILE_MB); not read further"),
        ("/missing", "HTTP 404 Not Found"),
    ],
)
def test_each_way_a_fetch_fails_is_one_reason(site: NewsSite, path: str, reason: str) -> None:
    with Fetcher(fetch_settings()) as fetcher, pytest.raises(FetchError) as raised:
        fetcher.get(site.url(path))
    assert raised.value.reason == reason
    assert raised.value.url == site.url(path)


def test_a_declared_length_over_the_limit_is_refused_before_reading(site: NewsSite) -> None:
    site.put("/news/long.html", "text/html", "<p>" + "y" * 80_000 + "</p>")
    with Fetcher(fetch_settings()) as fetcher, pytest.raises(FetchError) as raised:
        fetcher.get(site.url("/news/long.html"))
    assert raised.value.reason == "the body of 0.08 MB is over the 0.05 MB limit (ASSISTANT_MAX_FILE_MB); not read further"


def test_a_refused_connection_is_one_reason() -> None:
    url = f"http://127.0.0.1:{free_port()}/nothing-listens"
    with Fetcher(fetch_settings()) as fetcher, pytest.raises(FetchError) as raised:
        fetcher.get(url)
    assert raised.value.reason.startswith("cannot connect (") and "\n" not in raised.value.reason


def test_a_page_given_directly_and_as_a_feed_item_is_read_once(site: NewsSite) -> None:
    with Fetcher(fetch_settings()) as fetcher:
        harvest = WebReader(fetcher, workers=2).read([site.url("/news/glenmoor.html"), site.url("/rss.xml")])
    assert harvest.failures == []
    assert sorted(a.meta.location for a in harvest.articles) == [
        site.url("/news/glenmoor.html"),
        site.url("/news/port-elsworth.html"),
    ]
    assert list(harvest.feeds) == [site.url("/rss.xml")]


def test_a_remembered_feed_that_became_a_page_is_one_failure(site: NewsSite) -> None:
    site.put("/rss.xml", "text/html", GLENMOOR)
    with Fetcher(fetch_settings()) as fetcher:
        harvest = WebReader(fetcher, workers=2).sync({site.url("/rss.xml"): SeenFeed("The Coast Courier")}, set())
    assert [str(f) for f in harvest.failures] == [f"{site.url('/rss.xml')}: not an RSS or Atom feed any more (text/html)"]
    assert harvest.articles == [] and harvest.feeds == {}


# --- the real pipeline: encoder, Chroma, extractive answers ----------------------------------------------------------
def test_a_feed_is_ingested_and_answered_with_a_citation_to_the_item_url(make_settings, encoder, site: NewsSite) -> None:
    bot = Assistant(make_settings(), encoder=encoder)
    report = bot.ingest([site.url("/rss.xml"), site.url("/atom.xml")])
    assert (report.added, report.updated, report.unchanged, report.failed) == (3, 0, 0, [])
    assert bot.feeds() == [site.url("/atom.xml"), site.url("/rss.xml")]

    answer = bot.ask("Who is the harbour director of Port Elsworth?", as_of="2025-07-10")
    assert not answer.refused and "Mirela Vance" in answer.text
    cited = answer.citations[0].meta
    # the item linked /moved/…, which redirected: the article is the page it ended at
    assert cited.location == site.url("/news/port-elsworth.html")
    assert cited.id == url_article_id(site.url("/news/port-elsworth.html"))
    assert (cited.title, cited.source, cited.published) == (
        "Port Elsworth opens bids for ferry terminal",
        "The Coast Courier",
        "2025-07-01",
    )
    record = bot.article(cited.id)
    assert record is not None and record.text[answer.citations[0].start : answer.citations[0].end] == answer.citations[0].quote
    assert "Home | World" not in record.text  # the page's navigation is not article text

    kestrel = next(a for a in bot.sources() if "Kestrel" in a.meta.title)
    assert kestrel.meta.location == site.url("/news/kestrel.html")  # an Atom item's relative link, resolved


def test_a_pdf_at_a_url_is_cited_with_its_url_and_page(make_settings, encoder, site: NewsSite) -> None:
    site.put("/reports/portwick.pdf", "application/pdf", text_pdf(REPORT_PAGES, title="Harbour wall to be rebuilt"))
    site.put("/reports/scan.pdf", "application/pdf", text_pdf([[]]))
    bot = Assistant(make_settings(), encoder=encoder)
    report = bot.ingest([site.url("/reports/portwick.pdf"), site.url("/reports/scan.pdf")])
    assert report.added == 1 and len(report.failed) == 1 and report.failed[0].startswith(site.url("/reports/scan.pdf") + ": ")
    assert "no text layer" in report.failed[0]
    answer = bot.ask("When was the Portwick harbour wall last rebuilt?")
    cited = next(c for c in answer.citations if "1952" in c.quote)
    assert cited.meta.location == site.url("/reports/portwick.pdf") and cited.page == 3


def test_sync_reembeds_only_the_changed_item_and_a_304_feed_costs_nothing(make_settings, encoder, site: NewsSite) -> None:
    bot = Assistant(make_settings(), encoder=encoder)
    bot.ingest([site.url("/rss.xml"), site.url("/atom.xml")])
    glenmoor_id = url_article_id(site.url("/news/glenmoor.html"))
    others = sorted(c for a in bot.sources() if a.id != glenmoor_id for c in bot.store.chunk_ids_of(a.id))
    before = {chunk.id: vector for chunk, vector in bot.store.get_chunks_with_vectors(others)}

    site.put("/news/glenmoor.html", "text/html; charset=utf-8", GLENMOOR_CHANGED)
    site.put("/rss.xml", "application/rss+xml", site.resources["/rss.xml"].body + b"\n")  # a new feed version, same items
    site.requests.clear()
    report = bot.sync()
    # unchanged: the Port Elsworth page answered 304; the Atom feed did, so its item was not asked for at all
    assert (report.added, report.updated, report.removed, report.unchanged, report.failed) == (0, 1, 0, 1, [])
    assert report.chunks == len(bot.store.chunk_ids_of(glenmoor_id)) > 0
    seen = [(r.path, r.status, r.conditional) for r in site.requests]
    assert sorted(seen) == [
        ("/atom.xml", 304, True),
        ("/moved/port-elsworth.html", 301, True),
        ("/news/glenmoor.html", 200, True),
        ("/news/port-elsworth.html", 304, True),
        ("/rss.xml", 200, True),
    ]
    after = {chunk.id: vector for chunk, vector in bot.store.get_chunks_with_vectors(others)}
    assert sorted(after) == sorted(before) == others
    assert all(np.array_equal(before[cid], after[cid]) for cid in others)
    answer = bot.ask("From when will the Glenmoor library open on Sundays?", as_of="2025-07-10")
    assert "October" in answer.text

    site.requests.clear()
    again = bot.sync()
    assert (again.added, again.updated, again.unchanged, again.chunks, again.failed) == (0, 0, 0, 0, [])
    assert sorted((r.path, r.status) for r in site.requests) == [("/atom.xml", 304), ("/rss.xml", 304)]


def test_a_failing_item_is_reported_with_its_feed_and_tried_again_by_the_next_sync(
    make_settings, encoder, site: NewsSite
) -> None:
    site.put(
        "/mixed.xml",
        "application/rss+xml",
        rss20("Mixed", [("Gone", site.url("/news/gone.html"), ""), ("Kestrel", site.url("/news/kestrel.html"), "")]),
    )
    bot = Assistant(make_settings(), encoder=encoder)
    report = bot.ingest([site.url("/mixed.xml")])
    assert report.added == 1
    assert report.failed == [f"{site.url('/news/gone.html')} (item of {site.url('/mixed.xml')}): HTTP 404 Not Found"]

    site.put("/news/gone.html", "text/html", GLENMOOR)
    site.requests.clear()
    synced = bot.sync()
    assert (synced.added, synced.unchanged, synced.failed) == (1, 1, [])
    assert [(r.status, r.conditional) for r in site.requested("/news/gone.html")] == [(200, False)]


# --- the real command, as a process, under the network guard -------------------------------------------------------
def test_the_cli_reports_each_failing_url_in_one_line_and_ingests_the_rest(
    tmp_path: Path, site: NewsSite, guard_library: Path
) -> None:
    site.put("/empty.html", "text/html", "<html><body><nav>Home</nav><script>x()</script></body></html>")
    site.put("/photo.png", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(64))
    site.put("/fake-feed.xml", "application/rss+xml", "<html><body><p>not a feed</p></body></html>")
    site.put("/broken", "text/html", "<p>oops</p>", status=500)
    refused = f"http://127.0.0.1:{free_port()}/news"
    unresolvable = "http://no-such-host.invalid/news"
    failing = {
        site.url("/slow"): "timed out after 1 s (ASSISTANT_FETCH_TIMEOUT)",
        site.url("/loop"): "too many redirects (more than 3)",
        site.url("/huge"): "the body is over the 0.05 MB limit (ASSISTANT_MAX_FILE_MB); not read further",
        site.url("/photo.png"): "unsupported content type image/png (expected an HTML page, a PDF or an RSS/Atom feed)",
        site.url("/missing"): "HTTP 404 Not Found",
        site.url("/broken"): "HTTP 500 Internal Server Error",
        refused: "cannot connect (",
        unresolvable: "cannot connect (",
        site.url("/fake-feed.xml"): "not an RSS or Atom feed",
        site.url("/empty.html"): "no article text on the page",
    }
    article_file = tmp_path / "local.txt"
    article_file.write_text("Harbour notes\n\nThe Port Elsworth harbour opens a new quay for fishing boats next year.\n")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "ASSISTANT_HOME": str(tmp_path / "home"),
        "ASSISTANT_SEEDS_DIR": str(SEEDS),
        "ASSISTANT_LLM": "extractive",
        "ASSISTANT_ENCODER_CACHE": os.environ["ASSISTANT_ENCODER_CACHE"],  # set by conftest
        "ASSISTANT_FETCH_TIMEOUT": "1",
        "ASSISTANT_FETCH_MAX_REDIRECTS": "3",
        "ASSISTANT_MAX_FILE_MB": "0.05",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "LD_PRELOAD": str(guard_library),
        "NETGUARD_LOG": str(tmp_path / "network.log"),
        "PYTHONPATH": str(REPO),
    }
    sources = [site.url("/rss.xml"), str(article_file), *failing, site.url("/news/kestrel.html")]

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "assistant", *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300
        )

    done = cli("ingest", *sources, "--json")
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == len(failing), done.stderr
    for url, reason in failing.items():
        assert sum(line.startswith(f"error: {url}: {reason}") for line in lines) == 1, (url, done.stderr)
    report = json.loads(done.stdout)
    assert (report["added"], report["updated"], len(report["failed"])) == (4, 0, len(failing))

    listed = cli("sources", "--json")
    assert listed.returncode == 0, listed.stderr
    locations = sorted(row["location"] for row in json.loads(listed.stdout))
    assert locations == sorted(
        [
            str(article_file),
            site.url("/news/glenmoor.html"),
            site.url("/news/kestrel.html"),
            site.url("/news/port-elsworth.html"),
        ]
    )
    # nothing but the URLs given and the feed's item links: the one name outside 127.0.0.1 was refused by the guard
    assert (tmp_path / "network.log").read_text().splitlines() == ["getaddrinfo no-such-host.invalid"]
    fetched = {r.path for r in site.requests}
    assert fetched == {
        "/rss.xml", "/moved/port-elsworth.html", "/news/port-elsworth.html", "/news/glenmoor.html", "/news/kestrel.html",
        "/slow", "/loop", "/huge", "/photo.png", "/missing", "/broken", "/fake-feed.xml", "/empty.html",
    }  # fmt: skip
