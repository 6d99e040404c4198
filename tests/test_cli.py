"""The `assistant` command, through typer's runner and as a real process."""

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from assistant import Answer
from assistant.cli import _drain, app
from assistant.prompts import CHECKED_ANSWER, REFUSAL_TEXT
from tests.conftest import AKAZAWA_ARTICLE, REPO, SEEDS
from tests.fakes import SCRIPT_ENV

ANSWER_FIELDS = {
    "question",
    "text",
    "refused",
    "citations",
    "passages",
    "backend",
    "model",
    "standalone_question",
    "flagged",
    "timings",
    "tokens",
    "answer_check",
    "as_of",
    "window",
}
CITATION_FIELDS = {
    "number",
    "article_id",
    "title",
    "source",
    "published",
    "date_inferred",
    "location",
    "story",
    "also_in",
    "quote",
    "start",
    "end",
    "page",
    "score",
    "chunk_id",
}


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {"ASSISTANT_HOME": str(tmp_path / "home"), "ASSISTANT_SEEDS_DIR": str(SEEDS), "ASSISTANT_LLM": "extractive"}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The command as a real process: for what only a process shows (the entry point, exit codes, stdout as JSON)."""
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True, cwd=REPO, timeout=300)


def invoke(*args: str) -> Result:
    """The command in-process, through typer's runner."""
    return CliRunner().invoke(app, list(args))


def test_ask_json_cites_akazawa_and_refuses_the_super_bowl(env: dict[str, str]) -> None:
    answered = run("ask", "Who is Japan's chief negotiator?", "--json")
    assert answered.returncode == 0, answered.stderr
    answer = json.loads(answered.stdout)
    assert set(answer) == ANSWER_FIELDS
    assert answer["refused"] is False
    citation = answer["citations"][0]
    assert set(citation) == CITATION_FIELDS
    assert citation["article_id"] == AKAZAWA_ARTICLE and "Akazawa" in citation["quote"]

    refused = run("ask", "Who won the 2024 Super Bowl?", "--json")
    assert refused.returncode == 0 and json.loads(refused.stdout)["refused"] is True


def test_ingest_sources_and_plain_ask(env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["ingest", str(SEEDS)])
    assert first.exit_code == 0, first.output
    assert "added 2, updated 0, removed 0, unchanged 0" in first.output
    second = runner.invoke(app, ["ingest", str(SEEDS)])
    assert "unchanged 2; 0 chunks embedded" in second.output
    listing = runner.invoke(app, ["sources"])
    assert AKAZAWA_ARTICLE in listing.output and "Stocktwits" in listing.output and "2025-07-02" in listing.output
    asked = runner.invoke(app, ["ask", "Who is Japan's chief negotiator?"])
    assert asked.exit_code == 0
    assert "Akazawa" in asked.output and "[1] Trump Trade Talks" in asked.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "/nonexistent/news"], "error: /nonexistent/news: no such file or folder"),
        (["ask", "   "], "error: the question is empty"),
        (["ask", "Who?", "--since", "yesterday"], "error: since='yesterday' is not a date"),
    ],
)
def test_errors_are_one_line_on_stderr_with_exit_1(env: dict[str, str], args: list[str], message: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 1
    assert result.stderr.strip() == result.stderr.strip().splitlines()[0]  # exactly one line
    assert result.stderr.startswith(message)


def test_binary_file_ingest_fails_cleanly_and_keeps_the_index(env: dict[str, str], tmp_path: Path) -> None:
    assert invoke("ingest", str(SEEDS)).exit_code == 0
    blob = tmp_path / "photo.txt"
    blob.write_bytes(b"\x00\x01\x02binary")
    failed = invoke("ingest", str(blob))
    assert failed.exit_code == 1 and "binary data, not text" in failed.stderr and failed.exception is not None
    assert isinstance(failed.exception, SystemExit)  # a clean exit, not an escaped exception
    listing = invoke("sources")
    assert listing.stdout.count(".txt") == 2


def test_bad_setting_is_one_line(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_TOP_K", "many")
    result = invoke("ask", "Who?")
    assert result.exit_code == 1 and result.stderr.startswith("error: setting top_k")


def test_ask_prints_a_scripted_backends_answer_with_its_sources(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    question = "Who is Japan's chief negotiator?"
    monkeypatch.setenv("ASSISTANT_LLM", "scripted")
    monkeypatch.setenv(SCRIPT_ENV, json.dumps({question: "Ryosei Akazawa negotiates for Japan [2]."}))
    result = invoke("ask", question)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].strip() == "Ryosei Akazawa negotiates for Japan [1]."  # renumbered while it streamed
    assert any(line.startswith("[1] ") for line in lines) and "“" in result.stdout  # the cited passage and its quote
    refused = invoke("ask", "Who won the 2024 Super Bowl?")
    assert refused.exit_code == 0 and refused.stdout.strip() == "The articles I have don't answer this question."


def test_an_unknown_backend_is_one_line(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_LLM", "gpt-nine")
    result = invoke("ask", "Who?")
    assert result.exit_code == 1 and result.stderr.startswith(
        "error: setting llm: Value error, unknown answer backend 'gpt-nine'"
    )


def test_the_cli_prints_the_checked_answer_after_a_streamed_text_the_check_changed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def stream(streamed: str, checked: Answer) -> Iterator[str | Answer]:
        yield from (streamed[:10], streamed[10:])
        yield checked

    kept = Answer(question="Q?", text="Akazawa leads the talks [1]. He wants June [2].", refused=False)
    assert _drain(stream("Akazawa leads the talks. [1] He wants June [2].", kept), echo=True) is kept
    assert capsys.readouterr().out == "Akazawa leads the talks. [1] He wants June [2].\n"  # a marker moved: once

    uncited = Answer(question="Q?", text="Akazawa leads the talks. He wants June [1].", refused=False)
    _drain(stream("Akazawa leads the talks. [1] He wants June [2].", uncited), echo=True)
    assert capsys.readouterr().out.endswith(CHECKED_ANSWER.format(text=uncited.text) + "\n")  # a citation dropped

    # the same words: nothing to add, though a line without a full stop keeps the markers from parsing back alike
    same = "Biden says he will not pardon his son [1] On Jul 2, Biden vowed it again [2]."
    _drain(stream(same, Answer(question="Q?", text=same, refused=False)), echo=True)
    assert capsys.readouterr().out == same + "\n"

    refused = Answer(question="Q?", text=REFUSAL_TEXT, refused=True)
    _drain(stream("The Chiefs won the Super Bowl [1].", refused), echo=True)
    out = capsys.readouterr().out
    assert out == "The Chiefs won the Super Bowl [1].\n" + CHECKED_ANSWER.format(text=REFUSAL_TEXT) + "\n"
