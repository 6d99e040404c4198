"""Nothing leaves the machine: the real `assistant` processes, watched from below Python.

tests/netguard.c is preloaded into each process (LD_PRELOAD), so a name lookup or a connection that Python's
socket module never sees, such as onnxruntime's telemetry uploader in C++, is caught too. The environment turns
every library's telemetry *on* where it can, as a user's shell might: the assistant must switch it off anyway.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO, SEEDS

TELEMETRY_ON = {
    "ORT_DISABLE_TELEMETRY": "0",
    "ANONYMIZED_TELEMETRY": "True",
    "GRADIO_ANALYTICS_ENABLED": "True",
    "HF_HUB_DISABLE_TELEMETRY": "0",
}


@pytest.fixture
def guarded_env(guard_library: Path, tmp_path: Path) -> dict[str, str]:
    """A user's HOME of its own (to see what lands in ~/.cache), the data directory elsewhere, telemetry asked for."""
    (tmp_path / "user").mkdir()
    env = {key: value for key, value in os.environ.items() if key not in ("XDG_CACHE_HOME", "HF_HOME", "LD_PRELOAD")}
    env |= TELEMETRY_ON | {
        "HOME": str(tmp_path / "user"),
        "ASSISTANT_HOME": str(tmp_path / "data"),
        "ASSISTANT_SEEDS_DIR": str(SEEDS),
        "ASSISTANT_LLM": "extractive",
        "LD_PRELOAD": str(guard_library),
        "NETGUARD_LOG": str(tmp_path / "network.log"),
    }
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args], capture_output=True, text=True, cwd=REPO, env=env, timeout=300
    )


def attempts(env: dict[str, str]) -> list[str]:
    log = Path(env["NETGUARD_LOG"])
    return log.read_text().splitlines() if log.exists() else []


def written_under_home(env: dict[str, str]) -> list[str]:
    home = Path(env["HOME"])
    return sorted(str(p.relative_to(home)) for p in home.rglob("*"))


def test_the_guard_catches_a_lookup_from_python_and_from_c(guarded_env: dict[str, str]) -> None:
    """The guard itself can fail: a lookup and a connection to a public address are caught and refused."""
    probe = (
        "import socket, ctypes\n"
        "try: socket.getaddrinfo('example.com', 443)\nexcept OSError: pass\n"
        "s = socket.socket(); s.settimeout(1)\n"
        "print(s.connect_ex(('192.0.2.1', 443)))\n"
        "libc = ctypes.CDLL(None); libc.gethostbyname(b'mobile.events.data.microsoft.com')\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=guarded_env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert attempts(guarded_env) == [
        "getaddrinfo example.com",
        "connect 192.0.2.1",
        "gethostbyname mobile.events.data.microsoft.com",
    ]


def test_ingest_and_ask_reach_no_network_and_write_nothing_in_home(guarded_env: dict[str, str]) -> None:
    ingested = run(guarded_env, "ingest", str(SEEDS))
    assert ingested.returncode == 0, ingested.stderr
    asked = run(guarded_env, "ask", "Who is Japan's chief negotiator?", "--json")
    assert asked.returncode == 0, asked.stderr
    assert "Akazawa" in json.loads(asked.stdout)["text"]
    assert attempts(guarded_env) == []
    assert written_under_home(guarded_env) == []  # no onnxruntime device id or event database in ~/.cache


def test_an_eval_run_reaches_no_network(guarded_env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "eval-out"
    done = run(
        guarded_env,
        "eval",
        str(REPO / "eval" / "sets" / "seeds.jsonl"),
        "--backend",
        "extractive",
        "--limit",
        "8",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    assert (out / "metrics.json").exists()
    assert attempts(guarded_env) == []
    # its plots import matplotlib, which keeps its font list in ~/.cache/matplotlib: local, and not telemetry
    assert [p for p in written_under_home(guarded_env) if "matplotlib" not in p] in ([], [".cache"], [".cache", ".config"])


@pytest.mark.slow
def test_a_chat_session_with_one_question_reaches_no_network(guarded_env: dict[str, str], tmp_path: Path) -> None:
    from gradio_client import Client

    port = 7860 + os.getpid() % 1000
    url = f"http://127.0.0.1:{port}/"
    server = subprocess.Popen(
        [sys.executable, "-m", "assistant", "chat", "--port", str(port)],
        cwd=REPO,
        env=guarded_env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "chat.err").open("w"),
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, (tmp_path / "chat.err").read_text()
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the chat did not start"
                time.sleep(0.5)
        answer = Client(url, verbose=False).predict(question="Who is Japan's chief negotiator?", api_name="/ask")
        assert "Akazawa" in answer["text"]
        time.sleep(float(os.environ.get("ASSISTANT_TEST_CHAT_SECONDS", "20")))  # a telemetry uploader runs late
        assert server.poll() is None
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert attempts(guarded_env) == []
    # gradio imports matplotlib, which keeps its font list in ~/.cache/matplotlib: local, and not telemetry
    assert [p for p in written_under_home(guarded_env) if "matplotlib" not in p] == [".cache", ".config"]
