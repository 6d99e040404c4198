"""The chat in a real browser: Debian's chromium driven by Playwright against the app served on localhost.

The app runs in this process over its own data directory with the real encoder, Chroma and extractive backend.
Screenshots go to artifacts/ui/ (git-ignored); the README's two are copied from there into docs/screenshots/.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from assistant import Assistant, Settings
from assistant.backends import Draft
from assistant.backends.extractive import ExtractiveBackend
from assistant.evidence import HeuristicSelector
from assistant.question import Question
from assistant.ui import launch
from tests.conftest import REPO, SEEDS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = REPO / "artifacts" / "ui"
WAIT_MS = 60_000  # an answer on a busy 2-core machine; normally under 2 s
QUESTION = "Who is Japan's chief negotiator?"

HARBOUR_HTML = """<!doctype html><html><head><title>Port Quillon names a new harbour master</title>
<meta property="og:site_name" content="Coastal Ledger"><meta property="article:published_time" content="2025-06-10">
</head><body><nav>Home | World | Ports</nav><article><h1>Port Quillon names a new harbour master</h1>
<p>The port authority of Port Quillon appointed Ottoline Brask as its new harbour master on Tuesday.</p>
<p>Brask previously ran the ferry terminal at Quillon for eleven years and takes over from Anders Vell.</p>
</article></body></html>"""

PAYLOAD_TITLE = 'Fort Ilvar warden <img src=x onerror="window.__xss=1"> named'
PAYLOAD_TEXT = (
    "Fort Ilvar warden named.\n\n"
    'The new warden of Fort Ilvar is Casimir Odelle <img src=x onerror="window.__xss=2"> <script>window.__xss=3</script> '
    "${window.__xss=4} {{constructor.constructor('window.__xss=5')()}}, the council said on Monday.\n\n"
    "Odelle was previously the keeper of the fort's archive."
)

# Collects every distinct text of the latest bot message, to see an answer arrive in pieces.
WATCH_ANSWER = """() => {
  window.__answers = [];
  const chat = document.querySelector('#chat');
  new MutationObserver(() => {
    const bots = chat.querySelectorAll('[data-testid="bot"]');
    const text = bots.length ? bots[bots.length - 1].innerText.trim() : '';
    if (text && window.__answers[window.__answers.length - 1] !== text) window.__answers.push(text);
  }).observe(chat, { subtree: true, childList: true, characterData: true });
}"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, encoder: Any) -> Iterator[tuple[str, Assistant]]:
    """The app as `assistant chat` serves it, on a free port over a fresh data directory (seeds/ indexed first)."""
    home = tmp_path_factory.mktemp("ui-home")
    bot = Assistant(Settings(home=home, seeds_dir=SEEDS, llm="extractive"), encoder=encoder)
    bot.ensure_index()
    demo, url = launch(bot, port=free_port(), block=False)
    yield url, bot
    demo.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "chromium is missing: scripts/test.sh installs it (apt-get install chromium)"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def offsite() -> list[str]:
    """Requests the page tried to make to anything but this machine (all blocked)."""
    return []


@pytest.fixture
def page(browser: Any, offsite: list[str]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 950})

    def only_local(route: Any) -> None:
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", "localhost") or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            offsite.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    yield page
    context.close()


FINISHED = """(before) => {
  const bots = document.querySelectorAll('#chat [data-testid="bot"]');
  return bots.length > before && bots[bots.length - 1].querySelector('a.cite, .refusal, .chat-error') !== null;
}"""


def ask(page: Any, question: str) -> Any:
    """Type a question, send it, and wait for the finished answer (links, a refusal or an error: never while streaming)."""
    before = page.locator('#chat [data-testid="bot"]').count()
    page.locator("#question textarea").fill(question)
    page.locator("#question textarea").press("Enter")
    page.wait_for_function(FINISHED, arg=before)
    return page.locator('#chat [data-testid="bot"]').nth(before)


def open_app(page: Any, url: str) -> None:
    page.goto(url)
    page.locator("#question textarea").wait_for()
    page.evaluate(WATCH_ANSWER)


