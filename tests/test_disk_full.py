"""A full disk during an ingest: one "disk full" line (not "is the server still up?"), and the index as it was.

The data directory is a small tmpfs filled to the last byte, mounted in a mount namespace of its own (`unshare
-rm`: no root needed where the kernel allows user namespaces, as on CI runners), so real writes by sqlite, Chroma
and the keyword index really fail with ENOSPC.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SEEDS

SCENARIO = """
set -u
mount -t tmpfs -o size=64m tmpfs "$DATA" || exit 90
run() { name=$1; shift; "$PY" -m assistant "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"; echo $? >"$OUT/$name.rc"; }
run first ingest "$SEEDS"
avail=$(df -k --output=avail "$DATA" | tail -n 1)
dd if=/dev/zero of="$DATA/filler" bs=1k count=$((avail - LEAVE_KB)) 2>/dev/null
run full ingest "$EXTRA"
rm "$DATA/filler"
run sources sources
run again ingest "$EXTRA"
"""


@pytest.mark.slow
@pytest.mark.parametrize("leave_kb", [0, 256], ids=["full-before-opening", "full-while-writing"])
def test_a_full_disk_is_one_line_and_loses_nothing(tmp_path: Path, leave_kb: int) -> None:
    if shutil.which("unshare") is None:
        pytest.skip("needs util-linux's unshare for a private tmpfs")
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"user namespaces are not allowed here ({probe.stderr.decode().strip()})")
    data, out, extra = tmp_path / "data", tmp_path / "out", tmp_path / "extra"
    for folder in (data, out, extra):
        folder.mkdir()
    sentences = (f"Ferry {i} to the island resumed service on day {i % 31} after storm number {i}. " for i in range(1500))
    article = "Harbour Notes\n\n" + "".join(sentences)  # ~130 chunks: over 0.5 MB in Chroma, above the 256 KB left
    (extra / "harbour.txt").write_text(article, encoding="utf-8")
    env = {
        "DATA": str(data),
        "OUT": str(out),
        "EXTRA": str(extra),
        "SEEDS": str(SEEDS),
        "PY": sys.executable,
        "ASSISTANT_HOME": str(data),
        "ASSISTANT_LLM": "extractive",
        "LEAVE_KB": str(leave_kb),
    }

    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", SCENARIO], cwd=REPO, env=os.environ | env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr

    def result(name: str) -> tuple[int, str, str]:
        return int((out / f"{name}.rc").read_text()), (out / f"{name}.out").read_text(), (out / f"{name}.err").read_text()

    code, stdout, _ = result("first")
    assert code == 0 and "added 2" in stdout
    code, _, stderr = result("full")
    assert code == 1
    assert stderr.count("\n") == 1 and stderr.startswith("error: disk full: no space left"), stderr
    code, stdout, _ = result("sources")
    assert code == 0 and stdout.count(".txt") == 2  # the seeds are still indexed, the new article is not
    code, stdout, stderr = result("again")
    assert code == 0 and "added 1, updated 0, removed 0, unchanged 0" in stdout, stderr
