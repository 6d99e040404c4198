"""HTML pages → Articles: trafilatura's main text and metadata, html_text when it finds none, and PDFs page by page
(what the loaders make; the ingest → ask → cited page round trip is in tests/test_pdf_ingest.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from index.cleaning import clean_article, clean_text
from index.errors import InputError
from index.html_main import main_text_article
from index.html_page import html_article
from index.loaders import expand_paths, iter_articles
from index.pdf_text import pdf_article
from index.types import page_at
from tests.conftest import REPO
from tests.pdfs import text_pdf

BODY = [
    "The city council voted on Tuesday to rebuild the harbour wall that a winter storm broke in January.",
    "Repairs will cost 4.2 million pounds and start in May, the council's engineer, Ada Brook, told the meeting.",
    "Fishing crews have tied up in the next town since the storm, and several said they would return at once.",
    "The wall was last rebuilt in 1952, after a flood that reached the market square.",
]
FURNITURE = {
    "nav": "World Politics Business Sport Weather",
    "related": "Mayor opens new library in the old station building",
    "comment": "Gillian1962 wrote: this is a scandal and a waste of money",
    "footer": "Terms of use Privacy policy Contact the newsroom",
    "newsletter": "Get our morning briefing in your inbox",
}
NEWS_PAGE = f"""<!DOCTYPE html><html lang="en"><head><title>Harbour wall to be rebuilt | Coast Courier</title>
<meta property="og:title" content="Harbour wall to be rebuilt after storm">
<meta property="og:site_name" content="Coast Courier">
<meta name="author" content="Sam Reed">
<meta property="article:published_time" content="2025-02-11T08:30:00+00:00">
<script>window.analytics = "tracking";</script></head>
<body>
<header><nav><ul>{"".join(f'<li><a href="/{w.lower()}">{w}</a></li>' for w in FURNITURE["nav"].split())}</ul></nav></header>
<main><article>
<h1>Harbour wall to be rebuilt after storm</h1>
<p class="byline">By Sam Reed</p>
{"".join(f"<p>{line}</p>" for line in BODY[:2])}
<aside class="related-stories"><h3>Related stories</h3><ul>
<li><a href="/library">{FURNITURE["related"]}</a></li><li><a href="/tram">Tram line closes for a week of works</a></li>
</ul></aside>
{"".join(f"<p>{line}</p>" for line in BODY[2:])}
<div class="newsletter-signup"><p>{FURNITURE["newsletter"]}</p><form><input type="email"></form></div>
</article>
<section id="comments" class="comments"><h2>Comments</h2>
<div class="comment"><p>{FURNITURE["comment"]}</p></div></section>
</main>
<footer><p>{FURNITURE["footer"]}</p></footer></body></html>"""


def test_main_text_keeps_the_body_and_drops_navigation_comments_and_related_stories() -> None:
    article = html_article(NEWS_PAGE, article_id="harbour.html", location="/pages/harbour.html")
    for line in BODY:
        assert line in article.text
    for where, text in FURNITURE.items():
        assert text not in article.text, where
    assert "tracking" not in article.text


def test_metadata_comes_from_trafilatura() -> None:
    meta = html_article(NEWS_PAGE, article_id="harbour.html", location="/pages/harbour.html").meta
    assert meta.title == "Harbour wall to be rebuilt after storm"
    assert meta.source == "Coast Courier"
    assert meta.author == "Sam Reed"
    assert meta.published == "2025-02-11"
    assert meta.location == "/pages/harbour.html" and meta.id == "harbour.html"


def test_a_page_of_a_few_words_falls_back_to_the_visible_text() -> None:
    page = """<html><head><title>Notice</title></head><body><nav>Home | Archive</nav>
    <div><span>The ferry</span> <b>sails</b> at nine on Sunday.</div></body></html>"""
    main = main_text_article(page, article_id="n.html", location="n.html")
    assert main is not None and main.text == ""  # trafilatura found no main text of its own
    article = html_article(page, article_id="n.html", location="n.html")
    assert "The ferry sails at nine on Sunday." in article.text  # html_text's reading, inline tags kept on one line
    assert "Home | Archive" not in article.text


def test_a_page_with_no_visible_text_is_one_line() -> None:
    with pytest.raises(InputError, match=r"^empty\.html: no visible text in the HTML$"):
        html_article("<html><head><script>x = 1</script></head><body> </body></html>", article_id="e", location="empty.html")


def test_extraction_never_opens_a_socket(no_network: list[tuple[object, ...]]) -> None:
    url = "https://news.example.com/2025/02/11/harbour-wall"
    article = html_article(
        NEWS_PAGE.replace("<head>", f'<head><link rel="canonical" href="{url}">'), article_id="h", location=url
    )
    assert BODY[0] in article.text
    assert no_network == []


def test_commands_do_not_import_trafilatura_or_pypdf_until_they_read_such_a_file() -> None:
    probe = "import sys, assistant.cli, index.loaders, index.pipeline; print(sorted({'trafilatura', 'pypdf'} & set(sys.modules)))"
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == "[]"


def test_cleaned_html_text_still_holds_every_body_sentence_exactly() -> None:
    cleaned = clean_text(html_article(NEWS_PAGE, article_id="h", location="h").text)
    for line in BODY:
        start = cleaned.index(line)
        assert cleaned[start : start + len(line)] == line


PAGES = [
    [
        "Harbour reopens after storm",
        "By Jo Smith",
        "Published: March 4, 2025",
        "The harbour reopened on Monday after a week of repairs to the wall, the mayor said.",
    ],
    ["Share", "Repairs cost four million pounds, the council said."],
    [],  # a page with nothing on it but a shape
    ["The storm was the worst in forty years."],
]


def test_pdf_pages_start_where_their_text_starts() -> None:
    article = pdf_article(text_pdf(PAGES, title="Harbour reopens after storm"), article_id="h.pdf", location="h.pdf")
    assert article.meta.title == "Harbour reopens after storm"
    assert article.meta.author == "Jo Smith" and article.meta.published == "2025-03-04"  # from the byline and date lines
    assert len(article.page_starts) == 4
    for number, lines in enumerate(PAGES, start=1):
        if lines:
            assert article.text[article.page_starts[number - 1] :].startswith(lines[0])
            assert page_at(article.page_starts, article.text.index(lines[-1])) == number


def test_cleaning_carries_page_starts_over() -> None:
    article = pdf_article(text_pdf(PAGES), article_id="h.pdf", location="h.pdf")
    cleaned = clean_article(article.text, article.page_starts)
    assert cleaned.text == clean_text(article.text)
    assert "Share" not in cleaned.text  # boilerplate out, so page 2 now starts at its second line
    assert cleaned.text[cleaned.page_starts[1] :].startswith("Repairs cost")
    for number, sentence in ((1, "The harbour reopened"), (2, "Repairs cost"), (4, "The storm was the worst")):
        assert page_at(cleaned.page_starts, cleaned.text.index(sentence)) == number


def test_a_wrapped_pdf_sentence_stays_one_paragraph() -> None:
    lines = [
        "The council's engineer said the new wall would be built from granite blocks quarried",
        "in the county, and that the work would take about eight months to finish.",
        "Boats will use the north quay until then.",
    ]
    article = pdf_article(text_pdf([lines]), article_id="w.pdf", location="w.pdf")
    assert f"{lines[0]} {lines[1]}" in article.text.splitlines()


def test_a_pdf_locked_only_for_editing_is_read() -> None:
    data = text_pdf([["Open to read, locked against editing."]], owner_password="owner")
    assert "Open to read, locked against editing." in pdf_article(data, article_id="o.pdf", location="o.pdf").text


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("scan.pdf", text_pdf([[], []]), "the PDF has no text layer (a scan?); run OCR on it first"),
        ("locked.pdf", text_pdf([["Secret budget figures."]], password="pw"), "the PDF is encrypted (it needs a password)"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj garbage", "not a readable PDF"),
        ("cut.pdf", text_pdf([["Some text on a page."]])[:300], "not a readable PDF"),
        ("empty.pdf", b"", "empty file"),
    ],
)
def test_bad_pdfs_give_one_clear_line(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError) as caught:
        list(iter_articles(expand_paths([path]), max_bytes=10**6))
    text = str(caught.value)
    assert text.startswith(f"{path}: ") and message in text and "\n" not in text
