"""The eval run end to end on the real Chroma, MiniLM and extractive backend: outputs, isolation, resume, CLI."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app as assistant_app
from assistant.cli import register_commands
from eval.datasets import GoldItem
from eval.errors import EvalError
from eval.metrics import answer_rank, mentions_answer
from eval.runner import EvalOptions, EvalOutcome, answer_excluder, right_choice, run_eval
from index.embeddings import OnnxInt8Encoder
from index.types import ArticleMeta, StoredChunk
from tests.conftest import REPO, SEEDS

SEEDS_SET = REPO / "eval" / "sets" / "seeds.jsonl"
CI_EVAL = REPO / "scripts" / "ci_eval.sh"
app = register_commands(assistant_app)  # as `assistant` does: eval comes in through its entry point


def ci_floors(question_set: str) -> dict[str, float]:
    """The --fail-under floors scripts/ci_eval.sh gives the eval of `question_set`: CI's gates, read from CI itself."""
    commands = CI_EVAL.read_text().replace("\\\n", " ").splitlines()  # continued lines joined
    [command] = [c for c in commands if re.search(rf"assistant\"? eval {re.escape(question_set)}\s", c)]
    return {name: float(value) for name, value in re.findall(r"--fail-under\s+([^=\s]+)=(\S+)", command)}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The user's data directory for these tests (the eval must build its index beside it, not in it)."""
    path = tmp_path_factory.mktemp("user-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASSISTANT_HOME", str(path))
        patch.delenv("ASSISTANT_LLM", raising=False)
        patch.delenv("ASSISTANT_CHROMA_URL", raising=False)
        yield path


@pytest.fixture(scope="module")
def seeds_run(home: Path, encoder: OnnxInt8Encoder, tmp_path_factory: pytest.TempPathFactory) -> EvalOutcome:
    out = tmp_path_factory.mktemp("seeds-run")
    options = EvalOptions(set_path=SEEDS_SET, corpus=(SEEDS,), out=out, backend="extractive")
    return run_eval(options, encoder=encoder)


