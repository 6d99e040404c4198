"""Question sets: the seeds gold set's content, RealTime QA files, selection, and one-line errors for bad lines."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import pytest

from eval.datasets import GoldItem, load_set, question_kind, select
from eval.errors import EvalError
from eval.slices import month_slice
from tests.conftest import AKAZAWA_ARTICLE, DENIAL_ARTICLE, REPO, SEEDS, SHARED

SEEDS_SET = REPO / "eval" / "sets" / "seeds.jsonl"
RTQA = SHARED / "data" / "realtimeqa-2024h1"


def _squash(text: str) -> str:
    return " ".join(text.split())


def test_seeds_set_covers_what_the_issue_asks() -> None:
    items = load_set(SEEDS_SET)
    categories = {i.category for i in items}
    assert len(items) >= 30
    assert sum(not i.answerable for i in items) >= 5
    assert {"who", "when", "number", "paraphrase", "both articles", "contradiction", "follow-up"} <= categories
    assert sum(bool(i.history) for i in items) >= 3
    both = [i for i in items if set(i.sources) == {AKAZAWA_ARTICLE, DENIAL_ARTICLE}]
    assert len(both) >= 3  # the two-article questions and the contradiction between the articles
    contradiction = next(i for i in items if i.category == "contradiction" and len(i.sources) == 2)
    assert any("evaluating" in parts and any("not having" in p for p in parts) for parts in contradiction.answers)


def test_seeds_set_evidence_and_sources_are_in_the_articles() -> None:
    texts = {p.name: _squash(p.read_text(encoding="utf-8")) for p in SEEDS.iterdir()}
    for item in load_set(SEEDS_SET):
        assert set(item.sources) <= set(texts), item.id
        for evidence in item.evidence:
            assert any(_squash(evidence) in t for t in texts.values()), (item.id, evidence)
        if not item.answerable:
            assert not item.answers and not item.sources


def test_realtimeqa_lines_become_items(tmp_path: Path) -> None:
    row: dict[str, Any] = {
        "id": "20240105_2",
        "date": "2024-01-05",
        "question": "Who beat Luke Littler to become the PDC world champion?",
        "choices": ["Scott Williams", "Rob Cross", "Luke Humphries", "Michael van Gerwen"],
        "answers": ["Luke Humphries"],
        "answer_index": [2],
        "evidence": "Humphries won 7-4.",
        "answer_in_corpus": False,
    }
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps(row) + "\n")
    [item] = load_set(path)
    assert item == GoldItem(
        id="20240105_2",
        question=row["question"],
        answers=(("Luke Humphries",),),
        answerable=False,
        choices=tuple(row["choices"]),
        evidence=("Humphries won 7-4.",),
        category="who",
        date="2024-01-05",
    )


@pytest.mark.skipif(not RTQA.exists(), reason="the shared RealTime QA folder is not on this machine")
def test_the_whole_realtimeqa_file_loads() -> None:
    items = load_set(RTQA / "questions.jsonl")
    assert len(items) == 739
    assert all(i.choices and i.answers for i in items)
    assert 400 < sum(i.answerable for i in items) < 739


def test_question_kinds() -> None:
    assert question_kind("How many people died?") == "how many"
    assert question_kind("Which of the following is not a candidate?") == "which"
    assert question_kind("Who won?") == "who"
    assert question_kind("When did it happen?") == "when"
    assert question_kind("Which country hosted it?") == "where"
    assert question_kind("Name the storm.") == "other"


def test_selection_is_seeded_and_ordered() -> None:
    items = load_set(SEEDS_SET)
    first = select(items, sample=10, seed=1)
    assert first == select(items, sample=10, seed=1)
    assert first != select(items, sample=10, seed=2)
    assert [items.index(i) for i in first] == sorted(items.index(i) for i in first)
    assert all(i.answerable for i in select(items, only_answerable=True))
    assert select(items, sample=10, seed=1, limit=3) == first[:3]
    with pytest.raises(EvalError, match="--limit must be at least 1"):
        select(items, limit=0)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", r"q\.jsonl:2: not valid JSON"),
        ("[1, 2]", r"q\.jsonl:2: expected a JSON object, got list"),
        ('{"id": "b", "question": "Q?", "answers": ["x"], "topic": "t"}', r"q\.jsonl:2: unknown field\(s\) topic"),
        ('{"id": "b", "answers": ["x"]}', r"q\.jsonl:2: missing or empty 'question'"),
        ('{"id": "b", "question": "Q?"}', r"q\.jsonl:2: an answerable question needs at least one accepted answer"),
        ('{"id": "b", "question": "Q?", "answers": ["x"], "answerable": false}', r"'answers' must be empty"),
        ('{"id": "b", "question": "Q?", "answers": ["x"], "choices": ["y", "z"]}', r"answer 'x' is not one of the choices"),
        ('{"id": "a", "question": "Q?", "answers": ["x"]}', r"q\.jsonl:2: id 'a' already used on line 1"),
        ('{"id": "b", "question": "Q?", "answers": ["x"], "history": ["just a string"]}', r"each 'history' turn"),
        ('{"id": "b", "question": "Q?", "answers": [3]}', r"each answer must be a non-empty string"),
        ('{"id": "b", "question": "Q?", "answers": ["x"], "answer_index": [0], "answer_in_corpus": 1}', r"'answer_in_corpus'"),
    ],
)
def test_a_bad_line_names_file_line_and_problem(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "a", "question": "Q?", "answers": ["x"]}\n' + line + "\n")
    with pytest.raises(EvalError, match=message) as caught:
        load_set(path)
    assert "\n" not in str(caught.value)


def test_empty_missing_and_binary_sets(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    with pytest.raises(EvalError, match=r"empty\.jsonl: no questions in it"):
        load_set(empty)
    with pytest.raises(EvalError, match=r"nope\.jsonl: no such question set"):
        load_set(tmp_path / "nope.jsonl")
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes('{"id": "a", "question": "Caf\xe9?", "answers": ["x"]}\n'.encode("latin-1"))
    with pytest.raises(EvalError, match=r"latin\.jsonl: not UTF-8"):
        load_set(latin)


def test_month_slice_keeps_the_month_and_its_news(tmp_path: Path) -> None:
    data = tmp_path / "rtqa"
    data.mkdir()
    questions: list[dict[str, Any]] = [
        {"id": "1", "date": "2024-06-07", "question": "Storm?", "choices": ["Henk", "Hank"], "answers": ["Henk"]},
        {"id": "2", "date": "2024-06-28", "question": "Who?", "choices": ["Ann", "Bo"], "answers": ["Bo"]},
        {"id": "3", "date": "2024-05-31", "question": "May?", "choices": ["x", "y"], "answers": ["x"]},
    ]
    for q in questions:
        q |= {"answer_index": [0], "evidence": "", "answer_in_corpus": True}
    (data / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))
    articles = [
        {"id": "old", "title": "t", "published": "2024-05-20", "text": "Bo said hello."},
        {"id": "in", "title": "Storm Henk", "published": "2024-06-01", "text": "Storm Henk hit."},
        {"id": "late", "title": "t", "published": "2024-07-01", "text": "Bo again."},
        {"id": "undated", "title": "t", "published": "", "text": "Bo."},
    ]
    with gzip.open(data / "corpus.jsonl.gz", "wt") as handle:
        handle.writelines(json.dumps(a) + "\n" for a in articles)
    made = month_slice(data, tmp_path / "out", "2024-06", lookback_days=7)
    assert (made.question_count, made.article_count, made.answerable, made.since) == (2, 1, 1, "2024-05-31")
    with gzip.open(made.corpus, "rt") as handle:
        kept = [json.loads(line) for line in handle]
    assert [a["id"] for a in kept] == ["in"]
    flags = {q["id"]: q["answer_in_corpus"] for q in map(json.loads, made.questions.read_text().splitlines())}
    assert flags == {"1": True, "2": False}  # Bo is only in articles outside the window
    first_bytes = made.corpus.read_bytes()
    again = month_slice(data, tmp_path / "out", "2024-06", lookback_days=7)
    assert again.corpus.read_bytes() == first_bytes  # byte-identical: the eval index named by its hash is reused
    with pytest.raises(EvalError, match=re.escape("no questions dated 2023-01")):
        month_slice(data, tmp_path / "out", "2023-01")
