"""The news in brief: a question with no topic ("What happened this week?", "Give me the headlines") is answered with
the newest stories the filters and its window admit, one per story, each cited to its first sentence. The detector's
phrasings, then the real engine (Chroma, MiniLM, extractive) and the CLI on a small dated corpus."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from assistant import Answer, Assistant
from assistant.answer import Passage
from assistant.briefing import (
    Briefing,
    about_topic,
    briefing_asked,
    headline_statement,
    lead_span,
    listed_headlines,
    topic_span,
)
from assistant.cli import app
from assistant.followups import with_listed_item
from assistant.prompts import CHECKED_ANSWER
from index.embeddings import OnnxInt8Encoder
from index.types import ArticleMeta, StoredChunk
from tests.conftest import cli_over, indexed
from tests.fakes import ScriptedBackend, make_passage
from tests.test_stories import WIRE, edited, story

AS_OF = date(2025, 7, 9)  # a Wednesday


@pytest.mark.parametrize(
    "question",
    [
        "What happened this week?",
        "What's new today?",
        "Whats new?",
        "What is the latest news?",
        "Give me the headlines",
        "What are the current headlines?",
        "Summarize the articles",
        "Please summarise the news for me.",
        "What is this news about?",
        "What are these articles about?",
        "What's in the news?",
        "Any news today?",
        "Can you give me a summary of the news?",
        "What do the articles say?",
        "What made the news last week?",
        "Summarize the news from last week",
        "What are today's headlines?",
        "What are this week's top stories?",
        "What's the latest?",
        "What was in the news on July 2?",  # a day of publication: the window, not a topic
        "What was reported on July 2?",
        "Headlines from the past 3 days",
    ],
)
def test_a_question_for_the_news_with_no_topic_is_a_briefing(question: str) -> None:
    assert briefing_asked(question) == Briefing()


@pytest.mark.parametrize(
    "question",
    [
        "What happened to the talks?",
        "Summarize what China said",
        "What do the articles say about what China said?",
        "Who is Japan's chief negotiator?",
        "What news outlet published it?",
        "Which news outlets are cited?",
        "What is new in the trade deal?",
        "What's on the ballot in November?",
        "What is on the table in the talks?",
        "What did he say?",
    ],
)
def test_a_question_for_a_fact_is_not(question: str) -> None:
    assert briefing_asked(question) is None


def test_a_long_question_is_read_at_once() -> None:
    # Overlapping words in repeated runs ("all the", "give me") once made the match backtrack exponentially: 20
    # repeats took over a second, 22 six. Each run is now possessive; these return at once, or the test hangs.
    assert briefing_asked("What are " + "all the " * 300 + "x?") is None
    assert briefing_asked("please " * 300 + "give me " * 300 + "x?") is None


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("What is the news about China?", "China"),
        ("Summarize the articles about Japan", "Japan"),
        ("Any news on the trade talks this week?", "the trade talks"),
        ("What's the latest on the Elm River tunnel?", "the Elm River tunnel"),
        ("What do the articles say about tariffs?", "tariffs"),
        ("Give me a summary of the port strike", "the port strike"),
        ("Headlines about the port", "the port"),
        ("What's new with Taylor Swift?", "Taylor Swift"),
    ],
)
def test_a_question_for_the_news_about_a_topic_is_a_briefing_on_it(question: str, topic: str) -> None:
    assert briefing_asked(question) == Briefing(topic)


def test_a_topic_listing_is_one_passage_per_story_by_rank_within_a_day() -> None:
    def passage(rank: int, article: str, day: str) -> Passage:
        return make_passage(rank, "Ferry news.", article_id=article, published=day, title="Ferry")

    ranked = [passage(1, "a", "2025-07-08"), passage(2, "b", "2025-07-08"), passage(3, "a", "2025-07-08")]
    ranked += [passage(4, "c", "2025-07-08"), passage(5, "d", "2025-07-09")]
    listed = about_topic("ferry", ranked, k=3)
    assert [p.meta.id for p in listed] == ["d", "a", "b"] and [p.rank for p in listed] == [1, 2, 3]


US_CHINA = ("U.S.-China trade talks resumed.", "China-US trade talks stalled.", "Trade talks with Japan resumed.")
CEASEFIRE = ("Gaza cease-fire talks resumed in Cairo.", "Gaza ceasefire talks resumed in Doha.", "A fire in Gaza; talks go on.")


@pytest.mark.parametrize(
    ("topic", "texts"),
    [
        # "What's the latest on US-China trade talks?" was refused: no seed article writes "US-China"
        ("US-China trade talks", US_CHINA),
        # "What's the latest on ceasefire talks in Gaza?" listed one podcast's aside: news articles write "cease-fire"
        ("ceasefire talks in Gaza", CEASEFIRE),
        ("cease-fire talks in Gaza", CEASEFIRE),
    ],
)
def test_a_hyphenated_topic_is_mentioned_however_the_article_writes_it(topic: str, texts: tuple[str, ...]) -> None:
    passages = [make_passage(rank, text, article_id="abc"[rank - 1], title="Talks") for rank, text in enumerate(texts, 1)]
    assert [p.meta.id for p in about_topic(topic, passages, k=3)] == ["a", "b"]


def passage_of(title: str, published: str = "", source: str = "") -> Passage:
    meta = ArticleMeta(id="a", title=title, source=source, published=published)
    return Passage(rank=1, chunk=StoredChunk(id="c", meta=meta, index=0, text="", start=0, end=0), score=0.0)


def test_a_briefing_line_is_dated_first_and_keeps_a_cut_headline_cut() -> None:
    lead = "The mayor opened the bridge."
    assert headline_statement(passage_of("Bridge opens.", "2025-07-02", "Valley Courier"), lead) == (
        "Jul 2, 2025, Valley Courier — “Bridge opens”: The mayor opened the bridge."
    )
    cut = headline_statement(passage_of("Schools to display the ..."), lead)
    assert cut.startswith("Undated — “Schools to display the ...”:")
    assert headline_statement(passage_of(""), lead).startswith("Undated — “Untitled”:")  # not the article's id
    assert headline_statement(passage_of("Ferry"), "Ryan Gosling joins in").endswith("”: Ryan Gosling joins in.")  # ended


# --- the engine on a dated corpus ------------------------------------------------------------------------------------

PORT_LEAD = "Dock workers ended their strike at the port on Tuesday after a pay deal."
RATES_LEAD = "The regional bank held its lending rate at four percent for a third month."
PARKS_LEAD = "The parks office chose green paint for the new Elm River bridge railings."
ARTICLES = [
    {"id": "port", "title": "Port strike ends", "source": "Harbour Times", "published": "2025-07-08",
     "text": f"Port strike ends\n\n{PORT_LEAD} " + story(21)},
    {"id": "wire-a", "title": "Tunnel opening", "source": "Daily Anchor", "published": "2025-07-07", "text": edited(WIRE, 0)},
    {"id": "wire-b", "title": "Tunnel opening", "source": "Bay Gazette", "published": "2025-07-07", "text": edited(WIRE, 1)},
    {"id": "rates", "title": "Rates held", "source": "Valley Courier", "published": "2025-06-20",
     "text": f"By Jane Roe. {RATES_LEAD} " + story(22)},
    {"id": "parks", "title": "Bridge colour chosen", "source": "Valley Courier", "published": "",
     "text": f"{PARKS_LEAD} " + story(23)},
    {"id": "later", "title": "Ferry sinks", "source": "Harbour Times", "published": "2025-07-20",
     "text": "The old Elm River ferry sank at its mooring during a storm overnight. " + story(24)},
]  # fmt: skip


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("briefing") / "news.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in ARTICLES), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory, encoder: OnnxInt8Encoder, corpus: Path) -> Assistant:
    return indexed(tmp_path_factory.mktemp("briefing-home"), encoder, corpus, len(ARTICLES))


def cited(answer: Answer) -> list[str]:
    return [c.meta.id for c in answer.citations]


def test_the_news_this_week_is_each_story_of_the_week_once_newest_first(bot: Assistant) -> None:
    answer = bot.ask("What happened this week?", as_of=AS_OF)
    assert not answer.refused
    assert answer.text.startswith("Searched articles published between 2025-07-02 and 2025-07-09.\n\n")  # the past week
    ids = cited(answer)
    assert ids[0] == "port" and len(ids) == 2 and ids[1] in {"wire-a", "wire-b"}  # the wire story once
    assert f"Jul 8, 2025, Harbour Times — “Port strike ends”: {PORT_LEAD[:-1]} [1]." in answer.text
    assert answer.citations[0].quote == PORT_LEAD  # cited to the first sentence, not the headline line above it
    assert [p.meta.id for p in answer.passages] == ids


def test_the_headlines_are_the_newest_stories_up_to_as_of_the_undated_last(bot: Assistant) -> None:
    answer = bot.ask("Give me the headlines", as_of=AS_OF)
    ids = cited(answer)
    assert ids[0] == "port" and ids[1] in {"wire-a", "wire-b"} and ids[2:] == ["rates", "parks"]
    assert "later" not in ids  # published after the as-of day
    assert answer.citations[2].quote == RATES_LEAD  # the byline before it is no lead
    assert "Undated, Valley Courier — “Bridge colour chosen”" in answer.text


def test_a_briefing_lists_top_k_stories_and_leaves_out_what_is_excluded(
    bot: Assistant, encoder: OnnxInt8Encoder, corpus: Path
) -> None:
    two = Assistant(bot.settings.model_copy(update={"top_k": 2}), encoder=encoder)
    assert cited(two.ask("What's in the news?", as_of=AS_OF))[0] == "port"
    assert len(two.ask("What's in the news?", as_of=AS_OF).citations) == 2
    without_port = bot.ask("What's in the news?", as_of=AS_OF, exclude=lambda chunk: chunk.meta.id == "port")
    assert "port" not in cited(without_port) and cited(without_port)[0] in {"wire-a", "wire-b"}


def test_a_briefing_for_a_window_with_no_article_is_the_refusal_that_names_it(bot: Assistant) -> None:
    answer = bot.ask("What happened in 2023?", as_of=AS_OF)
    assert answer.refused and "No indexed article was published between 2023-01-01 and 2023-12-31" in answer.text


def test_a_question_with_a_topic_is_answered_from_what_it_retrieves(bot: Assistant) -> None:
    answer = bot.ask("When will the Elm River tunnel open to traffic?", as_of=AS_OF)
    assert not answer.refused and "March 14" in answer.text
    assert "—" not in answer.text.split("\n")[0]  # no briefing line
    assert all(p.score > 0 for p in answer.passages)  # ranked by retrieval


def test_the_news_about_a_topic_is_the_articles_that_mention_it(bot: Assistant) -> None:
    answer = bot.ask("Any news about the dock workers?", as_of=AS_OF)
    assert cited(answer) == ["port"] and answer.citations[0].quote == PORT_LEAD
    assert answer.text == f"Jul 8, 2025, Harbour Times — “Port strike ends”: {PORT_LEAD[:-1]} [1]."
    tunnel = bot.ask("Summarize the articles about the Elm River tunnel", as_of=AS_OF)
    assert cited(tunnel)[0] in {"wire-a", "wire-b"} and len({"wire-a", "wire-b"} & set(cited(tunnel))) == 1  # once
    assert "will open to traffic on March 14" in tunnel.citations[0].quote  # its sentence on the topic


def test_the_news_about_a_topic_no_article_mentions_is_the_refusal(bot: Assistant) -> None:
    answer = bot.ask("What is the news about Norland Builders?", as_of=AS_OF)
    assert answer.refused and not answer.citations


def test_a_briefing_in_a_chat_is_read_without_the_earlier_turns(bot: Assistant) -> None:
    history = [("When will the Elm River tunnel open?", "On March 14 [1].")]
    answer = bot.chat("What's in the news this week?", history, as_of=AS_OF)
    assert answer.standalone_question is None and cited(answer)[0] == "port"


def test_a_question_after_a_briefing_is_not_read_with_it(bot: Assistant) -> None:
    # "And the tunnel?" borrows the last question's words; "What's in the news this week?" has none worth borrowing
    # (the rule-based rewrite made it "And the tunnel (What's in news this week)?"), a briefing on a topic has.
    briefing = bot.ask("What's in the news this week?", as_of=AS_OF)
    after = bot.chat("And the tunnel?", [("What's in the news this week?", briefing.text)], as_of=AS_OF)
    assert after.standalone_question is None
    on_topic = bot.chat("And the port?", [("What's the news about the tunnel?", briefing.text)], as_of=AS_OF)
    assert on_topic.standalone_question is not None and "tunnel" in on_topic.standalone_question


LISTING = (
    "Jul 8, 2025, Harbour Times — “Port strike ends”: Dock workers ended their strike [1]. "
    "Jul 7, 2025, Daily Anchor — “Tunnel opening”: The tunnel will open on March 14 [2]."
)


@pytest.mark.parametrize(
    ("question", "headline"),
    [
        ("Tell me more about the first one", "Port strike ends"),
        ("What else does the second story say?", "Tunnel opening"),
        ("More on the last one, please", "Tunnel opening"),
        ("Tell me about number 2", "Tunnel opening"),
        ("What is [1] about?", "Port strike ends"),
    ],
)
def test_an_item_of_the_last_listing_is_named_by_its_headline(question: str, headline: str) -> None:
    rewritten = with_listed_item(question, listed_headlines(LISTING))
    assert rewritten is not None and f"“{headline}”" in rewritten


def test_no_item_is_named_without_a_listing_or_past_its_end() -> None:
    assert with_listed_item("Tell me more about the third one", listed_headlines(LISTING)) is None  # two were listed
    quoted = "On Jul 2, 2025, Stocktwits reported that … [1]."  # an answer that lists nothing
    assert with_listed_item("Tell me more about the first one", listed_headlines(quoted)) is None
    assert with_listed_item("Who won?", listed_headlines(LISTING)) is None


def test_the_first_one_after_a_briefing_is_its_first_story(bot: Assistant) -> None:
    briefing = bot.ask("What's in the news this week?", as_of=AS_OF)
    more = bot.chat("Tell me more about the first one", [("What's in the news this week?", briefing.text)], as_of=AS_OF)
    assert more.standalone_question == "Tell me more about “Port strike ends”"
    assert cited(more) and cited(more)[0] == "port"


def test_a_backend_that_checks_support_states_the_briefing_as_it_is(
    bot: Assistant, encoder: OnnxInt8Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A briefing is metadata and the passages' own sentences: the support check, there for generated text, would
    # only take citations away (an "Untitled" headline is no word of the passage).
    checked = Assistant(bot.settings, encoder=encoder, backend=ScriptedBackend({}, checks_support=True))
    monkeypatch.setattr(checked, "_support_check", lambda question: pytest.fail(f"support check read for {question!r}"))
    answer = checked.ask("Give me the headlines", as_of=AS_OF)
    assert cited(answer) == cited(bot.ask("Give me the headlines", as_of=AS_OF)) and not answer.flagged


def test_the_cli_prints_the_briefing_as_streamed(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = cli_over(corpus, tmp_path / "home", monkeypatch)
    result = runner.invoke(app, ["ask", "What's new this week?", "--as-of", "2025-07-09"])
    assert result.exit_code == 0, result.output
    assert "Jul 8, 2025, Harbour Times — “Port strike ends”" in result.output and PORT_LEAD in result.output
    assert CHECKED_ANSWER.split("{")[0].strip() not in result.output  # the streamed text is the final answer


def test_a_link_to_another_story_is_no_lead() -> None:
    text = "Port strike ends\n\nMore:Dockers vote on the new contract next week\n\nThe port reopened on Tuesday after a strike."
    passage = make_passage(1, text, title="Port strike ends")
    start, end = lead_span(passage)
    assert text[start:end] == "The port reopened on Tuesday after a strike."


def test_a_topic_is_cited_to_a_sentence_on_it_not_to_the_headline_repeated() -> None:
    # "What's the latest on US-China trade talks?" quoted the seed's headline, which holds every word of the topic,
    # as what the article says after that same headline
    title = "Trade Talks: China Mulls Opening Door For Negotiations"
    text = f"{title}\n\nJapan aims to close its deal by June.\n\nChina is evaluating a US proposal to start trade talks."
    passage = make_passage(1, text, title=title)
    start, end = topic_span(passage, "US-China trade talks")
    assert text[start:end] == "China is evaluating a US proposal to start trade talks."
    start, end = topic_span(passage, "the weather")  # no sentence on it: the lead
    assert text[start:end] == "Japan aims to close its deal by June."


def test_a_question_or_a_subhead_is_no_lead_nor_a_topic_sentence() -> None:
    # "What's in the news about Boeing?" cited an explainer's subhead, "Why is NASA contracting with Boeing?"
    text = "Why is NASA contracting with Boeing?\n\nBoeing timeline\n\nBoeing hopes to join SpaceX in flying NASA crews."
    passage = make_passage(1, text, title="When will Starliner launch?")
    assert text[slice(*lead_span(passage))] == "Boeing hopes to join SpaceX in flying NASA crews."
    assert text[slice(*topic_span(passage, "Boeing"))] == "Boeing hopes to join SpaceX in flying NASA crews."
