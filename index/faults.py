"""Named points where the fault-injection tests (tests/test_faults.py) kill a process with SIGKILL.

`ASSISTANT_FAULT_AT=<point>` makes the first pass through `checkpoint("<point>")` send SIGKILL, and
`<point>:<n>` the n-th pass. The signal goes to this process, as a power cut or the OOM killer would end an
ingest, or to the process `ASSISTANT_FAULT_KILL=<pid>` names (a Chroma server going away mid-question). Unset,
as everywhere but in those tests, a checkpoint reads one environment variable and returns.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter

FAULT_AT = "ASSISTANT_FAULT_AT"
FAULT_KILL = "ASSISTANT_FAULT_KILL"
POINTS = (
    "ingest-planned",  # every input read and hashed, nothing written yet
    "chunks-written",  # a batch of chunks is in Chroma, its articles' manifest records are not
    "articles-recorded",  # a batch's articles are recorded in the manifest; later batches are not written
    "ingest-written",  # every chunk and manifest record written; revision, store marker and keyword index not yet
    "keyword-staged",  # a new keyword index written beside the old one, not yet swapped in
    "dense-searched",  # a question's vector search is done; the keyword search and the reading of passages are not
)

_passes: Counter[str] = Counter()
_counting = threading.Lock()


def checkpoint(point: str) -> None:
    """Kill the process named by the environment here, if the environment names this point and pass."""
    wanted = os.environ.get(FAULT_AT)
    if not wanted:
        return
    name, _, nth = wanted.partition(":")
    if name != point:
        return
    with _counting:
        _passes[point] += 1
        if _passes[point] != int(nth or 1):
            return
    os.kill(int(os.environ.get(FAULT_KILL) or os.getpid()), signal.SIGKILL)
