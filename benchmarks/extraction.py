"""How much of a news article's body each HTML extractor keeps, and how much page furniture it lets through.

Each page in PAGES_DIR is `<name>.html`; its reference body is the text of the elements that the manifest's
`body_xpath` selects in that page (the publisher's own article-body container, e.g. itemprop="articleBody"),
without the descendants `exclude_xpath` selects (share buttons, ads inside it). The manifest
(benchmarks/extraction/pages.json) says where each page comes from: repository, path, commit.

Per page and extractor, on lower-cased word tokens (multisets):
  - body recall: the share of the reference body's tokens that the extracted text holds;
  - furniture share: the share of the extracted text's tokens that are not in the reference body;
  - sentence recall: the share of the reference body's sentences (8 words or more) found whole in the extracted text;
  - time: milliseconds per page (each extractor is warmed up, imports included, before the clocks start).
The table gives the mean over pages (and the pages where an extractor found nothing).

    .venv/bin/python benchmarks/extraction.py PAGES_DIR [--manifest benchmarks/extraction/pages.json] [--per-page]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # `python benchmarks/extraction.py` from anywhere
    sys.path.insert(0, str(REPO))

from _common import machine  # noqa: E402

from index.cleaning import clean_text  # noqa: E402
from index.html_main import main_text_article  # noqa: E402
from index.html_page import html_article  # noqa: E402
from index.html_text import html_to_article  # noqa: E402

MANIFEST = REPO / "benchmarks" / "extraction" / "pages.json"
WORD = re.compile(r"\w+")
SENTENCE = re.compile(r"(?<=[.!?])\s+")
MIN_SENTENCE_WORDS = 8

Extractor = Callable[[str, str], str]  # (html, location) → extracted text


def _trafilatura(**options: object) -> Extractor:
    def extract(html: str, location: str) -> str:
        article = main_text_article(html, article_id="page", location=location, **options)
        return article.text if article else ""  # "" where ingest falls back to html_text

    return extract


EXTRACTORS: dict[str, Extractor] = {
    "html_text (before: visible text)": lambda html, where: html_to_article(html, article_id="page", location=where).text,
    "trafilatura, balanced (default)": _trafilatura(),
    "trafilatura, favor_precision": _trafilatura(favor_precision=True),
    "trafilatura, favor_recall": _trafilatura(favor_recall=True),
    "ingest (html_article + cleaning)": lambda html, where: clean_text(
        html_article(html, article_id="page", location=where).text
    ),
}


@dataclass(frozen=True)
class Score:
    body_recall: float
    furniture_share: float
    sentence_recall: float
    found_nothing: bool
    seconds: float = 0.0


def reference_body(html: str, body_xpath: str, exclude_xpath: list[str]) -> str:
    """The text of the publisher's article-body elements, without what exclude_xpath selects inside them."""
    import lxml.html

    tree = lxml.html.fromstring(html)
    for element in tree.xpath("//script|//style|//noscript"):
        element.drop_tree()
    parts = []
    for body in tree.xpath(body_xpath):
        for pattern in exclude_xpath:
            for element in body.xpath(pattern):
                element.drop_tree()
        parts.append(body.text_content())
    return "\n".join(parts)


def tokens(text: str) -> Counter[str]:
    return Counter(WORD.findall(text.lower()))


def score(extracted: str, reference: str) -> Score:
    wanted, got = tokens(reference), tokens(extracted)
    shared = sum((wanted & got).values())
    flat = " ".join(WORD.findall(extracted.lower()))
    sentences = [s for s in SENTENCE.split(" ".join(reference.split())) if len(WORD.findall(s)) >= MIN_SENTENCE_WORDS]
    whole = sum(" ".join(WORD.findall(s.lower())) in flat for s in sentences)
    return Score(
        body_recall=shared / max(1, sum(wanted.values())),
        furniture_share=1 - shared / sum(got.values()) if got else 0.0,
        sentence_recall=whole / max(1, len(sentences)),
        found_nothing=not got,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pages_dir", type=Path, help="folder with <name>.html for every page in the manifest")
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    parser.add_argument("--per-page", action="store_true", help="also print every page's scores")
    args = parser.parse_args()

    pages = json.loads(args.manifest.read_text(encoding="utf-8"))
    missing = [p["name"] for p in pages if not (args.pages_dir / f"{p['name']}.html").is_file()]
    if missing:
        sys.exit(f"error: {args.pages_dir} lacks {', '.join(m + '.html' for m in missing)} (see {args.manifest})")
    print(f"machine: {machine()}\n{len(pages)} pages from {args.manifest.relative_to(REPO)}\n")
    scores: dict[str, list[Score]] = {name: [] for name in EXTRACTORS}
    for extract in EXTRACTORS.values():  # imports and warms every extractor before any clock starts
        extract("<html><body><p>warm up</p></body></html>", "warm-up")
    for page in pages:
        html = (args.pages_dir / f"{page['name']}.html").read_text(encoding="utf-8")
        reference = reference_body(html, page["body_xpath"], page.get("exclude_xpath", []))
        if not WORD.search(reference):
            sys.exit(f"error: {page['name']}: body_xpath {page['body_xpath']!r} selects no text")
        for name, extract in EXTRACTORS.items():
            started = time.perf_counter()
            extracted = extract(html, page.get("url", page["name"]))
            result = replace(score(extracted, reference), seconds=time.perf_counter() - started)
            scores[name].append(result)
            if args.per_page:
                print(f"{page['name']:<24} {name:<34} recall {result.body_recall:.3f}  furniture {result.furniture_share:.3f}"
                      f"  sentences {result.sentence_recall:.3f}")  # fmt: skip
    print("| extractor | body recall (tokens) | sentence recall | furniture share | found nothing | ms per page |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, results in scores.items():
        mean = {field: statistics.fmean(getattr(r, field) for r in results) for field in ("body_recall", "sentence_recall",
                                                                                           "furniture_share")}  # fmt: skip
        nothing = sum(r.found_nothing for r in results)
        milliseconds = 1000 * statistics.fmean(r.seconds for r in results)
        print(f"| {name} | {mean['body_recall']:.3f} | {mean['sentence_recall']:.3f} | {mean['furniture_share']:.3f} | "
              f"{nothing}/{len(results)} | {milliseconds:.0f} |")  # fmt: skip


if __name__ == "__main__":
    main()
