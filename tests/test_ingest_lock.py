"""Two ingests into one data directory: the second waits for the first (saying who it waits for), then finds the
work done; one that cannot wait long enough says who holds the lock, in one line, and writes nothing."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.lock import LOCK_FILE
from tests.conftest import REPO, SEEDS

HOLD = (
    "import sys\nfrom pathlib import Path\nfrom index.lock import ingest_lock\n"
    "with ingest_lock(Path(sys.argv[1]), 0):\n    print('held', flush=True)\n    sys.stdin.readline()\n"
)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def holder(home: Path):
    """Another process holding the data directory's ingest lock until its stdin is closed."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(home)], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    yield process
    if process.poll() is None:
        process.kill()
    process.wait(timeout=30)


def env_for(home: Path, **extra: str) -> dict[str, str]:
    return os.environ | {"ASSISTANT_HOME": str(home), "ASSISTANT_SEEDS_DIR": str(SEEDS), "ASSISTANT_LLM": "extractive"} | extra


def start_ingest(env: dict[str, str], stderr: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", "ingest", str(SEEDS)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=stderr.open("w"),
        text=True,
    )


def wait_for(path: Path, text: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while text not in path.read_text():
        assert process.poll() is None, path.read_text()
        assert time.monotonic() < deadline, f"never saw {text!r} in {path}"
        time.sleep(0.2)


def test_two_ingests_at_once_do_the_work_once(home: Path, holder: subprocess.Popen[str], tmp_path: Path) -> None:
    logs = [tmp_path / "first.err", tmp_path / "second.err"]
    ingests = [start_ingest(env_for(home), log) for log in logs]
    for process, log in zip(ingests, logs, strict=True):  # both are queued behind the holder, so they overlap
        wait_for(log, f"waiting for another ingest (process {holder.pid})", process)
    assert holder.stdin is not None
    holder.stdin.close()  # release: the two now take turns
    outputs = []
    for process in ingests:
        out, _ = process.communicate(timeout=300)
        assert process.returncode == 0
        outputs.append(out)
    embedded = sorted(int(re.search(r"(\d+) chunks embedded", out).group(1)) for out in outputs)  # type: ignore[union-attr]
    assert embedded[0] == 0 and embedded[1] > 0  # one did the work, the other found it done
    assert sorted("added 2" in out for out in outputs) == [False, True]
    assert any("unchanged 2" in out for out in outputs)


def test_an_ingest_that_cannot_wait_names_the_holder_and_writes_nothing(
    home: Path, holder: subprocess.Popen[str], tmp_path: Path
) -> None:
    log = tmp_path / "ingest.err"
    impatient = start_ingest(env_for(home, ASSISTANT_INGEST_WAIT_SECONDS="1"), log)
    impatient.communicate(timeout=300)
    assert impatient.returncode == 1
    lines = log.read_text().splitlines()
    assert lines[-1].startswith(f"error: another ingest (process {holder.pid}) is still writing to {home}")
    assert len([line for line in lines if line.startswith("error")]) == 1
    assert not (home / "chroma").exists()  # nothing written while it waited
    assert (home / LOCK_FILE).read_text().strip() == str(holder.pid)

    os.kill(holder.pid, signal.SIGKILL)  # a holder killed mid-ingest: the kernel drops its lock
    holder.wait(timeout=30)
    after = start_ingest(env_for(home, ASSISTANT_INGEST_WAIT_SECONDS="1"), log)
    out, _ = after.communicate(timeout=300)
    assert after.returncode == 0 and "added 2" in out