def test_a_run_writes_results_metrics_report_and_plots(seeds_run: EvalOutcome) -> None:
    out = seeds_run.out
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(records) == seeds_run.items == 44
    first = records[0]
    assert first["answer"]["backend"] == "extractive"
    assert set(first["retrieval"]) == {"bm25", "dense", "hybrid"}
    assert first["answer"]["passages"] and first["answer"]["timings"]["total"] > 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["primary_metric"] == "accuracy"
    for name in ("accuracy", "refusal_recall", "citation_precision", "citation_coverage", "hybrid.answer_recall@5"):
        assert 0.0 <= metrics[name] <= 1.0, name
    assert metrics["hybrid.source_hit@10"] == 1.0  # two articles, five chunks: ten passages hold every source
    report = (out / "report.md").read_text()
    for heading in ("BM25 only", "dense only", "hybrid (RRF)", "## By category", "## Worst failures", "![recall_at_k.png]"):
        assert heading in report
    for plot in ("recall_at_k.png", "accuracy_by_category.png", "latency.png"):
        assert (out / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_extractive_backend_clears_the_ci_floor_on_the_seeds(seeds_run: EvalOutcome) -> None:
    floors = ci_floors("eval/sets/seeds.jsonl")
    assert {"accuracy", "refusal_recall"} <= set(floors), floors  # the gates were found
    m = seeds_run.metrics
    below = {name: (m.get(name), floor) for name, floor in floors.items() if (m.get(name) or 0.0) < floor}
    assert below == {}, "metric: (value, CI floor)"


def test_the_run_indexes_into_its_own_folder(seeds_run: EvalOutcome, home: Path) -> None:
    eval_dirs = list((home / "eval").iterdir())
    assert len(eval_dirs) == 1 and (eval_dirs[0] / "chroma").is_dir()
    assert not (home / "chroma").exists()  # the user's own index is untouched
    assert (eval_dirs[0] / "models").resolve() == (home / "models").resolve()  # model files are shared, not copied


def test_a_rerun_skips_finished_questions_and_finishes_a_cut_off_one(
    seeds_run: EvalOutcome, encoder: OnnxInt8Encoder, tmp_path: Path
) -> None:
    out = tmp_path / "resume"
    out.mkdir()
    lines = (seeds_run.out / "results.jsonl").read_text().splitlines()
    (out / "run.json").write_text((seeds_run.out / "run.json").read_text())
    (out / "results.jsonl").write_text("\n".join(lines[:40]) + "\n" + lines[40][:25])  # the 41st was being written
    options = EvalOptions(set_path=SEEDS_SET, corpus=(SEEDS,), out=out, backend="extractive")
    again = run_eval(options, encoder=encoder)
    assert again.skipped == 40
    ids = [json.loads(line)["id"] for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(ids) == len(set(ids)) == 44
    assert again.metrics["hybrid.answer_recall@5"] == seeds_run.metrics["hybrid.answer_recall@5"]


def test_an_out_folder_of_another_run_is_refused(seeds_run: EvalOutcome, encoder: OnnxInt8Encoder) -> None:
    options = EvalOptions(set_path=SEEDS_SET, corpus=(SEEDS,), out=seeds_run.out, backend="extractive", top_k=3)
    with pytest.raises(EvalError, match="holds results of a different run \\(top_k differ"):
        run_eval(options, encoder=encoder)


def test_retrieval_only_with_compare(seeds_run: EvalOutcome, encoder: OnnxInt8Encoder, tmp_path: Path) -> None:
    options = EvalOptions(
        set_path=SEEDS_SET, corpus=(SEEDS,), out=tmp_path / "r", retrieval_only=True, compare=seeds_run.out, limit=8
    )
    outcome = run_eval(options, encoder=encoder)
    assert outcome.primary == "hybrid.answer_recall@5"
    assert "accuracy" not in outcome.metrics
    compared = dict((name, (this, other)) for name, this, other in outcome.compare)
    assert compared["accuracy"] == (None, seeds_run.metrics["accuracy"])
    assert "## Compared with the other run" in (outcome.out / "report.md").read_text()
    assert outcome.outcomes is None  # no answers: no outcomes to compare
    records = [json.loads(line) for line in (outcome.out / "results.jsonl").read_text().splitlines()]
    assert len(records) == 8 and all(r["answer"] is None for r in records)


def test_compare_lists_the_questions_whose_outcome_changed(
    seeds_run: EvalOutcome, encoder: OnnxInt8Encoder, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    shutil.copytree(seeds_run.out, other)
    records = [json.loads(line) for line in (other / "results.jsonl").read_text().splitlines()]
    records[0]["answer"]["text"] = "Nobody knows [1]."  # the other run got the first question wrong
    (other / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    options = EvalOptions(set_path=SEEDS_SET, corpus=(SEEDS,), out=tmp_path / "this", backend="extractive", limit=6)
    outcome = run_eval(replace(options, compare=other), encoder=encoder)
    assert outcome.outcomes is not None and outcome.outcomes.compared == 6
    changes = [(c.item.id, c.asked, c.other, c.this) for c in outcome.outcomes.changes]
    assert changes == [(records[0]["id"], "as asked", "wrong", "right")]
    report = (outcome.out / "report.md").read_text()
    assert "Outcomes changed: 1 of 6 compared (as asked: wrong → right 1)" in report
    assert f"| {records[0]['id']} | as asked | wrong | right |" in report
    same = run_eval(replace(options, out=tmp_path / "same", compare=seeds_run.out), encoder=encoder).outcomes
    assert same is not None and same.changes == [] and same.compared == 6
    with pytest.raises(EvalError, match="asked another question set"):
        other_set = tmp_path / "other-set"
        shutil.copytree(other, other_set)
        key = json.loads((other_set / "run.json").read_text())
        (other_set / "run.json").write_text(json.dumps({**key, "set_sha256": "0" * 64}))
        run_eval(replace(options, out=tmp_path / "third", compare=other_set), encoder=encoder)


def test_counterfactual_asks_leave_out_every_passage_with_the_answer(
    home: Path, encoder: OnnxInt8Encoder, tmp_path: Path
) -> None:
    # one-part answers, a two-part answer over two articles, a follow-up, and an answer the article's date states
    wanted = {"who-01", "both-01", "follow-01", "when-04"}
    lines = [line for line in SEEDS_SET.read_text().splitlines() if json.loads(line)["id"] in wanted]
    (tmp_path / "tiny.jsonl").write_text("\n".join(lines) + "\n")
    options = EvalOptions(
        set_path=tmp_path / "tiny.jsonl", corpus=(SEEDS,), out=tmp_path / "cf", backend="extractive", counterfactual=True
    )
    outcome = run_eval(options, encoder=encoder)
    records = {r["id"]: r for r in map(json.loads, (outcome.out / "results.jsonl").read_text().splitlines())}
    assert set(records) == wanted
    for record in records.values():
        answers = [tuple(a) for a in record["answers"]]
        asked = record["counterfactual"]
        assert asked["passages"], record["id"]  # the places of the left-out chunks are filled from the others
        texts = [p["text"] for p in asked["passages"]]
        assert not any(mentions_answer(t, answers) for t in texts), record["id"]
        assert answer_rank(texts, answers) is None, record["id"]  # nor do the passages hold it together
    assert answer_rank([p["text"] for p in records["who-01"]["answer"]["passages"]], [("Akazawa",)]) is not None
    dated = records["when-04"]  # "When was the Stocktwits article … published?": July 2, 2025, from its metadata
    assert not dated["answer"]["refused"] and "July 2, 2025" in dated["answer"]["text"]
    assert {p["published"] for p in dated["counterfactual"]["passages"]} == {""}  # no article of that date is left
    assert dated["counterfactual"]["refused"]
    m = outcome.metrics
    assert m["counterfactual_items"] == 4.0
    assert m["counterfactual_refusal_rate"] is not None and 0.0 <= m["counterfactual_refusal_rate"] <= 1.0
    assert m["counterfactual_choice_items"] == 0.0 and m["counterfactual_wrong_choice_rate"] is None  # no choices
    assert "counterfactual_refusal_rate" in json.loads((outcome.out / "metrics.json").read_text())
    assert "## Counterfactual unanswerables" in (outcome.out / "report.md").read_text()
    with pytest.raises(EvalError, match="holds results of a different run \\(counterfactual differ"):
        run_eval(replace(options, counterfactual=False), encoder=encoder)


def test_a_multiple_choice_counterfactual_also_leaves_out_the_right_choice_named_as_the_assistant_reads_it() -> None:
    item = GoldItem(
        id="q",
        question="Which public figure launched a new sneaker line this week?",
        answers=(("Donald Trump",),),
        choices=("Elon Musk", "Martha Stewart", "Donald Trump"),
    )
    meta = ArticleMeta(id="a", title="Sneakers", source="USA TODAY", published="2024-02-17")
    excluded = answer_excluder(item)

    def chunk(text: str) -> StoredChunk:
        return StoredChunk(id=text, meta=meta, index=0, text=text, start=0, end=len(text))

    assert excluded(chunk("Donald Trump sold gold sneakers."))  # the answer as written
    assert excluded(chunk("Trump unveiled $399 sneakers at Sneaker Con."))  # the right choice by its own name
    assert not excluded(chunk("Elon Musk posted about sneakers."))  # a wrong choice stays
    assert not excluded(chunk("Sneaker Con drew crowds in Philadelphia."))
    assert right_choice(item) == 2
    assert right_choice(replace(item, choices=())) is None
    assert not answer_excluder(replace(item, choices=()))(chunk("Trump unveiled $399 sneakers."))  # no choices: the answer only


def test_a_missing_corpus_compare_folder_or_the_users_index_is_an_error(home: Path, tmp_path: Path) -> None:
    base = EvalOptions(set_path=SEEDS_SET, out=tmp_path / "x", backend="extractive")
    with pytest.raises(EvalError, match=r"corpus .*nowhere: no such file or folder"):
        run_eval(replace(base, corpus=(tmp_path / "nowhere",)))
    with pytest.raises(EvalError, match=r"--compare .*: no metrics\.json"):
        run_eval(replace(base, compare=tmp_path))
    with pytest.raises(EvalError, match=r"is your own index"):
        run_eval(replace(base, index_dir=home))


def test_cli_gate_fails_below_the_floor_and_passes_above(home: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["eval", str(SEEDS_SET), "--backend", "extractive", "--limit", "4", "--out", str(tmp_path / "cli")]
    failed = runner.invoke(app, [*args, "--fail-under", "accuracy=1.01"])
    assert failed.exit_code == 1
    assert "FAIL: accuracy = " in failed.output and "is below 1.01" in failed.output
    passed = runner.invoke(app, [*args, "--fail-under", "hybrid.answer_recall@10=0.5"])  # reuses the finished run
    assert passed.exit_code == 0, passed.output
    assert "4 questions (4 reused" in passed.output and "passed 1 gate(s)" in passed.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--fail-under", "acuracy=0.5"], "error: --fail-under 'acuracy=0.5': unknown metric 'acuracy'"),
        (["--fail-under", "accuracy"], "error: --fail-under 'accuracy': expected METRIC=VALUE"),
        (["--corpus", "/nowhere/at/all"], "error: corpus /nowhere/at/all: no such file or folder"),
        (["--backend", "magic"], "error: setting llm:"),
        (["--sample", "0"], "error: --sample must be at least 1"),
        (["--counterfactual", "--retrieval-only"], "error: --counterfactual asks questions"),
    ],
)
def test_cli_bad_options_give_one_line(home: Path, tmp_path: Path, extra: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["eval", str(SEEDS_SET), "--out", str(tmp_path / "o"), *extra])
    assert result.exit_code == 1
    assert result.output.strip().startswith(message), result.output
    assert len(result.output.strip().splitlines()) == 1


def test_cli_malformed_set_names_the_line(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1", "question": "Q?", "answers": ["a"]}\n{"id": "2", "question": "Q?", "answer": ["a"]}\n')
    result = CliRunner().invoke(app, ["eval", str(bad)])
    assert result.exit_code == 1
    allowed = "answerable, answers, category, choices, evidence, history, id, question, sources"
    assert result.output.strip() == f"error: {bad}:2: unknown field(s) answer; allowed: {allowed}"


def test_the_eval_index_is_reused_unless_what_built_it_changed(
    seeds_run: EvalOutcome, home: Path, encoder: OnnxInt8Encoder, tmp_path: Path
) -> None:
    said: list[str] = []
    options = EvalOptions(set_path=SEEDS_SET, corpus=(SEEDS,), out=tmp_path / "a", backend="extractive", limit=2)
    run_eval(options, encoder=encoder, say=said.append)
    assert not any(m.startswith("indexing") for m in said)  # same corpus and settings: the index is reused
    [index_dir] = (home / "eval").iterdir()
    marker = index_dir / "eval-corpus.json"
    record = json.loads(marker.read_text())
    record["corpus_digest"] = record["corpus_digest"].split(":")[0] + ":an-older-encoder"
    marker.write_text(json.dumps(record))
    run_eval(replace(options, out=tmp_path / "b"), encoder=encoder, say=said.append)
    assert any(m.startswith("indexing") for m in said)
