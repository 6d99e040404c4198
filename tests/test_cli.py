"""The `assistant` command, through typer's runner and as a real process."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from tests.conftest import AKAZAWA_ARTICLE, REPO, SEEDS

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
}
CITATION_FIELDS = {
    "number",
    "article_id",
    "title",
    "source",
    "published",
    "location",
    "quote",
    "start",
    "end",
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
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True, cwd=REPO, timeout=300)


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
    result = run(*args)
    assert result.returncode == 1
    assert result.stderr.strip() == result.stderr.strip().splitlines()[0]  # exactly one line
    assert result.stderr.startswith(message)


def test_binary_file_ingest_fails_cleanly_and_keeps_the_index(env: dict[str, str], tmp_path: Path) -> None:
    assert run("ingest", str(SEEDS)).returncode == 0
    blob = tmp_path / "photo.txt"
    blob.write_bytes(b"\x00\x01\x02binary")
    failed = run("ingest", str(blob))
    assert failed.returncode == 1 and "binary data, not text" in failed.stderr and "Traceback" not in failed.stderr
    listing = run("sources")
    assert listing.stdout.count(".txt") == 2


def test_bad_setting_is_one_line(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_TOP_K", "many")
    result = run("ask", "Who?")
    assert result.returncode == 1 and result.stderr.startswith("error: setting top_k")
