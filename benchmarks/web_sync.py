"""What `sync` costs against what a first ingest of a feed costs: a local news site on 127.0.0.1 (tests/news_site.py)
serving an RSS feed of N article pages; the shared int8 encoder, extractive backend, a fresh data directory.

    python benchmarks/web_sync.py [N]

Prints three lines: the first ingest of the feed, a sync with nothing changed (the feed answers 304), and a sync
after the feed and one item changed (every item asked conditionally; one page downloaded and re-embedded)."""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import _common  # noqa: F401  (puts the repository on sys.path)

from assistant import Assistant, Settings
from index.pipeline import IngestReport
from tests.news_site import NewsSite, article_page, rss20


def story(number: int) -> str:
    lines = [f"The council of town {number} met on Monday and approved budget line {number * 7} for roads."]
    lines += [f"Residents of town {number} said sentence {j} about the harbour and road {number + j}." for j in range(12)]
    return article_page(f"Town {number} budget", "Bench Courier", "2025-07-01", lines)


def main(count: int) -> None:
    site = NewsSite()
    items = []
    for number in range(count):
        site.put(f"/news/{number}.html", "text/html", story(number))
        items.append((f"Town {number}", site.url(f"/news/{number}.html"), "Tue, 01 Jul 2025 08:00:00 GMT"))
    site.put("/rss.xml", "application/rss+xml", rss20("Bench Courier", items))
    bot = Assistant(Settings(home=Path(tempfile.mkdtemp(prefix="web-sync-")), llm="extractive"))
    bot.encoder.encode(["warm up"])  # the encoder's loading stays out of the timings

    def timed(label: str, call: Callable[[], IngestReport]) -> None:
        site.requests.clear()
        started = time.perf_counter()
        report = call()
        seconds = time.perf_counter() - started
        print(
            f"{label}: {seconds:.2f} s, {len(site.requests)} requests, added {report.added} updated {report.updated} "
            f"unchanged {report.unchanged} chunks {report.chunks} failed {len(report.failed)}"
        )

    timed(f"ingest a feed of {count} items", lambda: bot.ingest([site.url("/rss.xml")]))
    timed("sync, nothing changed (feed 304)", bot.sync)
    site.put("/news/0.html", "text/html", article_page("Town 0 budget", "Bench Courier", "2025-07-01", ["A new bridge."]))
    site.put("/rss.xml", "application/rss+xml", site.resources["/rss.xml"].body + b"\n")
    timed("sync, feed and one item changed", bot.sync)
    site.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
