"""Real servers for tests: a free port on 127.0.0.1, and `assistant chat` started as a process and waited for."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

START_SECONDS = 180  # loading the encoder and indexing seeds/ on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def chat_server(home: Path, env: Mapping[str, str]) -> Iterator[str]:
    """`python -m assistant chat` on a free port (its log in home/server.log); yields its URL once it answers."""
    port = free_port()
    log = (home / "server.log").open("w")
    command = [sys.executable, "-m", "assistant", "chat", "--port", str(port)]
    process = subprocess.Popen(command, cwd=home, env=dict(env), stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5):
                    break
            except urllib.error.HTTPError:  # it answers (asking for the login): it is up
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail(f"`assistant chat` did not come up:\n{(home / 'server.log').read_text()[-2000:]}")
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
