"""The body of `assistant eval`: parse gates, run with progress bars, print the summary; exit 1 below a gate."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eval.errors import EvalError
from eval.metrics import known_metric_names
from eval.runner import MODES, EvalOptions, EvalOutcome, check_gates, run_eval

SUMMARY = (
    "accuracy",
    "reader_accuracy",
    "refusal_recall",
    "wrong_refusal_rate",
    "citation_precision",
    "citation_coverage",
    "bm25.answer_recall@5",
    "dense.answer_recall@5",
    "hybrid.answer_recall@5",
    "hybrid.answer_mrr@10",
    "hybrid.source_hit@5",
    "latency_p50",
    "latency_p95",
    "counterfactual_refusal_rate",
    "counterfactual_wrong_choice_rate",
)


def parse_gates(specs: Sequence[str]) -> list[tuple[str, float]]:
    """`METRIC=VALUE` strings → (metric, floor); a bad one raises EvalError."""
    known = set(known_metric_names(list(MODES.values())))
    gates = []
    for spec in specs:
        name, sep, value = spec.partition("=")
        name = name.strip()
        if not sep or not name:
            raise EvalError(f"--fail-under {spec!r}: expected METRIC=VALUE, e.g. accuracy=0.8")
        if name not in known:
            raise EvalError(
                f"--fail-under {spec!r}: unknown metric {name!r}; e.g. accuracy, refusal_recall, hybrid.answer_recall@5"
            )
        try:
            floor = float(value)
        except ValueError:
            raise EvalError(f"--fail-under {spec!r}: {value!r} is not a number") from None
        gates.append((name, floor))
    return gates


def run_command(options: EvalOptions, fail_under: Sequence[str], echo: Callable[[str], None]) -> int:
    """Run and report; the exit status (1 when a gate fails)."""
    gates = parse_gates(fail_under)
    with _bars() as bars:
        outcome = run_eval(
            options,
            progress=bars.track("eval", "question"),
            ingest_progress=bars.track("indexing", "article"),
            say=bars.write,
        )
    _print_summary(outcome, echo)
    failures = check_gates(outcome.metrics, gates)
    for failure in failures:
        echo(f"FAIL: {failure}")
    if gates and not failures:
        echo(f"passed {len(gates)} gate(s): " + ", ".join(f"{n} ≥ {v:g}" for n, v in gates))
    return 1 if failures else 0


def _print_summary(outcome: EvalOutcome, echo: Callable[[str], None]) -> None:
    m = outcome.metrics
    echo(f"{outcome.items} questions ({outcome.skipped} reused from an earlier run) → {outcome.out}")
    echo(f"primary: {outcome.primary} = {_fmt(m.get(outcome.primary))}")
    width = max([24] + [len(n) for n in SUMMARY if n in m])  # the counterfactual names are longer
    for name in SUMMARY:
        if name in m and name != outcome.primary:
            echo(f"  {name:<{width}} {_fmt(m[name])}")
    if outcome.compare:
        echo("compared with the other run (this − other):")
        for name, this, other in outcome.compare:
            if name in SUMMARY or name == outcome.primary:
                delta = "–" if this is None or other is None else f"{this - other:+.3f}"
                echo(f"  {name:<{width}} {_fmt(this)} vs {_fmt(other)}  {delta}")
        if outcome.outcomes is not None:  # a run with answers
            echo(f"outcomes changed: {outcome.outcomes.summary()}")
    echo(f"report: {outcome.out / 'report.md'}")


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


class _Bars:
    """tqdm bars on stderr, one at a time: a bar is drawn on its first update and closes when the next starts."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.label = ""

    def track(self, label: str, unit: str) -> Callable[[int, int], None]:
        def update(done: int, total: int) -> None:
            from tqdm import tqdm

            if self.label != label:
                self.close()
                self.bar, self.label = tqdm(total=total, desc=label, unit=unit, file=sys.stderr), label
            self.bar.n = done
            self.bar.refresh()

        return update

    def write(self, message: str) -> None:
        from tqdm import tqdm

        tqdm.write(message, file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


@contextmanager
def _bars() -> Iterator[_Bars]:
    bars = _Bars()
    try:
        yield bars
    finally:
        bars.close()
