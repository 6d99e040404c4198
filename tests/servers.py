"""Real servers for tests: a free port on 127.0.0.1, and `assistant chat` or `chroma run` started as a process and
waited for."""

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
CHROMA = Path(sys.executable).parent / "chroma"


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


class ChromaServer:
    """`chroma run` on 127.0.0.1 with its data in folder/data (its log in folder/server.log). `kill()` ends it as a
    crash would; `start()` brings it back on the same port and data."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.start()

    def start(self) -> None:
        self.log = (self.folder / "server.log").open("a")
        command = [str(CHROMA), "run", "--path", str(self.folder / "data"), "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        try:
            wait_until_up(
                self.process,
                self._answers,
                60,
                lambda: f"chroma run did not come up: {(self.folder / 'server.log').read_text()[-500:]}",
            )
        except BaseException:  # pytest.fail too: the server must not outlive the test
            self.stop()
            raise

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=2) as reply:
                return bool(reply.status == 200)
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, as when the machine or the process dies."""
        self.process.kill()
        self.process.wait()
        self.log.close()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
