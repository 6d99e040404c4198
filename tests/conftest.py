"""Shared fixtures: isolated data directories, a seeded assistant on the real Chroma and model, no network."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# The int8 encoder's model file is exported once (~20 s) and shared by every test and CLI subprocess.
os.environ.setdefault("ASSISTANT_ENCODER_CACHE", str(Path(__file__).resolve().parent.parent / ".assistant" / "models"))

from assistant import Assistant, Settings
from index.embeddings import OnnxInt8Encoder
from tests.servers import ChromaServer

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SHARED = REPO.parent / "shared"
GUARD_SOURCE = Path(__file__).with_name("netguard.c")
AKAZAWA_ARTICLE = "000_1a37bf94d89fa01f.txt"
DENIAL_ARTICLE = "004_478727a100a7c5f2.txt"


@pytest.fixture(scope="session")
def guard_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/netguard.c built once: preloaded into a process (LD_PRELOAD), it logs and refuses every name lookup and
    connection outside 127.0.0.1, even those Python's socket module never sees."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("needs a C compiler (the README lists one: llama-cpp-python builds from source)")
    library = tmp_path_factory.mktemp("netguard") / "netguard.so"
    subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-o", str(library), str(GUARD_SOURCE), "-ldl"], check=True)
    return library


def server_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of an `assistant` server process on its own data directory, answering extractively."""
    return (
        os.environ
        | {
            "ASSISTANT_HOME": str(home / "data"),
            "ASSISTANT_SEEDS_DIR": str(SEEDS),
            "ASSISTANT_LLM": "extractive",
            "HF_HUB_OFFLINE": "1",
            "GRADIO_ANALYTICS_ENABLED": "False",
            "PYTHONPATH": str(REPO),
        }
        | extra
    )


@pytest.fixture(scope="session")
def encoder() -> OnnxInt8Encoder:
    """One loaded encoder for the whole run (loading it is the slow part of a small ingest)."""
    return OnnxInt8Encoder(cache_dir=Path(os.environ["ASSISTANT_ENCODER_CACHE"]))


@pytest.fixture
def make_settings(tmp_path: Path):
    """Settings with their own data directory; keyword arguments override fields."""

    def make(**overrides: Any) -> Settings:
        fields: dict[str, Any] = {"home": tmp_path / "home", "seeds_dir": SEEDS, "llm": "extractive"} | overrides
        return Settings(**fields)

    return make


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A writable copy of seeds/, for tests that edit or delete articles."""
    target = tmp_path / "articles"
    shutil.copytree(SEEDS, target)
    for path in target.iterdir():
        path.chmod(0o644)
    return target


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory, encoder: OnnxInt8Encoder) -> Assistant:
    """An assistant over seeds/ on the real Chroma and the real MiniLM, shared by read-only tests."""
    home = tmp_path_factory.mktemp("seeded")
    bot = Assistant(Settings(home=home, seeds_dir=SEEDS, llm="extractive"), encoder=encoder)
    bot.ingest([SEEDS])
    return bot


def indexed(home: Path, encoder: OnnxInt8Encoder, corpus: Path, articles: int) -> Assistant:
    """An extractive assistant in a fresh data directory with `corpus` indexed, all its `articles` added."""
    bot = Assistant(Settings(home=home, seeds_dir=home / "no-seeds", llm="extractive"), encoder=encoder)
    assert bot.ingest([corpus]).added == articles
    return bot


def cli_over(corpus: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The CLI, run in-process, on an extractive data directory at `home` with `corpus` ingested."""
    from assistant.cli import app

    monkeypatch.setenv("ASSISTANT_HOME", str(home))
    monkeypatch.setenv("ASSISTANT_LLM", "extractive")
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(corpus)]).exit_code == 0
    return runner


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[object, ...]]]:
    """Any attempt to open an internet (non-Unix) socket fails the call and is recorded."""
    attempts: list[tuple[object, ...]] = []
    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: object) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append((self.family, address))
            raise OSError(f"network blocked by test: {address}")
        real_connect(self, address)  # type: ignore[arg-type]

    def guarded_getaddrinfo(*args: object, **kwargs: object) -> list[object]:
        attempts.append(("getaddrinfo", *args))
        raise OSError("name resolution blocked by test")

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: guarded_getaddrinfo(*a))
    yield attempts


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    """A real `chroma run` on 127.0.0.1, fresh per test, so tests never see each other's collections."""
    folder = tmp_path / "chroma-server"
    folder.mkdir()
    server = ChromaServer(folder)
    yield server
    server.stop()
