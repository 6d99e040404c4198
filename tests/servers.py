"""Real servers for tests: a free port on 127.0.0.1, and `assistant chat` started as a process and waited for."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

START_SECONDS = 180  # loading the encoder and indexing seeds/ on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(
    process: subprocess.Popen[Any], answers: Callable[[], bool], seconds: float, failure: Callable[[], str]
) -> None:
    """Polls `answers` until it is true; fails the test with `failure()` when the process exits or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while not answers():
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(failure())
        time.sleep(0.3)


def answers_http(url: str) -> bool:
    """The URL answers at all: any HTTP status counts (a login page's 400 too)."""
    try:
        with urllib.request.urlopen(url, timeout=5):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


@contextmanager
def chat_server(home: Path, env: Mapping[str, str]) -> Iterator[str]:
    """`python -m assistant chat` on a free port (its log in home/server.log); yields its URL once it answers."""
    port = free_port()
    log = (home / "server.log").open("w")
    command = [sys.executable, "-m", "assistant", "chat", "--port", str(port)]
    process = subprocess.Popen(command, cwd=home, env=dict(env), stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"

    def failure() -> str:
        log.flush()
        return f"`assistant chat` did not come up:\n{(home / 'server.log').read_text()[-2000:]}"

    try:
        wait_until_up(process, lambda: answers_http(url), START_SECONDS, failure)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
