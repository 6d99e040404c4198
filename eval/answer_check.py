"""The local model's answer check: right answers against refused counterfactuals at each threshold, from eval runs.

Before the local model writes, it is asked whether the selected evidence states the answer, and the answer is a
refusal when its probability of "yes" is below `Settings.answer_check`. To choose that threshold, run

    ASSISTANT_ANSWER_CHECK=0 assistant eval SET --backend local --counterfactual --out DIR

(the check is read and recorded with each answer, and refuses nothing), then `python -m eval.answer_check DIR [DIR …]`
(several runs are pooled, each question counting once). For each threshold it prints the share of the answerable
questions still answered right and the share of their counterfactuals (the same question with every passage that
holds its answer taken away) refused, had every answer below the threshold been a refusal, and it marks the lowest
threshold that refuses the target share of counterfactuals: the most right answers that refusing that often allows.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from eval.datasets import load_set
from eval.plots import write_operating_curve
from eval.scoring import score_record

TARGET_REFUSAL = 0.85  # issue 11's goal for counterfactual questions
GRID = [round(0.05 * i, 2) for i in range(20)]


@dataclass(frozen=True)
class Asked:
    """One answer as the check saw it: its probability (None when no model was asked) and how it turned out."""

    check: float | None
    refused: bool
    right: bool


@dataclass(frozen=True)
class Point:
    threshold: float
    accuracy: float  # answerable questions answered right
    counterfactuals_refused: float


def read_run(folder: Path) -> tuple[list[Asked], list[Asked]]:
    """The answerable questions' answers and their counterfactuals', from an eval run's results.jsonl, each scored by
    the eval's own rules (eval.scoring) against its gold item in the run's question set."""
    items = {item.id: item for item in load_set(json.loads((folder / "run.json").read_text(encoding="utf-8"))["set"])}
    answered: list[Asked] = []
    counterfactuals: list[Asked] = []
    with (folder / "results.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if not record["answerable"] or record["answer"] is None:
                continue
            scores = score_record(items[record["id"]], record, modes=())
            answered.append(Asked(record["answer"].get("answer_check"), scores["refused"], scores["correct"]))
            if scores.get("counterfactual"):
                check = record["counterfactual"].get("answer_check")
                counterfactuals.append(Asked(check, scores["counterfactual"]["refused"], False))
    if not counterfactuals:
        raise SystemExit(f"{folder} has no counterfactual answers; run the eval with --counterfactual")
    return answered, counterfactuals


def curve(answered: list[Asked], counterfactuals: list[Asked], thresholds: Iterable[float] = GRID) -> list[Point]:
    def refused_at(a: Asked, threshold: float) -> bool:
        return a.refused or (a.check is not None and a.check < threshold)

    return [
        Point(
            t,
            sum(a.right and not refused_at(a, t) for a in answered) / len(answered),
            sum(refused_at(c, t) for c in counterfactuals) / len(counterfactuals),
        )
        for t in thresholds
    ]


def choose(points: list[Point], target: float = TARGET_REFUSAL) -> Point:
    """The lowest threshold refusing at least `target` of the counterfactuals; the highest when none does."""
    return next((p for p in points if p.counterfactuals_refused >= target), points[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.answer_check", description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, nargs="+", help="--out folders of local --counterfactual runs, check at 0")
    parser.add_argument("--target", type=float, default=TARGET_REFUSAL, help="share of counterfactuals to refuse")
    parser.add_argument("--plot", type=Path, default=None, help="PNG of the curve")
    args = parser.parse_args(argv)
    answered: list[Asked] = []
    counterfactuals: list[Asked] = []
    for run in args.runs:
        read = read_run(run)
        answered += read[0]
        counterfactuals += read[1]
    points = curve(answered, counterfactuals)
    chosen = choose(points, args.target)
    print(f"{len(answered)} answerable questions, {len(counterfactuals)} counterfactuals ({', '.join(map(str, args.runs))})")
    print("threshold  accuracy  counterfactuals refused")
    for p in points:
        mark = "  <- chosen" if p is chosen else ""
        print(f"{p.threshold:9.2f}  {p.accuracy:8.3f}  {p.counterfactuals_refused:23.3f}{mark}")
    print(f"chosen {chosen.threshold:.2f}: the lowest threshold refusing ≥ {args.target:.0%} of the counterfactuals")
    if args.plot:
        axes = ("counterfactuals refused", "accuracy (answerable answered right)", "Local model's answer check")
        write_operating_curve(
            [(p.counterfactuals_refused, p.accuracy) for p in points],
            (chosen.counterfactuals_refused, chosen.accuracy),
            chosen.threshold,
            axes,
            args.plot,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
