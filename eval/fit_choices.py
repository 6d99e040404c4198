"""Fit the choice model (the "choice" part of assistant/evidence_model.json) on development data, and say how it does.

    python -m eval.fit_choices RTQA_DIR [--months 2024-01,2024-02,2024-03,2024-04] [--cases cases.pkl]
        [--plot artifacts/choice-pr.png] [--reader local]

Data: the RealTime QA questions of the given months that have choices, each asked with its choices over its month's
slice of the corpus (eval.slices), as `eval --with-choices` asks them, and asked again with every chunk that holds
the answer taken away (`eval --counterfactual`: the same real question, now unanswerable).
- Rows: one per choice (assistant/choice_features.py), computed with the sentence ranker already in the model file;
  label = it is the right choice and the question is asked as it is (for "which is not …" questions the right choice
  is often named nowhere: that is the evidence).
- The operating point is chosen on out-of-fold probabilities (5 folds by question): the lowest threshold on the
  likeliest choice's probability that refuses TARGET_REFUSAL of the counterfactual questions and answers at most
  TARGET_WRONG_CHOICE of them with a wrong choice.
- With `--reader local` the local model reads each question (assistant/choice_reader.py) and the "reader_choice"
  part is fitted instead: the same rows with the model's distribution over the choices added. The plain "choice"
  part, which the extractive backend uses, is then left as it is.
The sentence and answerability models are left as they are (python -m eval.fit_evidence fits those).
"""

from __future__ import annotations

import argparse
import pickle
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

import numpy as np

from assistant.choice_features import CHOICE_FEATURES
from assistant.choice_reader import ChoiceReader, read_choices, reader_rows
from assistant.choices import split_choices
from assistant.engine import Assistant
from assistant.evidence import (
    MODEL_FILE,
    READER_CHOICE_FEATURES,
    EvidenceModel,
    choice_excerpts,
    load_evidence_model,
    score_choices,
)
from eval.datasets import GoldItem, load_set
from eval.fit_evidence import fit_logistic, open_index
from eval.metrics import mentions_answer
from eval.plots import write_operating_curve
from eval.runner import answer_excluder, right_choice, with_choices
from eval.slices import month_slice

TARGET_REFUSAL = 0.9  # share of counterfactual questions refused at the chosen operating point
TARGET_WRONG_CHOICE = 0.05  # … and the most of them that may be answered with a wrong choice (the bound)
FOLDS = 5


@dataclass
class ChoiceCase:
    item: GoldItem
    rows: np.ndarray  # one row of CHOICE_FEATURES per choice
    right: int  # the right choice's index
    counterfactual: bool
    held: bool  # a retrieved passage names the answer
    reading: np.ndarray | None = None  # one row of READER_FEATURES per choice, when a model read the question

    def features(self, with_reading: bool) -> np.ndarray:
        if not with_reading:
            return self.rows
        assert self.reading is not None, "cases gathered without --reader"
        return np.hstack([self.rows, self.reading])

    @property
    def labels(self) -> np.ndarray:
        labels = np.zeros(len(self.rows), dtype=bool)
        labels[self.right] = not self.counterfactual
        return labels


def gather(bot: Assistant, model: EvidenceModel, items: list[GoldItem], reader: ChoiceReader | None) -> list[ChoiceCase]:
    cases = []
    for item in items:
        asked = with_choices(item)
        stem, choices = split_choices(asked)
        right = right_choice(item)
        if right is None:
            continue
        for counterfactual in (False, True):
            excluded = answer_excluder(item) if counterfactual else None
            passages = bot.retrieve(asked, exclude=excluded, as_of=item.date or None)  # as of the quiz date
            scored = score_choices(model, stem, choices, passages, bot.encoder)
            if scored is None:
                continue
            held = any(mentions_answer(p.text, item.answers) for p in passages)
            reading = None
            if reader is not None:
                reading = reader_rows(read_choices(reader, stem, choices, choice_excerpts(scored)))
            cases.append(ChoiceCase(item, scored.rows, right, counterfactual, held, reading))
    return cases


def gather_all(rtqa_dir: Path, months: list[str], model: EvidenceModel, reader_name: str | None) -> list[ChoiceCase]:
    from assistant.config import Settings

    base = Settings(llm="extractive")
    slices = Path(tempfile.mkdtemp(prefix="fit-choices-"))
    cases: list[ChoiceCase] = []
    for month in months:
        made = month_slice(rtqa_dir, slices, month)
        items = [i for i in load_set(made.questions) if i.answerable and i.answers and i.choices]
        bot = open_index([made.corpus], base)
        reader = reading_backend(reader_name, bot) if reader_name else None
        cases += gather(bot, model, items, reader)
        print(f"{month}: {len(items)} answerable questions with choices", file=sys.stderr)
    return cases


def reading_backend(name: str, bot: Assistant) -> ChoiceReader:
    """The backend whose model reads the questions (one that has a choice reader: local). Its model is loaded once
    per process, however often this is called."""
    from assistant.backends.base import create_backend

    backend = create_backend(bot.settings.model_copy(update={"llm": name}), bot.encoder)
    reader = getattr(backend, "choice_reader", None)
    if reader is None:
        raise SystemExit(f"error: the {name} backend's model cannot read choices")
    return reader