def test_ask_see_the_streamed_answer_click_its_marker_and_see_the_passage(
    page: Any, served: tuple[str, Assistant], offsite: list[str]
) -> None:
    from playwright.sync_api import expect

    url, bot = served
    expected = bot.ask(QUESTION).citations[0]
    open_app(page, url)
    # Settings opened first, as a user who sets the day before asking: Gradio mounts a closed accordion's fields only
    # when it opens, and in two CI runs a date filled right after that first mount was gone a moment later.
    page.locator("#settings").get_by_text("Settings").click()
    expect(page.locator("#as-of textarea, #as-of input").first).to_be_visible()
    answer = ask(page, QUESTION)
    marker = answer.locator("a.cite", has_text="[1]").first
    expect(marker).to_be_visible()
    expect(answer).to_contain_text("Ryosei Akazawa")
    seen = page.evaluate("window.__answers")
    assert seen[0] == "…" and "Ryosei Akazawa" in seen[-1], seen  # a pending message first, the answer after

    marker.click()
    card = page.locator("#sources #cite-0-1")
    expect(card).to_have_class("source-card active")
    highlight = card.locator(".article-text mark")
    expect(highlight).to_have_text(expected.quote)
    expect(highlight).to_be_in_viewport()
    expect(card.locator(".card-title")).to_contain_text(expected.meta.title)
    meta = expected.meta
    expect(card.locator(".meta")).to_contain_text(f"{meta.source} · {meta.published} · {meta.location}")
    # The whole article is there around the highlight, not just the quote.
    article = bot.article(expected.meta.id)
    assert article is not None
    assert card.locator(".article-text").inner_text().strip() == article.text.strip()
    expect(page.locator("#sources details.uncited summary")).to_contain_text("retrieved, not cited")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "chat-cited.png")

    # A follow-up is answered in the context of the first question; its [1] points at its own card.
    follow_up = ask(page, "What did he say after the meeting?")
    expect(follow_up).to_contain_text("concrete discussions")
    expect(page.locator("#sources .sources-head")).to_contain_text("searched as")
    expect(page.locator("#sources #cite-1-1")).to_be_visible()
    # Clicking the first answer's marker brings its sources back.
    marker.click()
    expect(page.locator("#sources #cite-0-1")).to_have_class("source-card active")
    expect(page.locator("#sources #cite-0-1 mark")).to_have_text(expected.quote)

    # A new chat (the chat's clear button), then a question the articles don't answer: a refusal, framed, no markers.
    page.locator("#chat").get_by_role("button", name="Clear").click()
    expect(page.locator('#chat [data-testid="bot"]')).to_have_count(0)
    expect(page.locator("#chat")).to_contain_text("“What's in the news this week?”")  # the empty chat's hint
    refusal = ask(page, "What is the weather on Mars?")
    expect(refusal.locator(".refusal")).to_have_text("The articles I have don't answer this question.")
    expect(refusal.locator("a.cite")).to_have_count(0)
    expect(page.locator("#sources")).to_contain_text("nothing is cited")

    # The as-of day under Settings: "last week" counts back from it, and the answer says which days it searched.
    as_of = page.locator("#as-of textarea, #as-of input").first
    as_of.fill("2025-07-09")
    as_of.press("Tab")  # left as a user leaves it
    expect(as_of).to_have_value("2025-07-09")
    week = ask(page, "What did China say last week?")
    expect(week).to_contain_text("Searched articles published between 2025-06-30 and 2025-07-06.")
    expect(week).to_contain_text("On Jul 2, 2025, Stocktwits reported that")
    expect(page.locator("#sources .sources-head")).to_contain_text("as of 2025-07-09")
    # The news in brief: that week's story, dated, with its headline, cited to its first sentence.
    news = ask(page, "What made the news last week?")
    expect(news).to_contain_text("Jul 2, 2025, Stocktwits — “Trump Trade Talks: China Finally Mulls Opening Door")
    expect(news.locator("a.cite", has_text="[1]")).to_be_visible()

    # A bad setting: one short line in the chat, never a traceback.
    page.locator("#since textarea, #since input").first.fill("last Tuesday")
    error = ask(page, QUESTION)
    expect(error.locator(".chat-error")).to_have_text("⚠ since='last Tuesday' is not a date like 2025-01-31")
    assert "Traceback" not in page.content()
    page.screenshot(path=SHOTS / "chat-refusal-error.png")
    assert offsite == []  # nothing left this machine: no CDN fonts, scripts or telemetry


def test_an_uploaded_article_is_listed_and_answerable_right_after(
    page: Any, served: tuple[str, Assistant], tmp_path: Path, offsite: list[str]
) -> None:
    from playwright.sync_api import expect

    url, bot = served
    article = tmp_path / "port-quillon.html"
    article.write_text(HARBOUR_HTML, encoding="utf-8")
    open_app(page, url)
    page.get_by_role("tab", name="Articles").click()
    table = page.locator("#articles")
    expect(table).to_contain_text("Japan Races To Close Deal")  # the seed articles
    page.locator("#upload input[type=file]").set_input_files(str(article))
    expect(page.locator("#upload-status")).to_contain_text("added 1", timeout=WAIT_MS)
    row = table.get_by_role("row").filter(has_text="Port Quillon names a new harbour master")
    expect(row).to_contain_text("Coastal Ledger")
    expect(row).to_contain_text("2025-06-10")
    expect(page.locator("#articles-summary")).to_contain_text("3 articles indexed")
    page.screenshot(path=SHOTS / "articles.png")

    page.get_by_role("tab", name="Chat").click()
    answer = ask(page, "Who is the new harbour master of Port Quillon?")
    expect(answer).to_contain_text("Ottoline Brask")
    answer.locator("a.cite", has_text="[1]").first.click()
    card = page.locator("#sources #cite-0-1")
    expect(card).to_have_class("source-card active")
    expect(card.locator(".card-title")).to_contain_text("Port Quillon names a new harbour master")
    expect(card.locator(".meta")).to_contain_text("Coastal Ledger · 2025-06-10")
    expect(card.locator("mark")).to_contain_text("appointed Ottoline Brask")
    assert any(a.id == "port-quillon.html" for a in bot.sources())
    assert offsite == []


