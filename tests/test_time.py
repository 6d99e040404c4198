"""Time in questions and answers: the as-of day, relative time resolved into a published-date window, and answers
that say when. Unit tests of the resolver and the attribution, then the real engine (Chroma, MiniLM, extractive) on a
small corpus of dated articles the tests write themselves, and the seeds' disagreement with both articles dated."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from assistant import Answer, Assistant, Settings
from assistant.attribution import attributed, dated_claims, spelled_day
from assistant.backends.base import Claim, Source
from assistant.cli import app
from assistant.errors import AssistantError
from assistant.retrieval import Filters
from assistant.text import capitalised_words
from assistant.time_window import resolve, without_time_expressions
from eval.errors import EvalError
from eval.runner import EvalOptions, run_eval
from index.embeddings import OnnxInt8Encoder
from index.keyword import KeywordFilter, PassingChunks
from index.types import ArticleMeta
from tests.conftest import AKAZAWA_ARTICLE, DENIAL_ARTICLE, SEEDS, cli_over, indexed

AS_OF = date(2025, 7, 9)  # a Wednesday
D = date.fromisoformat


def meta(article_id: str, published: str = "", source: str = "") -> ArticleMeta:
    return ArticleMeta(id=article_id, title=article_id, source=source, published=published)


# --- the resolver ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "since", "until"),
    [
        ("What happened today?", "2025-07-09", "2025-07-09"),
        ("What happened yesterday?", "2025-07-08", "2025-07-08"),
        ("What happened in the debate last night?", "2025-07-08", "2025-07-09"),  # reported that night or today
        ("What did Trump say this morning?", "2025-07-09", "2025-07-09"),
        ("Who spoke at Morehouse College last weekend?", "2025-07-05", "2025-07-07"),  # Saturday to Monday's reports
        ("What did China say this week?", "2025-07-02", "2025-07-09"),  # the past week, as "over the past week"
        ("What did China say last week?", "2025-06-30", "2025-07-06"),
        ("What happened this month?", "2025-07-01", "2025-07-09"),
        ("What happened last month?", "2025-06-01", "2025-06-30"),
        # a named month or year is when it happened: reported then or later, so up to the as-of day
        ("What did Japan say in June?", "2025-06-01", "2025-07-09"),
        ("What did Japan say in July?", "2025-07-01", "2025-07-09"),  # this month so far
        ("What did Japan say in August?", "2024-08-01", "2025-07-09"),  # the most recent August on or before as-of
        ("What did Japan say in June 2024?", "2024-06-01", "2025-07-09"),
        ("What happened since Monday?", "2025-07-07", "2025-07-09"),
        ("What happened since Wednesday?", "2025-07-09", "2025-07-09"),  # as-of is a Wednesday
        ("What happened since Thursday?", "2025-07-03", "2025-07-09"),
        ("What were the farm sales in 2024?", "2024-01-01", "2025-07-09"),
        ("What were the farm sales IN 2024?", "2024-01-01", "2025-07-09"),
        ("What did China say last week in June?", "2025-06-30", "2025-07-06"),  # two expressions: both hold
        ("How much did the Bidens earn in 2024, as their tax return shows this week?", "2025-07-02", "2025-07-09"),
        # spans back from the as-of day, both ends included
        ("What happened in the past 3 days?", "2025-07-06", "2025-07-09"),
        ("What happened in the last 48 hours?", "2025-07-07", "2025-07-09"),
        ("What did China say over the past two weeks?", "2025-06-25", "2025-07-09"),
        ("What happened in the last month?", "2025-06-09", "2025-07-09"),  # not June: that is "last month"
        ("News from the past few days?", "2025-07-06", "2025-07-09"),
        ("What happened over the past week?", "2025-07-02", "2025-07-09"),
        # a day, week, month or year back, as a whole
        # what happened a day or a week ago, and what was reported of it the day after
        ("What happened three days ago?", "2025-07-06", "2025-07-07"),
        ("What did China say two weeks ago?", "2025-06-23", "2025-06-30"),
        ("What did the Fed announce three hours ago?", "2025-07-08", "2025-07-09"),
        ("What happened in the last few weeks?", "2025-06-18", "2025-07-09"),
        ("What happened a month ago?", "2025-06-01", "2025-06-30"),
        ("What happened since June?", "2025-06-01", "2025-07-09"),
        ("What happened since June 20?", "2025-06-20", "2025-07-09"),
        ("What happened since July 20?", "2024-07-20", "2025-07-09"),  # the most recent July 20
        ("What happened since August?", "2024-08-01", "2025-07-09"),  # the most recent August
        ("What happened since 2024?", "2024-01-01", "2025-07-09"),
        ("What happened this year?", "2025-01-01", "2025-07-09"),
        # a day named as the day of publication
        ("What was in the news on July 2?", "2025-07-02", "2025-07-02"),
        ("Headlines from 2 July", "2025-07-02", "2025-07-02"),
        ("What was reported on July 20?", "2024-07-20", "2024-07-20"),  # the most recent July 20
        ("News from June 5, 2024", "2024-06-05", "2024-06-05"),
        ("Articles published on 2025-07-01", "2025-07-01", "2025-07-01"),
        ("Any news from February 30?", "2025-02-28", "2025-02-28"),
        ("Who won this year's title?", "2025-01-01", "2025-07-09"),
    ],
)
def test_each_relative_expression_resolves_to_a_window(question: str, since: str, until: str) -> None:
    window = resolve(question, AS_OF)
    assert window is not None and window.hard and not window.latest
    assert (window.since, window.until) == (D(since), D(until))
    assert window.as_of == AS_OF
    span = f"on {since}" if since == until else f"between {since} and {until}"
    assert window.describe() == f"Searched articles published {span}."


def test_windows_across_a_new_year() -> None:
    new_year = date(2025, 1, 2)  # a Thursday
    assert _range("last month", new_year) == (D("2024-12-01"), D("2024-12-31"))
    assert _range("last week", new_year) == (D("2024-12-23"), D("2024-12-29"))
    assert _range("this week", new_year) == (D("2024-12-26"), D("2025-01-02"))
    assert _range("in December", new_year) == (D("2024-12-01"), D("2025-01-02"))
    assert _range("in December", new_year, listing=True) == (D("2024-12-01"), D("2024-12-31"))


@pytest.mark.parametrize(
    ("expression", "since", "until"),
    [
        ("in June", "2025-06-01", "2025-06-30"),
        ("in June 2024", "2024-06-01", "2024-06-30"),
        ("in 2024", "2024-01-01", "2024-12-31"),
        ("in July", "2025-07-01", "2025-07-09"),
        ("this week", "2025-07-02", "2025-07-09"),
    ],
)
def test_a_listing_of_the_news_reads_a_named_period_as_its_own_articles(expression: str, since: str, until: str) -> None:
    assert _range(expression, AS_OF, listing=True) == (D(since), D(until))


def test_a_period_after_the_as_of_day_is_empty_either_way() -> None:
    for listing in (False, True):
        window = resolve("Which landmark will be finished in 2026?", AS_OF, listing=listing)
        assert window is not None and window.empty


def test_the_outlet_usa_today_is_no_time() -> None:
    assert resolve("Which museum won the 2024 USA TODAY 10Best Readers' Choice award?", AS_OF) is None
    assert resolve("What did USA Today's poll find today?", AS_OF) is not None  # the second "today" is one


def _range(expression: str, as_of: date, *, listing: bool = False) -> tuple[date | None, date | None]:
    window = resolve(f"What happened {expression}?", as_of, listing=listing)
    assert window is not None
    return window.since, window.until


@pytest.mark.parametrize("question", ["What is the latest on the talks?", "What's the most recent news?", "Newest deal?"])
def test_latest_is_a_flag_not_a_window(question: str) -> None:
    window = resolve(question, AS_OF)
    assert window is not None and window.latest and not window.hard
    assert window.since is None and window.until is None and window.describe() == ""


@pytest.mark.parametrize(
    "question",
    [
        "Who is Japan's chief negotiator?",
        "Who won the 2024 Super Bowl?",  # a year, but not "in 2024"
        "How much did the SPDR S&P 500 ETF gain on Thursday?",
        "How much did QQQ rise in Thursday's session?",
        "When are negotiations likely to gain speed in mid-May?",
        "Which newspaper is the latest-night edition?",
        "What happened in the last week of June?",  # a week of June, not a span back from today
        "What did he say on the last day?",
        "Which player has lived in Miami for the past three years?",  # how long, not when it was published
        "How many migrants crossed the border last year?",  # last year's figures are published this year
        "Who founded the company two years ago?",
        "What happened on July 2?",  # the event's day: reported that day or the next
        "What did Powell say a few days ago?",
        "What changed over the past months?",  # no count: no span
        "How much did the SPDR S&P 500 ETF gain in the past?",
    ],
)
def test_a_question_without_a_time_expression_gets_no_window(question: str) -> None:
    assert resolve(question, AS_OF) is None
    assert without_time_expressions(question) == question


@pytest.mark.parametrize(
    ("question", "day"),
    [
        ("News from 2025-02-31?", "2025-02-28"),  # a day its month does not have: the month's last
        ("News from 29 February?", "2024-02-29"),  # the most recent February 29
        ("News from July 31st?", "2024-07-31"),
        ("News from July 0?", None),  # no such day: no window, and no error
        ("News from 2025-13-01?", None),
    ],
)
def test_a_day_that_does_not_exist_is_no_error(question: str, day: str | None) -> None:
    window = resolve(question, AS_OF)
    assert (window.since if window else None) == (D(day) if day else None)


def test_a_window_wholly_after_as_of_is_empty() -> None:
    window = resolve("What happened in 2026?", AS_OF)
    assert window is not None and window.hard and window.empty and window.describe() == ""


def test_the_time_words_leave_the_searched_question() -> None:
    assert without_time_expressions("What did China say last week?") == "What did China say?"
    assert without_time_expressions("What is the latest on the talks?") == "What is on the talks?"
    assert without_time_expressions("In June, what did Japan aim for?") == "What did Japan aim for?"
    assert without_time_expressions("today?") == "today?"  # nothing would be left to search with
    assert without_time_expressions("Who won this year's title?") == "Who won title?"  # the possessive goes too
    assert without_time_expressions("News from the past 3 days about Japan?") == "News about Japan?"


# --- filters ------------------------------------------------------------------------------------------------------


def test_the_as_of_condition_keeps_undated_articles_and_is_left_out_when_nothing_is_newer() -> None:
    filters = Filters(as_of=D("2025-07-09"))
    assert filters.for_chroma() == {"published_day": {"$lte": 20250709}}  # undated chunks (day 0) pass
    assert filters.for_chroma(newest_day=20250720) == {"published_day": {"$lte": 20250709}}
    assert filters.for_chroma(newest_day=20250709) is None  # no chunk newer: no (slow) Chroma `where`
    assert filters.for_keywords().as_of_day == 20250709
    assert filters.admits(meta("undated")) and filters.admits(meta("same-day", "2025-07-09"))
    assert not filters.admits(meta("later", "2025-07-10"))


def test_a_window_narrows_the_filters_and_never_admits_undated_articles() -> None:
    window = resolve("What happened last week?", AS_OF)
    filters = Filters(since=D("2025-07-01"), as_of=AS_OF).within(window)
    assert (filters.since, filters.until) == (D("2025-07-01"), D("2025-07-06"))
    assert not filters.admits(meta("undated"))
    assert Filters(as_of=AS_OF).within(resolve("What is the latest?", AS_OF)) == Filters(as_of=AS_OF)


# --- attribution --------------------------------------------------------------------------------------------------


def test_a_claim_says_who_reported_it_and_when() -> None:
    stocktwits = meta("a", "2025-07-02", "Stocktwits")
    assert spelled_day("2025-07-02") == "Jul 2, 2025" and spelled_day("") == ""
    assert (
        attributed("China is evaluating this.", stocktwits)
        == "On Jul 2, 2025, Stocktwits reported that China is evaluating this."
    )
    assert attributed("The U.S. sent messages.", stocktwits) == "On Jul 2, 2025, Stocktwits reported that the U.S. sent messages."
    assert attributed("Meanwhile, Japan raced.", meta("b", "2025-07-02")).startswith(
        "On Jul 2, 2025, an article reported that meanwhile"
    )
    assert attributed("US talks stalled.", stocktwits).endswith("that US talks stalled.")


def test_a_common_first_word_reads_in_lower_case_after_reported_that_and_a_name_keeps_its_capital() -> None:
    wire = meta("a", "2025-07-02", "Wire")

    def continued(sentence: str, context: str = "") -> str:
        names = capitalised_words(context)
        return attributed(sentence, wire, names=names).removeprefix("On Jul 2, 2025, Wire reported that ")

    assert continued("While noting the leaks, he spoke.") == "while noting the leaks, he spoke."
    assert continued("Observers believe Beijing can wait.") == "observers believe Beijing can wait."
    assert continued("Analysts, including Yun Sun, argue so.") == "analysts, including Yun Sun, argue so."
    assert continued("China denied talks.") == "China denied talks."  # written capitalised more often
    assert continued("Akazawa wants June.") == "Akazawa wants June."  # no token of its own in lower case: a name
    assert continued("President Trump spoke.") == "President Trump spoke."  # a title before a name
    assert continued("May saw a rise.") == "May saw a rise."  # a month
    assert continued("It’s over.") == "it’s over." and continued("Here's why.") == "here's why."
    assert continued("Trump's aides met.") == "Trump's aides met." and continued("O'Brien met.") == "O'Brien met."
    assert continued("Sun points out that China waits.") == "Sun points out that China waits."  # " Sun" is common too
    assert continued("Target said sales fell.") == "target said sales fell."  # " target" is far commoner…
    assert continued("Target said sales fell.", "Shoppers at Target paid more.") == (
        "Target said sales fell."  # …but the passage has it capitalised inside a sentence: a name
    )
    assert continued("J. Smith spoke.") == "J. Smith spoke."  # an initial
    assert attributed("China denied talks.", meta("c", "", "Wire")) == "An undated Wire article says that China denied talks."
    assert attributed("China denied talks.", meta("c")) == "An undated article says that China denied talks."


def test_claims_of_different_dates_read_oldest_first_and_name_the_newest() -> None:
    newer, older, undated = meta("new", "2025-07-02", "Stocktwits"), meta("old", "2025-04-25"), meta("und")
    claims = [
        (Claim("China weighs talks.", (Source(1, (0, 5)),)), newer),
        (Claim("China denies talks.", (Source(2, (0, 5)),)), older),
        (Claim("The talks are unlikely.", (Source(3, (0, 5)),)), undated),
        (Claim("The door is open.", (Source(1, (9, 20)),)), newer),
    ]
    texts = [c.text for c in dated_claims(claims)]
    assert texts == [
        "On Apr 25, 2025, an article reported that China denies talks.",
        "On Jul 2, 2025, Stocktwits reported that China weighs talks.",
        "On Jul 2, 2025, Stocktwits also reported that the door is open.",
        "An undated article says that the talks are unlikely.",
        "The Stocktwits article of Jul 2, 2025 is the newer one.",
    ]
    assert dated_claims(claims)[-1].sources == (Source(1, (0, 5)),)  # the newest article's cited sentence


def test_one_date_keeps_the_order_and_adds_no_newest_sentence() -> None:
    claims = [
        (Claim("B first.", (Source(2),)), meta("b", "2025-07-02")),
        (Claim("A second.", (Source(1),)), meta("a", "2025-07-02")),
        (Claim("C undated.", (Source(3),)), meta("c")),
    ]
    assert [c.sources[0].rank for c in dated_claims(claims)] == [2, 1, 3]
    tie = [*claims[:2], (Claim("Old.", (Source(4),)), meta("d", "2025-01-01"))]
    assert not any("newer" in c.text for c in dated_claims(tie))  # two articles share the newest day


# --- the engine on a dated corpus ---------------------------------------------------------------------------------

# One story over eight months, a new fact in each article: (id, published, title, text).
BRIDGE = [
    ("a-2024-11", "2024-11-12", "Council proposes bridge",
     "The city council proposed a new Elm River bridge. Engineers put the cost of the Elm River bridge at 40 million dollars."),
    ("b-2025-06", "2025-06-10", "Bridge contract awarded",
     "The Elm River bridge contract went to Norland Builders. "
     "Norland Builders promised to finish the Elm River bridge within two years."),
    ("c-2025-07-02", "2025-07-02", "Bridge groundbreaking",
     "Crews broke ground on the Elm River bridge. The mayor dug the first shovel of soil for the Elm River bridge."),
    ("d-2025-07-08", "2025-07-08", "Steel arrives",
     "The first steel beams for the Elm River bridge arrived by barge. "
     "Forty beams for the Elm River bridge were unloaded at the east bank."),
    ("e-2025-07-09", "2025-07-09", "Detour opens",
     "A detour around the Elm River bridge site opened for traffic. "
     "Drivers on the Elm River bridge detour reported short delays."),
    ("f-2025-07-20", "2025-07-20", "Bridge section collapses",
     "A section of the Elm River bridge collapsed during a storm. No one was hurt when the Elm River bridge section fell."),
    ("g-undated", "", "Bridge colour chosen",
     "The Elm River bridge will be painted green. The parks office chose green paint for the Elm River bridge railings."),
]  # fmt: skip
AFTER_AS_OF = "f-2025-07-20"
UNDATED = "g-undated"


def write_corpus(path: Path, articles: list[tuple[str, str, str, str]], source: str = "Valley Courier") -> Path:
    rows = [{"id": i, "published": day, "title": title, "text": text, "source": source} for i, day, title, text in articles]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("dated") / "bridge.jsonl", BRIDGE)


@pytest.fixture(scope="module")
def bridge(tmp_path_factory: pytest.TempPathFactory, encoder: OnnxInt8Encoder, corpus: Path) -> Assistant:
    return indexed(tmp_path_factory.mktemp("bridge-home"), encoder, corpus, len(BRIDGE))


def cited_days(answer: Answer) -> set[str]:
    return {c.meta.published for c in answer.citations}


@pytest.mark.parametrize(
    ("expression", "since", "until", "expected"),
    [
        ("today", "2025-07-09", "2025-07-09", {"e-2025-07-09"}),
        ("yesterday", "2025-07-08", "2025-07-08", {"d-2025-07-08"}),
        ("this week", "2025-07-02", "2025-07-09", {"c-2025-07-02", "d-2025-07-08", "e-2025-07-09"}),
        ("last week", "2025-06-30", "2025-07-06", {"c-2025-07-02"}),
        ("this month", "2025-07-01", "2025-07-09", {"c-2025-07-02", "d-2025-07-08", "e-2025-07-09"}),
        ("last month", "2025-06-01", "2025-06-30", {"b-2025-06"}),
        ("in June", "2025-06-01", "2025-07-09", {"b-2025-06", "c-2025-07-02", "d-2025-07-08", "e-2025-07-09"}),
        ("since Monday", "2025-07-07", "2025-07-09", {"d-2025-07-08", "e-2025-07-09"}),
        ("in 2024", "2024-01-01", "2025-07-09", {"a-2024-11", "b-2025-06", "c-2025-07-02", "d-2025-07-08", "e-2025-07-09"}),
    ],
)
def test_a_time_expression_is_applied_as_a_window_and_the_answer_says_so(
    bridge: Assistant, expression: str, since: str, until: str, expected: set[str]
) -> None:
    answer = bridge.ask(f"What happened with the Elm River bridge {expression}?", as_of=AS_OF)
    assert not answer.refused, answer.text
    assert answer.window is not None and (answer.window.since, answer.window.until) == (D(since), D(until))
    assert answer.window.expressions == (expression,) and answer.as_of == AS_OF
    line = f"Searched articles published {'on ' + since if since == until else f'between {since} and {until}'}."
    assert answer.text.startswith(line + "\n\n")
    assert answer.to_dict()["window"]["text"] == line and answer.to_dict()["as_of"] == "2025-07-09"
    assert {p.meta.id for p in answer.passages} <= expected  # nothing outside the window, nothing undated
    assert {c.meta.id for c in answer.citations} <= expected and answer.citations
    for day in cited_days(answer):  # every cited claim carries its article's date
        assert f"On {spelled_day(day)}, Valley Courier" in answer.text


def test_a_question_without_a_time_expression_searches_every_article_up_to_as_of(bridge: Assistant) -> None:
    answer = bridge.ask("Who won the contract for the Elm River bridge?", as_of=AS_OF)
    assert answer.window is None and answer.to_dict()["window"] is None
    assert not answer.text.startswith("Searched") and "Norland Builders" in answer.text
    found = {p.meta.id for p in bridge.retrieve("Who won the contract for the Elm River bridge?", k=10, as_of=AS_OF)}
    assert found == {article_id for article_id, *_ in BRIDGE} - {AFTER_AS_OF}  # no range: old and undated ones too


def test_nothing_published_after_as_of_is_retrieved_or_cited(bridge: Assistant) -> None:
    question = "Did a section of the Elm River bridge collapse during a storm?"
    later = bridge.ask(question, as_of="2025-07-21")
    assert later.citations and later.citations[0].meta.id == AFTER_AS_OF  # the best match, once it is published
    answer = bridge.ask(question, as_of=AS_OF)
    assert AFTER_AS_OF not in {p.meta.id for p in answer.passages} | {c.meta.id for c in answer.citations}
    for mode in ("hybrid", "dense", "keyword"):
        found = {p.meta.id for p in bridge.retrieve(question, k=10, as_of=AS_OF, mode=mode)}
        assert AFTER_AS_OF not in found and found, mode
    latest = bridge.ask("What is the latest on the Elm River bridge?", as_of=AS_OF)
    assert latest.window is not None and latest.window.latest and not latest.window.hard
    assert not latest.text.startswith("Searched") and AFTER_AS_OF not in {c.meta.id for c in latest.citations}


def test_a_narrow_filter_searches_again_among_the_chunks_that_pass(bridge: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    import assistant.retrieval

    searches: list[object] = []
    nearest, nearest_among = bridge.store.nearest, bridge.store.nearest_among
    monkeypatch.setattr(assistant.retrieval, "OVERFETCH", 1)  # one candidate read unfiltered: too few that pass
    monkeypatch.setattr(bridge.retriever, "candidates", 1)

    def recorded_nearest(vector: object, n: int, where: object = None) -> object:
        searches.append(where)
        return nearest(vector, n, where)  # type: ignore[arg-type]

    def recorded_among(vector: object, n: int, chunk_ids: list[str]) -> object:
        searches.append(sorted(chunk_ids))
        return nearest_among(vector, n, chunk_ids)  # type: ignore[arg-type]

    monkeypatch.setattr(bridge.store, "nearest", recorded_nearest)
    monkeypatch.setattr(bridge.store, "nearest_among", recorded_among)
    question = "What happened with the Elm River bridge yesterday?"
    found = bridge.retrieve(question, k=1, as_of=AS_OF, mode="dense")
    assert [p.meta.id for p in found] == ["d-2025-07-08"]
    yesterdays = sorted(c.id for c in bridge.store.iter_chunks() if c.meta.id == "d-2025-07-08")
    assert searches == [None, yesterdays]  # unfiltered first, then among the day's chunks alone: no Chroma `where`

    searches.clear()
    assert bridge.retrieve(question, since="2023-01-01", until="2023-12-31", as_of=AS_OF, mode="dense") == []
    assert searches == [None]  # no chunk is of 2023: no second search

    # A chunk removed from Chroma since the keyword index was refreshed: Chroma refuses the list, and filters itself.
    stale = bridge._keyword_index()
    passing = stale.passing

    def passing_a_removed_chunk(within: KeywordFilter) -> PassingChunks:
        found = passing(within)
        monkeypatch.setattr(found, "listed", lambda: [*yesterdays, "removed-since#0"])
        return found

    monkeypatch.setattr(stale, "passing", passing_a_removed_chunk)
    searches.clear()
    found = bridge.retrieve(question, k=1, as_of=AS_OF, mode="dense")
    assert [p.meta.id for p in found] == ["d-2025-07-08"]
    assert searches[0] is None and searches[1] == sorted([*yesterdays, "removed-since#0"])
    assert isinstance(searches[2], dict)  # Chroma's `where`


def test_as_of_defaults_to_today(bridge: Assistant) -> None:
    answer = bridge.ask("Did a section of the Elm River bridge collapse during a storm?")
    assert answer.as_of == date.today() and answer.citations[0].meta.id == AFTER_AS_OF


def test_undated_articles_stay_retrievable_as_of_any_day(bridge: Assistant) -> None:
    answer = bridge.ask("What colour will the Elm River bridge be painted?", as_of="2000-01-01")
    assert {p.meta.id for p in answer.passages} == {UNDATED}  # the only article not known to be later
    assert not answer.refused and "An undated Valley Courier article says that" in answer.text


def test_a_window_with_no_article_is_a_refusal_that_names_it(bridge: Assistant) -> None:
    answer = bridge.ask("What happened in 2023?", as_of=AS_OF)  # the news of 2023: its own articles
    assert answer.refused and answer.citations == [] and answer.passages == []
    assert answer.text == (
        "No indexed article was published between 2023-01-01 and 2023-12-31 (“in 2023”, as of 2025-07-09), "
        "so the articles I have don't answer this question."
    )
    after = bridge.ask("What happened with the Elm River bridge in 2026?", as_of=AS_OF)
    assert after.refused and after.text.startswith("“in 2026” is after 2025-07-09")


def test_a_bad_as_of_is_a_clear_error(bridge: Assistant) -> None:
    with pytest.raises(AssistantError, match="as_of='next week' is not a date"):
        bridge.ask("What happened?", as_of="next week")


def test_the_cli_takes_as_of_and_prints_the_window(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = cli_over(corpus, tmp_path / "home", monkeypatch)
    asked = runner.invoke(app, ["ask", "What happened with the Elm River bridge last week?", "--as-of", "2025-07-09"])
    assert asked.exit_code == 0, asked.output
    assert asked.stdout.startswith("Searched articles published between 2025-06-30 and 2025-07-06.\n\nOn Jul 2, 2025,")
    as_json = runner.invoke(app, ["ask", "What happened with the Elm River bridge yesterday?", "--as-of", "2025-07-09", "--json"])
    answer = json.loads(as_json.stdout)
    assert answer["as_of"] == "2025-07-09" and answer["window"]["since"] == answer["window"]["until"] == "2025-07-08"
    assert answer["window"]["expressions"] == ["yesterday"] and answer["text"].startswith(answer["window"]["text"])
    bad = runner.invoke(app, ["ask", "What happened?", "--as-of", "someday"])
    assert bad.exit_code == 1 and bad.stderr.startswith("error: as_of='someday' is not a date")


def test_eval_answers_each_question_as_of_its_own_date(
    corpus: Path, encoder: OnnxInt8Encoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "home"))
    questions = tmp_path / "questions.jsonl"
    rows = [
        {"id": "q1", "date": "2025-07-09", "question": "What arrived for the Elm River bridge yesterday?",
         "choices": ["steel beams", "paint"], "answers": ["steel beams"], "answer_index": [0], "answer_in_corpus": True},
        {"id": "q2", "date": "2025-06-12", "question": "Which company won the Elm River bridge contract this month?",
         "choices": ["Norland Builders", "Acme"], "answers": ["Norland Builders"], "answer_index": [0], "answer_in_corpus": True},
    ]  # fmt: skip
    questions.write_text("".join(json.dumps(row) + "\n" for row in rows))
    options = EvalOptions(set_path=questions, corpus=(corpus,), out=tmp_path / "out", backend="extractive")
    run_eval(options, encoder=encoder)  # by default each question is answered as of its own date
    records = {r["id"]: r for r in map(json.loads, (tmp_path / "out" / "results.jsonl").read_text().splitlines())}
    assert records["q1"]["answer"]["as_of"] == "2025-07-09" and records["q2"]["answer"]["as_of"] == "2025-06-12"
    assert records["q1"]["answer"]["window"]["since"] == "2025-07-08"
    assert records["q2"]["retrieval"]["hybrid"]["articles"] == ["b-2025-06"]  # the baselines searched the same window
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["accuracy"] == 1.0 and metrics["citation_coverage"] == 1.0  # the window line is no uncited sentence

    one_day = replace(options, out=tmp_path / "one-day", as_of="2025-07-08")
    run_eval(one_day, encoder=encoder)
    answers = [json.loads(line)["answer"] for line in (tmp_path / "one-day" / "results.jsonl").read_text().splitlines()]
    assert [a["as_of"] for a in answers] == ["2025-07-08", "2025-07-08"]
    gold = tmp_path / "gold.jsonl"  # a gold-set line carries no date: answered as of today
    gold.write_text(json.dumps({"id": "g", "question": "Who won the Elm River bridge contract?", "answers": ["Norland"]}) + "\n")
    run_eval(replace(options, set_path=gold, out=tmp_path / "gold-out"), encoder=encoder)
    [record] = map(json.loads, (tmp_path / "gold-out" / "results.jsonl").read_text().splitlines())
    assert record["answer"]["as_of"] == date.today().isoformat()
    with pytest.raises(EvalError, match="'someday' is not a date"):
        run_eval(replace(options, as_of="someday", out=tmp_path / "bad"), encoder=encoder)


# --- the seeds' disagreement --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dated_seeds(tmp_path_factory: pytest.TempPathFactory, encoder: OnnxInt8Encoder) -> Assistant:
    """The two seed articles with both dates known: China's denial of any talks (Apr 25, 2025, the Friday the Foreign
    Ministry posted it) and China weighing a U.S. offer of talks (Jul 2, 2025, the date in its byline)."""
    folder = tmp_path_factory.mktemp("dated-seeds")
    rows = [
        {"id": DENIAL_ARTICLE, "published": "2025-04-25",
         "title": "China Stands Firm in U.S. Trade War, Dismisses Negotiation Claims",
         "text": (SEEDS / DENIAL_ARTICLE).read_text(encoding="utf-8")},
        {"id": AKAZAWA_ARTICLE, "published": "2025-07-02", "source": "Stocktwits",
         "title": "Trump Trade Talks: China Finally Mulls Opening Door For Negotiations, Japan Races To Close Deal By June",
         "text": (SEEDS / AKAZAWA_ARTICLE).read_text(encoding="utf-8")},
    ]  # fmt: skip
    (folder / "seeds.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    bot = Assistant(Settings(home=folder / "home", seeds_dir=folder / "none", llm="extractive"), encoder=encoder)
    bot.ingest([folder / "seeds.jsonl"])
    return bot


def test_the_seeds_disagreement_is_told_in_date_order(dated_seeds: Assistant) -> None:
    answer = dated_seeds.ask("Is China negotiating with the United States on trade?", as_of=AS_OF)
    assert not answer.refused
    assert {c.meta.id for c in answer.citations} == {DENIAL_ARTICLE, AKAZAWA_ARTICLE}
    older, newer = answer.text.index("On Apr 25, 2025, an article reported that"), answer.text.index("On Jul 2, 2025, Stocktwits")
    assert older < newer  # the denial first, the later report of China weighing the offer after it
    assert [c.meta.id for c in answer.citations] == [DENIAL_ARTICLE, AKAZAWA_ARTICLE]  # numbered in that order
    assert answer.text.endswith("The Stocktwits article of Jul 2, 2025 is the newer one [2].")


def test_the_seeds_as_shipped_name_the_undated_article(seeded: Assistant) -> None:
    answer = seeded.ask("Is China negotiating with the United States on trade?")
    assert {c.meta.id for c in answer.citations} == {DENIAL_ARTICLE, AKAZAWA_ARTICLE}
    assert "On Jul 2, 2025, Stocktwits reported that" in answer.text and "An undated article says that" in answer.text
    assert "newer" not in answer.text  # one date only: which is newer is not known
    assert seeded.ask("Is China negotiating with the United States on trade?", as_of="2025-07-01").citations[0].meta.id == (
        DENIAL_ARTICLE
    )  # the Stocktwits article is not yet published; the undated one stays
