"""Recency as a soft signal: questions that ask for the latest or current state rank newer articles higher (a decay
by age before the as-of day, fused with the retrieval scores); other questions rank a candidate lower, gently, the
older it is than the newest candidate."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.retrieval import Recency, Staleness
from assistant.time_window import resolve
from index.embeddings import OnnxInt8Encoder

AS_OF = date(2025, 7, 9)


def test_the_boost_halves_with_each_half_life_and_undated_articles_get_none() -> None:
    recency = Recency(as_of=AS_OF, weight=1.0, half_life_days=30)
    new, month_old, undated = recency.boost(20250709, 60), recency.boost(20250609, 60), recency.boost(0, 60)
    assert new == pytest.approx(1 / 61) and month_old == pytest.approx(new / 2) and undated == 0.0
    assert Recency(as_of=AS_OF, weight=0.0, half_life_days=30).boost(20250709, 60) == 0.0


def test_staleness_lowers_a_candidate_by_its_gap_to_the_newest_and_spares_undated_ones() -> None:
    fused = {"new": 0.0, "same-day": 0.0, "year-older": 0.0, "undated": 0.0}
    days = {"new": 20250709, "same-day": 20250709, "year-older": 20240709, "undated": 0}
    Staleness(weight=1.0, half_life_days=365).adjust(fused, days.__getitem__, 60)
    assert fused["new"] == fused["same-day"] == fused["undated"] == 0.0
    assert fused["year-older"] == pytest.approx(-0.5 / 61)  # 365 days older: one half-life


def test_staleness_leaves_candidates_alone_when_none_is_dated_or_all_are_from_one_day() -> None:
    for days in ({"a": 0, "b": 0}, {"a": 20200101, "b": 20200101}):
        fused = {"a": 0.02, "b": 0.01}
        Staleness(weight=1.0, half_life_days=365).adjust(fused, days.__getitem__, 60)
        assert fused == {"a": 0.02, "b": 0.01}


@pytest.mark.parametrize(
    ("question", "latest"),
    [
        ("What is the latest on the Elm River bridge?", True),
        ("Who currently runs the ferry?", True),
        ("What is the current toll on the bridge?", True),
        ("Who runs the ferry now?", True),
        ("Who runs the ferry?", False),
        ("Is the now-closed quay reopening?", False),  # "now-closed" is one word
    ],
)
def test_latest_and_current_state_questions_set_the_latest_flag(question: str, latest: bool) -> None:
    window = resolve(question, AS_OF)
    assert (window is not None and window.latest) is latest
    assert window is None or not window.hard  # a flag for ranking, never a date filter


# Two reports of the ferry operator: the older one says more about it (it ranks first on its words alone).
ARTICLES = [
    {"id": "old", "published": "2025-01-10", "title": "Ferry operator named",
     "text": "The Elm River ferry operator is Harbour Lines. Harbour Lines runs the Elm River ferry operator contract "
             "and the Elm River ferry timetable."},
    {"id": "new", "published": "2025-07-01", "title": "Ferry operator changes",
     "text": "Quay Boats took over as the Elm River ferry operator this month."},
]  # fmt: skip


@pytest.fixture(scope="module")
def ferry_home(tmp_path_factory: pytest.TempPathFactory, encoder: OnnxInt8Encoder) -> Path:
    folder = tmp_path_factory.mktemp("recency")
    corpus = folder / "c.jsonl"
    corpus.write_text("".join(json.dumps(a) + "\n" for a in ARTICLES))
    Assistant(Settings(home=folder / "home", seeds_dir=folder / "none", llm="extractive"), encoder=encoder).ingest([corpus])
    return folder / "home"


def ranking(home: Path, encoder: OnnxInt8Encoder, question: str, scope: str, stale_half_life_days: float = 365) -> list[str]:
    recency = {"scope": scope, "stale_half_life_days": stale_half_life_days}
    settings = Settings(home=home, seeds_dir=home / "none", llm="extractive", recency=recency)
    return [p.meta.id for p in Assistant(settings, encoder=encoder).retrieve(question, k=2, as_of=AS_OF)]


def test_a_latest_question_ranks_the_newer_article_first_only_with_recency_on(ferry_home: Path, encoder: OnnxInt8Encoder) -> None:
    plain, latest = "Who is the Elm River ferry operator?", "Who is the Elm River ferry operator now?"
    assert ranking(ferry_home, encoder, plain, "off") == ["old", "new"]  # on its words, the older report wins
    assert ranking(ferry_home, encoder, latest, "off") == ["old", "new"]
    assert ranking(ferry_home, encoder, latest, "latest") == ["new", "old"]  # the default: the newer one first
    assert ranking(ferry_home, encoder, plain, "latest", stale_half_life_days=0) == ["old", "new"]  # no preference
    assert ranking(ferry_home, encoder, plain, "always") == ["new", "old"]


def test_a_plain_question_ranks_a_report_half_a_year_older_than_the_newest_behind_it(
    ferry_home: Path, encoder: OnnxInt8Encoder
) -> None:
    # the default: not asked for the latest, yet a report 172 days older than the newest loses more than its lead
    assert ranking(ferry_home, encoder, "Who is the Elm River ferry operator?", "latest") == ["new", "old"]