def test_a_script_payload_in_an_article_shows_as_text_and_runs_nothing(
    page: Any, served: tuple[str, Assistant], tmp_path: Path, offsite: list[str]
) -> None:
    from playwright.sync_api import expect

    url, _ = served
    corpus = tmp_path / "payload.jsonl"
    row = {"id": "fort-ilvar", "title": PAYLOAD_TITLE, "text": PAYLOAD_TEXT, "source": "Ilvar <b>Gazette</b>"}
    corpus.write_text(json.dumps(row) + "\n", encoding="utf-8")
    open_app(page, url)
    page.get_by_role("tab", name="Articles").click()
    page.locator("#upload input[type=file]").set_input_files(str(corpus))
    expect(page.locator("#upload-status")).to_contain_text("added 1", timeout=WAIT_MS)
    expect(page.locator("#articles")).to_contain_text(PAYLOAD_TITLE)
    expect(page.locator("#articles")).to_contain_text("Ilvar <b>Gazette</b>")
    page.screenshot(path=SHOTS / "payload-articles.png")

    page.get_by_role("tab", name="Chat").click()
    answer = ask(page, 'Who is the new warden of Fort Ilvar? <img src=x onerror="window.__xss=6">')
    expect(answer).to_contain_text("Casimir Odelle")
    expect(answer).to_contain_text('<img src=x onerror="window.__xss=2"> <script>window.__xss=3</script>')
    expect(page.locator('#chat [data-testid="user"]').last).to_contain_text('<img src=x onerror="window.__xss=6">')
    answer.locator("a.cite", has_text="[1]").first.click()
    card = page.locator("#sources #cite-0-1")
    expect(card.locator(".card-title")).to_have_text(f"[1] {PAYLOAD_TITLE}")
    expect(card.locator(".meta")).to_contain_text("Ilvar <b>Gazette</b>")
    expect(card.locator(".article-text")).to_contain_text("${window.__xss=4} {{constructor.constructor('window.__xss=5')()}}")
    time.sleep(0.5)  # give an injected handler (an image that fails to load) time to fire
    assert page.evaluate("window.__xss") is None
    assert page.locator("img[src='x'], #chat script, #sources script, #articles script, #chat b, #articles b").count() == 0
    page.screenshot(path=SHOTS / "payload-chat.png")
    assert offsite == []


class WordByWord(ExtractiveBackend):
    """The extractive backend's own answer, handed out a word at a time as a generating model would."""

    name = "extractive"

    def answer(self, question: Question, passages: list[Any]) -> Iterator[str | Draft]:
        for item in super().answer(question, passages):
            if isinstance(item, Draft):
                yield item
                continue
            for word in item.split(" "):
                time.sleep(0.15)
                yield word + " "


def test_login_then_an_answer_arrives_word_by_word(
    browser: Any, tmp_path: Path, encoder: Any, offsite: list[str], page: Any
) -> None:
    from playwright.sync_api import expect

    settings = Settings(home=tmp_path / "home", seeds_dir=SEEDS, llm="extractive")
    bot = Assistant(settings, encoder=encoder, backend=WordByWord(HeuristicSelector(encoder)))
    bot.ensure_index()
    demo, url = launch(bot, port=free_port(), block=False, auth=[("reader", "pa:ss")])
    try:
        page.goto(url)
        page.get_by_label("username").fill("reader")
        page.get_by_label("password").fill("wrong")
        page.get_by_role("button", name="Login").click()
        expect(page.get_by_text("Incorrect Credentials")).to_be_visible()
        page.get_by_label("username").fill("reader")  # the form was cleared
        page.get_by_label("password").fill("pa:ss")
        page.get_by_role("button", name="Login").click()
        page.locator("#question textarea").wait_for()
        page.evaluate(WATCH_ANSWER)
        answer = ask(page, QUESTION)
        expect(answer.locator("a.cite", has_text="[1]").first).to_be_visible()
        seen = page.evaluate("window.__answers")
        final = seen[-1]
        growing = [text for text in seen[1:-1] if final.startswith(text.rstrip())]
        assert len(growing) >= 3, seen  # the answer grew in the browser, piece by piece, before it was final
    finally:
        demo.close()
    assert offsite == []
