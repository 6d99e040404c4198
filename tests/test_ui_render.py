"""What the web UI renders: escaping, [n] links, refusals, errors and the sources panel (no browser, no server)."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import pytest

from assistant import Answer, Assistant, Citation
from assistant.ui.render import (
    EMPTY_PANEL,
    answer_message,
    cite_id,
    error_message,
    escape_text,
    sources_panel,
    streaming_message,
)
from tests.conftest import AKAZAWA_ARTICLE
from tests.fakes import make_passage

PAYLOAD = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2"> ${alert(3)} {{constructor}}'
TAG = re.compile(r"<\s*(script|img|iframe|svg)\b", re.IGNORECASE)


def article_with(quote: str, before: str = "Intro line.\n", after: str = "\nClosing line.") -> tuple[str, int, int]:
    text = before + quote + after
    return text, len(before), len(before) + len(quote)


def make_answer(text: str, quote: str, start: int, end: int, *, location: str = "/data/a.txt", refused: bool = False) -> Answer:
    passage = make_passage(1, quote, article_id="a.txt", title="Title <b>", source="Outlet", location=location, start=start)
    other = make_passage(2, "An uncited <i>passage</i>.", article_id="a.txt", title="Other & co", source="Outlet")
    citations = [] if refused else [
        Citation(number=1, meta=passage.meta, quote=quote, start=start, end=end, score=0.5, chunk_id="c1")
    ]  # fmt: skip
    return Answer(question="Q <u>?", text=text, refused=refused, citations=citations, passages=[passage, other])


@pytest.mark.parametrize(
    "text",
    [
        PAYLOAD,
        "*bold* _it_ `code` [link](http://x.example) ![img](x.png) a | b ~~s~~",
        "# Heading\n1. item\n- item\n+ item\n---\n    indented code\n> quote",
        "Tariffs of $5 and $6, U.S. e-mail: see https://example.com and www.example.com",
        'Japan\'s "chief" negotiator & co',
    ],
)
def test_escaped_text_reads_back_as_the_same_characters(text: str) -> None:
    escaped = escape_text(text)
    assert not TAG.search(escaped)
    assert "<" not in escaped and ">" not in escaped
    for syntax in ("*", "_", "`", "[", "]", "|", "~", "://", "www."):
        assert syntax not in escaped
    # The browser decodes the entities back into exactly the text (less the indentation that would make code).
    assert html.unescape(escaped) == "\n".join(line.lstrip() for line in text.split("\n"))


def test_valid_markers_become_links_to_their_source_card_and_others_stay_text() -> None:
    quote = "Akazawa said the deal is near."
    _, start, end = article_with(quote)
    answer = make_answer(f"{quote} [1] Not a source [7]. {PAYLOAD}", quote, start, end)
    message = answer_message(answer, turn=3)
    links = re.findall(r'<a class="cite" href="#([^"]+)" title="([^"]*)">&#91;(\d+)&#93;</a>', message)
    assert links == [(cite_id(3, 1), "Title &lt;b&gt;", "1")]
    assert "[7]" not in message and "&#91;7&#93;" in message
    assert not TAG.search(message)
    assert html.unescape(message.split("</a>")[1]).endswith(PAYLOAD)


def test_refusals_and_errors_are_framed_and_carry_no_links() -> None:
    refusal = make_answer("The articles I have don't answer this question.", "", 0, 0, refused=True)
    message = answer_message(refusal, turn=0)
    assert message.startswith('<div class="refusal">') and "cite" not in message
    error = error_message(f"since={PAYLOAD!r} is not a date")
    assert error.startswith('<div class="chat-error">') and not TAG.search(error)
    assert streaming_message("partial [1] <b>") == "partial &#91;1&#93; &lt;b&gt;"


def test_sources_panel_highlights_the_quote_inside_its_article() -> None:
    quote = "The minister said <script>talks</script> would resume."
    text, start, end = article_with(quote, before=f"Before {PAYLOAD}\n")
    answer = make_answer(f"{quote} [1]", quote, start, end)
    panel = sources_panel(answer, turn=2, lookup=lambda article_id: text if article_id == "a.txt" else None)
    assert f'id="{cite_id(2, 1)}"' in panel
    assert not TAG.search(panel)
    marked = re.search(r"<mark>(.*?)</mark>", panel, re.S)
    assert marked and html.unescape(marked.group(1)) == quote
    card_text = re.search(r'<div class="article-text">(.*?)</div>', panel, re.S)
    assert card_text and html.unescape(re.sub("</?mark>", "", card_text.group(1))) == text
    assert "Outlet · 2025-07-02 · " in panel and "/data/a.txt" in panel
    summary = "<summary>1 more passage retrieved, not cited</summary>"
    folded = re.search(rf'<details class="uncited">{summary}(.*)</details>', panel, re.S)
    assert folded and "Other &amp; co" in folded.group(1) and "An uncited &lt;i&gt;passage&lt;/i&gt;." in folded.group(1)


def test_sources_panel_links_only_web_locations_and_windows_long_articles() -> None:
    quote = "The quote in the middle."
    text, start, end = article_with(quote, before="x" * 20000, after="y" * 20000)
    web = sources_panel(make_answer("q [1]", quote, start, end, location="https://news.example/a?b=1&c=2"), 0, lambda _: text)
    assert '<a href="https://news.example/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">' in web
    assert len(web) < 12000 and "…" in web  # the quote with some context, not the whole 40 000 characters
    script = sources_panel(make_answer("q [1]", quote, start, end, location="javascript:alert(1)"), 0, lambda _: text)
    assert "href" not in script and '<span class="location">javascript:alert(1)</span>' in script


def test_sources_panel_falls_back_to_the_quote_when_the_article_changed() -> None:
    quote = "Original sentence."
    _, start, end = article_with(quote)
    panel = sources_panel(make_answer("q [1]", quote, start, end), 0, lambda _: "The article was rewritten since.")
    assert "<mark>Original sentence.</mark>" in panel
    refused = sources_panel(make_answer("no", "", 0, 0, refused=True), 0, lambda _: None)
    assert "nothing is cited" in refused and "2 more passages retrieved" in refused
    assert "Ask a question" in EMPTY_PANEL


def test_a_pdf_citation_card_names_its_page_and_others_name_none() -> None:
    quote = "Repairs will cost 4.2 million pounds."
    text, start, end = article_with(quote)
    answer = make_answer("q [1]", quote, start, end, location="/docs/report.pdf")
    paged = replace(answer, citations=[replace(answer.citations[0], page=3)])
    assert '<span class="location">/docs/report.pdf</span> · <span class="page">page 3</span>' in sources_panel(
        paged, 0, lambda _: text
    )
    assert 'class="page"' not in sources_panel(answer, 0, lambda _: text)


def test_a_real_answer_renders_with_its_quote_marked_in_the_real_article(seeded: Assistant) -> None:
    answer = seeded.ask("Who is Japan's chief negotiator?")
    assert not answer.refused and answer.citations
    first = answer.citations[0]
    assert first.meta.id == AKAZAWA_ARTICLE

    def lookup(article_id: str) -> str | None:
        record = seeded.article(article_id)
        return record.text if record else None

    panel = sources_panel(answer, 0, lookup)
    marked = re.search(rf'id="{cite_id(0, first.number)}".*?<mark>(.*?)</mark>', panel, re.S)
    assert marked and html.unescape(marked.group(1)) == first.quote
    assert f'href="#{cite_id(0, first.number)}"' in answer_message(answer, 0)
