"""The output folder: run.json (what the run is), results.jsonl (one line a finished question), appended as it goes.

Rerunning with the same folder skips finished questions, but only for the same run: a folder that holds
results of another set, corpus, backend or answer depth is refused rather than mixed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from eval.errors import EvalError

RUN_FILE = "run.json"
RESULTS_FILE = "results.jsonl"


class ResultsFolder:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.results_path = out / RESULTS_FILE

    def open(self, run_key: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        """Create the folder or check it belongs to this run; the finished records by item id."""
        if self.out.exists() and not self.out.is_dir():
            raise EvalError(f"--out {self.out} is a file, not a folder")
        self.out.mkdir(parents=True, exist_ok=True)
        run_path = self.out / RUN_FILE
        if run_path.exists():
            try:
                stored = json.loads(run_path.read_text())
            except ValueError:
                raise EvalError(f"{run_path}: not valid JSON; delete the folder or use another --out") from None
            # every key either run has: a key only one of them has (an option set in one run only) differs too
            differing = [k for k in [*run_key, *(k for k in stored if k not in run_key)] if stored.get(k) != run_key.get(k)]
            if differing:
                raise EvalError(
                    f"--out {self.out} holds results of a different run ({', '.join(differing)} differ); "
                    "use another --out or delete it"
                )
        else:
            run_path.write_text(json.dumps(dict(run_key), indent=2))
        return self._load()

    def append(self, record: Mapping[str, Any]) -> None:
        with self.results_path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            handle.flush()

    def records(self) -> dict[str, dict[str, Any]]:
        """The finished records by item id, only read (another run's, to compare): a line cut off is left as it is."""
        return self._load(repair=False)

    def run_key(self) -> dict[str, Any]:
        """What run the folder holds (run.json), or {} when it says nothing readable."""
        try:
            stored = json.loads((self.out / RUN_FILE).read_text())
        except (OSError, ValueError):
            return {}
        return stored if isinstance(stored, dict) else {}

    def _load(self, repair: bool = True) -> dict[str, dict[str, Any]]:
        if not self.results_path.exists():
            return {}
        lines = self.results_path.read_text(encoding="utf-8").splitlines()
        records: dict[str, dict[str, Any]] = {}
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                if number == len(lines):  # cut off by an interrupted run: drop it and redo that question
                    if repair:
                        self.results_path.write_text("".join(f"{kept}\n" for kept in lines[: number - 1]), encoding="utf-8")
                    break
                raise EvalError(f"{self.results_path}:{number}: not valid JSON; delete the folder or use another --out") from None
            if not isinstance(record, dict) or "id" not in record:
                raise EvalError(f"{self.results_path}:{number}: not a result record")
            records[str(record["id"])] = record
        return records
