"""One writer per data directory: an ingest holds `<home>/ingest.lock` (flock) while it writes.

A second ingest into the same data directory waits for the first, then finds its articles unchanged and does no
work again. While it waits it says once, on stderr (through logging), which process holds the lock; after
`timeout` seconds it gives up with one line naming that process. The kernel drops the lock when its holder exits,
even on kill -9, so a stale lock file never blocks anyone. Readers (questions) never take it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from index.errors import StoreError, storage_error

LOCK_FILE = "ingest.lock"
POLL_SECONDS = 0.2
log = logging.getLogger(__name__)


@contextmanager
def ingest_lock(home: Path, timeout: float) -> Iterator[None]:
    """Hold the data directory's ingest lock for the block; wait up to `timeout` seconds for another holder."""
    path = home / LOCK_FILE
    try:
        home.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+", encoding="utf-8")
    except OSError as err:
        raise storage_error(err, path) from None
    try:
        _acquire(handle.fileno(), path, timeout)
        _write_pid(handle)
        yield
    finally:
        handle.close()  # closing releases the lock


def _acquire(fd: int, path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        holder = _holder(path)
        if time.monotonic() >= deadline:
            raise StoreError(
                f"another ingest ({holder}) is still writing to {path.parent} after {timeout:.0f} s; "
                "try again when it has finished"
            )
        if not told:
            log.warning("waiting for another ingest (%s) to finish writing to %s", holder, path.parent)
            told = True
        time.sleep(POLL_SECONDS)


def _write_pid(handle: TextIO) -> None:
    """Who holds the lock, for the one who waits. Best effort: on a full disk the lock still holds, and the ingest
    reports the full disk when it writes."""
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
    except OSError:
        pass


def _holder(path: Path) -> str:
    try:
        pid = path.read_text(encoding="utf-8").strip()
    except OSError:
        pid = ""
    return f"process {pid}" if pid.isdigit() else "a process that has not written its id yet"
