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


def outcome_changes(
    items: Sequence[GoldItem], scores: Sequence[Mapping[str, Any]], other: Path, modes: Sequence[str]
) -> list[OutcomeChange]:
    """The questions both runs asked whose outcome differs, as asked and as counterfactuals, in the set's order."""
    theirs = ResultsFolder(other).records()
    changes: list[OutcomeChange] = []
    for item, score in zip(items, scores, strict=True):
        record = theirs.get(item.id)
        if record is None:
            continue
        their_score = score_record(item, record, modes)
        for asked, read in ((AS_ASKED, outcome), (COUNTERFACTUAL, counterfactual_outcome)):
            before, after = read(their_score), read(score)
            if before is not None and after is not None and before != after:
                changes.append(OutcomeChange(item, asked, before, after))
    return changes


def summary(changes: Sequence[OutcomeChange]) -> str:
    """ "as asked: wrong → right 2, as asked: right → refused 1" (most frequent first)."""
    counts = Counter(change.transition for change in changes)
    return ", ".join(f"{transition} {n}" for transition, n in counts.most_common())
