"""What people expect of a CLI (issue 15, item 6): --version, --json on ingest, sync and sources, -v/--verbose logging."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from assistant.cli import LOG_HANDLER_NAME, LOGGED_PACKAGES, app
from tests.conftest import REPO

REPORT_FIELDS = {"added", "updated", "removed", "unchanged", "chunks", "seconds", "skipped", "failed"}
SOURCE_FIELDS = {"id", "title", "source", "author", "published", "date_inferred", "story", "location", "chunks"}


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ASSISTANT_LLM", "extractive")
    yield tmp_path
    for name in LOGGED_PACKAGES:  # -v's handler wrote to the runner's stream, closed now
        logger = logging.getLogger(name)
        for handler in [h for h in logger.handlers if h.get_name() == LOG_HANDLER_NAME]:
            logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)


@pytest.fixture
def articles(tmp_path: Path) -> list[Path]:
    first = tmp_path / "harbour.txt"
    first.write_text("Harbour opens\n\nThe Port Elsworth harbour authority opened a new quay for fishing boats.\n")
    second = tmp_path / "library.md"
    second.write_text("# Library on Sundays\n\nThe Glenmoor town council voted to open the library on Sundays.\n")
    return [first, second]


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_version_comes_from_the_package_metadata() -> None:
    done = subprocess.run([sys.executable, "-m", "assistant", "--version"], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"assistant {version('news-assistant')}\n"
    assert invoke("--version").stdout == done.stdout


def test_ingest_and_sources_print_json(env: Path, articles: list[Path]) -> None:
    first = invoke("ingest", *map(str, articles), "--json")
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert set(report) == REPORT_FIELDS
    assert (report["added"], report["unchanged"], report["failed"], report["skipped"]) == (2, 0, [], [])
    assert report["chunks"] >= 2

    again = json.loads(invoke("ingest", *map(str, articles), "--json").stdout)
    assert (again["added"], again["unchanged"], again["chunks"]) == (0, 2, 0)

    listed = invoke("sources", "--json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert all(set(row) == SOURCE_FIELDS for row in rows)
    assert sorted((row["id"], row["title"], row["location"]) for row in rows) == [
        ("harbour.txt", "Harbour opens", str(articles[0])),
        ("library.md", "Library on Sundays", str(articles[1])),
    ]

    nothing = invoke("sync", "--json")  # no feed ingested: said on stderr, nothing on stdout, not an error
    assert nothing.exit_code == 0 and nothing.stdout == ""
    assert "no feeds to sync" in nothing.stderr


def test_sources_json_of_an_empty_index_is_an_empty_list(env: Path) -> None:
    listed = invoke("sources", "--json")
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == []


def test_verbose_logs_through_logging_and_quiet_does_not(env: Path, articles: list[Path]) -> None:
    quiet = invoke("ingest", str(articles[0]))
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr == ""

    loud = invoke("-v", "ingest", str(articles[1]))
    assert loud.exit_code == 0, loud.output
    assert "INFO index.pipeline: 1 articles read: 1 new or changed, 0 unchanged" in loud.stderr
    assert "INFO index.pipeline: added 1, updated 0, removed 0; " in loud.stderr
    assert "DEBUG" not in loud.stderr
    assert loud.stdout.startswith("added 1,")  # the report stays on stdout, apart from the log

    invoke("-vv", "sources")
    assert logging.getLogger("index").getEffectiveLevel() == logging.DEBUG