def out_of_fold(cases: list[ChoiceCase], with_reading: bool) -> list[np.ndarray]:
    """Each case's choice probabilities from a model fitted without its question's fold (both askings of one
    question fall in the same fold)."""
    ids = sorted({c.item.id for c in cases})
    fold_of = {qid: i % FOLDS for i, qid in enumerate(np.random.default_rng(0).permutation(ids))}
    result: list[np.ndarray] = [np.zeros(0)] * len(cases)
    for fold in range(FOLDS):
        kept = [c for c in cases if fold_of[c.item.id] != fold]
        rows = np.vstack([c.features(with_reading) for c in kept])
        fitted = fit_logistic(rows, np.concatenate([c.labels for c in kept]), features_of(with_reading))
        for i, case in enumerate(cases):
            if fold_of[case.item.id] == fold:
                result[i] = fitted.probability(case.features(with_reading))
    return result


def features_of(with_reading: bool) -> tuple[str, ...]:
    return READER_CHOICE_FEATURES if with_reading else CHOICE_FEATURES


class Point(NamedTuple):
    """One operating point of the curve, out of fold."""

    threshold: float
    accuracy: float  # of the questions asked as they are
    refused: float  # share of the counterfactual questions refused
    wrong_choice: float  # share of the counterfactual questions answered with a wrong choice
    reader: float  # accuracy where the passages hold the answer


def curve(cases: list[ChoiceCase], probabilities: list[np.ndarray]) -> list[Point]:
    asked = [(c, p) for c, p in zip(cases, probabilities, strict=True) if not c.counterfactual]
    counter = [(c, p) for c, p in zip(cases, probabilities, strict=True) if c.counterfactual]
    points = []
    for threshold in np.unique(np.round([p.max() for p in probabilities], 3)):
        right = [p.max() >= threshold and int(np.argmax(p)) == c.right for c, p in asked]
        reader = [r for r, (c, _) in zip(right, asked, strict=True) if c.held]
        refused = float(np.mean([p.max() < threshold for _, p in counter])) if counter else 1.0
        wrong = float(np.mean([p.max() >= threshold and int(np.argmax(p)) != c.right for c, p in counter])) if counter else 0.0
        points.append(Point(float(threshold), float(np.mean(right)), refused, wrong, float(np.mean(reader)) if reader else 0.0))
    return points


def choose_threshold(points: list[Point]) -> float:
    """The lowest threshold that refuses TARGET_REFUSAL of the counterfactual questions and states a wrong choice for
    at most TARGET_WRONG_CHOICE of them."""
    return next(
        (p.threshold for p in points if p.refused >= TARGET_REFUSAL and p.wrong_choice <= TARGET_WRONG_CHOICE),
        points[-1].threshold,
    )


def plot(points: list[Point], chosen: float, path: Path) -> None:
    at = min(points, key=lambda p: abs(p.threshold - chosen))
    axes = ("counterfactual questions refused", "reader accuracy (answer in the passages)", "Multiple choice, out-of-fold")
    write_operating_curve([(p.refused, p.reader) for p in points], (at.refused, at.reader), chosen, axes, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.fit_choices", description=__doc__.splitlines()[0])
    parser.add_argument("rtqa_dir", type=Path, help="folder with RealTime QA questions.jsonl and corpus.jsonl.gz")
    parser.add_argument("--months", default="2024-01,2024-02,2024-03,2024-04", help="months fitted on (YYYY-MM,…)")
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    parser.add_argument("--plot", type=Path, default=None, help="PNG of the refusal / reader-accuracy curve")
    parser.add_argument("--cases", type=Path, default=None, help="keep the scored questions here and reuse them (a pickle)")
    parser.add_argument("--reader", default=None, help="a backend whose model reads the questions (local): fit reader_choice")
    args = parser.parse_args(argv)

    model = load_evidence_model(args.out)
    if args.cases and args.cases.is_file():
        with args.cases.open("rb") as handle:
            cases: list[ChoiceCase] = pickle.load(handle)  # a file this script wrote
    else:
        cases = gather_all(args.rtqa_dir, args.months.split(","), model, args.reader)
        if args.cases:
            with args.cases.open("wb") as handle:
                pickle.dump(cases, handle)

    with_reading = args.reader is not None
    rows, labels = np.vstack([c.features(with_reading) for c in cases]), np.concatenate([c.labels for c in cases])
    choice_model = fit_logistic(rows, labels, features_of(with_reading))
    asked = sum(not c.counterfactual for c in cases)
    print(f"choice model: {asked} questions asked as they are, {len(cases) - asked} counterfactual, {len(rows)} choices")
    for name, weight in zip(features_of(with_reading), choice_model.weights, strict=True):
        print(f"  {name:<18} {weight:+.3f}")
    points = curve(cases, out_of_fold(cases, with_reading))
    threshold = choose_threshold(points)
    print("out-of-fold: threshold  accuracy  counterfactual refused  wrong choice  reader accuracy")
    for p in points[:: max(1, len(points) // 25)]:
        print(f"  {p.threshold:9.3f}  {p.accuracy:8.3f}  {p.refused:22.3f}  {p.wrong_choice:12.3f}  {p.reader:15.3f}")
    chosen = min(points, key=lambda p: abs(p.threshold - threshold))
    print(
        f"chosen threshold {threshold:.3f}: the lowest refusing ≥ {TARGET_REFUSAL:.0%} of counterfactual questions and "
        f"naming a wrong choice for ≤ {TARGET_WRONG_CHOICE:.0%} (accuracy {chosen.accuracy:.3f}, refused "
        f"{chosen.refused:.3f}, wrong choice {chosen.wrong_choice:.3f}, reader accuracy {chosen.reader:.3f})"
    )
    if args.plot:
        plot(points, threshold, args.plot)
        print(f"plot: {args.plot}")
    if with_reading:
        replace(model, reader_choice=choice_model, reader_choice_threshold=threshold).save(args.out)
    else:
        replace(model, choice=choice_model, choice_threshold=threshold).save(args.out)
    load_evidence_model.cache_clear()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
