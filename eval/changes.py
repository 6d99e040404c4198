"""Which questions changed outcome between two runs of one set (`assistant eval … --compare OTHER`).

A metric that stays the same can hide two answers that swapped (one right answer lost, another gained); a change to
the evidence rules is judged by which questions moved. The other run's records are scored again with this run's
rules, so the two sides are always scored alike.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.datasets import GoldItem
from eval.errors import EvalError
from eval.results import ResultsFolder
from eval.scoring import score_record

AS_ASKED = "as asked"
COUNTERFACTUAL = "counterfactual"


@dataclass(frozen=True)
class OutcomeChange:
    item: GoldItem
    asked: str  # AS_ASKED, or COUNTERFACTUAL: without the passages that hold its answer
    other: str  # the other run's outcome: right, wrong, refused, answered (unanswerable), wrong choice
    this: str

    @property
    def transition(self) -> str:
        return f"{self.asked}: {self.other} → {self.this}"


def outcome(score: Mapping[str, Any]) -> str | None:
    """right, wrong or refused for an answerable question; answered or refused for an unanswerable one; None
    without an answer (a retrieval-only run)."""
    if "refused" not in score:
        return None
    if score["refused"]:
        return "refused"
    if not score["answerable"]:
        return "answered"
    return "right" if score["correct"] else "wrong"


def counterfactual_outcome(score: Mapping[str, Any]) -> str | None:
    """refused, answered, or wrong choice (answered naming a wrong choice); None when not asked."""
    asked = score.get("counterfactual")
    if not asked:
        return None
    if asked["refused"]:
        return "refused"
    return "wrong choice" if asked.get("wrong_choice") else "answered"


@dataclass(frozen=True)
class OutcomeComparison:
    changes: list[OutcomeChange]  # in the set's order
    compared: int  # questions with an outcome in both runs (as asked or as counterfactuals)

    def summary(self) -> str:
        """ "3 of 44 compared (as asked: wrong → right 2, …)", or why nothing could be compared."""
        if not self.compared:
            return "none compared (the other run has no answers to these questions)"
        counts = Counter(change.transition for change in self.changes)
        detail = ", ".join(f"{transition} {n}" for transition, n in counts.most_common())
        return f"{len(self.changes)} of {self.compared} compared" + (f" ({detail})" if detail else "")


def compare_outcomes(
    items: Sequence[GoldItem], scores: Sequence[Mapping[str, Any]], other: Path, modes: Sequence[str], set_sha256: str
) -> OutcomeComparison:
    """The questions both runs asked whose outcome differs, as asked and as counterfactuals. The other run must be of
    the same question set (`set_sha256`, as run.json has it): its answers are scored against this set's gold."""
    folder = ResultsFolder(other)
    their_set = folder.run_key().get("set_sha256")
    if their_set and their_set != set_sha256:
        raise EvalError(f"--compare {other}: that run asked another question set; compare runs of one set")
    theirs = folder.records()
    changes: list[OutcomeChange] = []
    compared: set[str] = set()
    for item, score in zip(items, scores, strict=True):
        record = theirs.get(item.id)
        if record is None:
            continue
        their_score = score_record(item, record, modes)
        for asked, read in ((AS_ASKED, outcome), (COUNTERFACTUAL, counterfactual_outcome)):
            before, after = read(their_score), read(score)
            if before is None or after is None:
                continue
            compared.add(item.id)
            if before != after:
                changes.append(OutcomeChange(item, asked, before, after))
    return OutcomeComparison(changes, len(compared))
