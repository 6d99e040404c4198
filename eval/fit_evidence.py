"""Fit the evidence models (assistant/evidence_model.json) on development data, and say how they do.

    python -m eval.fit_evidence RTQA_DIR [--months 2024-01,2024-02,2024-03,2024-04] [--seeds-part even]
        [--out assistant/evidence_model.json] [--plot artifacts/evidence-pr.png]

Data: the RealTime QA questions of the given months, each asked over its month's slice of the corpus (eval.slices),
and the part of eval/sets/seeds.jsonl named by --seeds-part (even or odd item positions; the other part is held back
for reporting). For each answerable question the top-k passages are retrieved twice: as they are, and with every chunk that holds
any part of an accepted answer taken away, as `eval --counterfactual` does (its counterfactual: the same real
question, now unanswerable).
- Sentence model: every sentence of the passages as retrieved; label = it holds an accepted answer.
- Answerability model: the question features over the selected evidence, for the question as retrieved (label = the
  selected sentences hold an accepted answer), for its counterfactual (label 0) and for the seeds' unanswerable
  questions (label 0). Its operating point is chosen on out-of-fold probabilities (5-fold), from the
  precision/recall curve this script prints (and plots, with --plot).
- The second-sentence ratio is the one with the best accuracy (eval.metrics.is_correct) on the training questions.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from assistant import Assistant, Passage, Settings
from assistant.evidence import (
    BASE_FEATURES,
    QUESTION_FEATURES,
    SENTENCE_FEATURES,
    EvidenceModel,
    LogisticModel,
    ScoredSentences,
    pick,
    sentence_features,
    with_relative,
)
from assistant.question import Question
from eval.datasets import GoldItem, load_set
from eval.metrics import holds_answer, is_correct
from eval.plots import write_operating_curve
from eval.runner import answer_excluder
from eval.slices import month_slice
from eval.workspace import corpus_digest, eval_settings, is_ingested, mark_ingested

REPO = Path(__file__).resolve().parent.parent
MODEL_VERSION = "1"
RATIOS = (0.5, 0.7, 0.8, 0.9, 0.95, 1.01)  # 1.01: never a second sentence
# The operating point: refuse at least this share of the questions whose evidence does not hold the answer (most of
# them counterfactual: the honest test of refusing), and answer as many of the others as that allows.
TARGET_REFUSAL = 0.9


@dataclass
class Case:
    item: GoldItem
    scored: ScoredSentences
    labels: np.ndarray  # per sentence: holds an accepted answer
    counterfactual: bool


def open_index(corpus: list[Path], base: Settings) -> Assistant:
    """The eval harness's own index of the corpus (shared with `assistant eval`), built when missing."""
    digest = corpus_digest(corpus, base)
    bot = Assistant(eval_settings(base, base.home / "eval" / digest[:16]))
    built = f"{digest}:{bot.fingerprint.digest}"
    if not is_ingested(bot.settings.home, built):
        print(f"indexing {', '.join(map(str, corpus))}", file=sys.stderr)
        bot.ingest(corpus, prune=True)
        mark_ingested(bot.settings.home, built, corpus)
    return bot


def gather(bot: Assistant, items: list[GoldItem]) -> list[Case]:
    cases = []
    for item in items:
        question = bot.question(" ".join(item.question.split()))
        as_of = item.date or None  # a RealTime QA question as of its quiz date: "this week" is that week
        passages = bot.retrieve(item.question, as_of=as_of)
        cases.append(_case(bot, item, question, passages, counterfactual=False))
        if item.answerable and item.answers:
            without = bot.retrieve(item.question, exclude=answer_excluder(item), as_of=as_of)
            cases.append(_case(bot, item, question, without, counterfactual=True))
    return cases


def _case(bot: Assistant, item: GoldItem, question: Question, passages: list[Passage], *, counterfactual: bool) -> Case:
    scored = sentence_features(question, passages, bot.encoder)
    answerable = item.answerable and bool(item.answers) and not counterfactual
    labels = np.array([answerable and holds_answer(s.text, item.answers) for s in scored.sentences], dtype=bool)
    return Case(item, scored, labels, counterfactual)


def fit_logistic(rows: np.ndarray, labels: np.ndarray, features: tuple[str, ...]) -> LogisticModel:
    from sklearn.linear_model import LogisticRegression

    mean, scale = rows.mean(axis=0), rows.std(axis=0)
    scale[scale == 0] = 1.0
    fitted = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000).fit((rows - mean) / scale, labels)
    return LogisticModel(features, mean, scale, fitted.coef_[0].astype(np.float64), float(fitted.intercept_[0]))


def fit_ranker(groups: list[tuple[np.ndarray, np.ndarray]], features: tuple[str, ...], l2: float = 1.0) -> LogisticModel:
    """Sentence weights that rank each question's answer-bearing sentences first (a conditional logit: the softmax
    over one question's sentences, fitted by L-BFGS), then calibrated to probabilities by a one-feature logistic fit
    on the scores (Platt scaling) so that the second-sentence ratio and the answerability model read probabilities."""
    from scipy.optimize import minimize
    from sklearn.linear_model import LogisticRegression

    rows = np.vstack([r for r, _ in groups])
    mean, scale = rows.mean(axis=0), rows.std(axis=0)
    scale[scale == 0] = 1.0
    standard = [((r - mean) / scale, y) for r, y in groups if y.any()]

    def loss(weights: np.ndarray) -> tuple[float, np.ndarray]:
        total, gradient = l2 * float(weights @ weights) / 2, l2 * weights
        for x, y in standard:
            scores = x @ weights
            top = scores.max()
            every = np.exp(scores - top)
            right = every * y
            total -= float(np.log(right.sum()) - np.log(every.sum()))
            gradient = gradient - (right / right.sum()) @ x + (every / every.sum()) @ x
        return total, gradient

    weights = minimize(loss, np.zeros(rows.shape[1]), jac=True, method="L-BFGS-B").x
    scores = ((rows - mean) / scale) @ weights
    labels = np.concatenate([y for _, y in groups])
    platt = LogisticRegression(C=1e6, max_iter=2000).fit(scores[:, None], labels)
    slope, bias = float(platt.coef_[0][0]), float(platt.intercept_[0])
    return LogisticModel(features, mean, scale, weights * slope, bias)


def out_of_fold(rows: np.ndarray, labels: np.ndarray, features: tuple[str, ...], folds: int = 5) -> np.ndarray:
    """Each row's probability from a model fitted without its fold, so the operating point is not chosen on
    probabilities the model was fitted to."""
    order = np.random.default_rng(0).permutation(len(rows))
    probabilities = np.zeros(len(rows))
    for fold in range(folds):
        held = order[fold::folds]
        kept = np.setdiff1d(order, held)
        probabilities[held] = fit_logistic(rows[kept], labels[kept], features).probability(rows[held])
    return probabilities


Point = tuple[float, float, float, float]  # threshold, precision, recall, refusal rate of the negatives


def precision_recall(probabilities: np.ndarray, labels: np.ndarray) -> list[Point]:
    """(threshold, precision, recall, share of negatives refused) at each distinct probability."""
    points = []
    for threshold in np.unique(np.round(probabilities, 3)):
        answered = probabilities >= threshold
        if not answered.any():
            continue
        precision = float(labels[answered].mean())
        recall = float(answered[labels].mean()) if labels.any() else 0.0
        refused = float((~answered[~labels]).mean()) if (~labels).any() else 1.0
        points.append((float(threshold), precision, recall, refused))
    return points


def choose_threshold(points: list[Point]) -> tuple[float, str]:
    """The lowest threshold that refuses the target share of negatives: the most answers that honest refusing allows."""
    for threshold, _, _, refused in points:
        if refused >= TARGET_REFUSAL:
            return threshold, f"lowest threshold refusing ≥ {TARGET_REFUSAL:.0%} of the questions whose evidence lacks the answer"
    return points[-1][0], "no threshold refuses the target share: the highest"


def plot(points: list[Point], chosen: float, path: Path) -> None:
    at = min(points, key=lambda p: abs(p[0] - chosen))
    axes = ("recall (answerable questions answered)", "precision (evidence holds the answer)", "Answerability, out-of-fold")
    write_operating_curve([(p[2], p[1]) for p in points], (at[2], at[1]), chosen, axes, path)


def seeds_part(part: str) -> list[GoldItem]:
    items = load_set(REPO / "eval" / "sets" / "seeds.jsonl")
    return [item for i, item in enumerate(items) if i % 2 == (0 if part == "even" else 1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.fit_evidence", description=__doc__.splitlines()[0])
    parser.add_argument("rtqa_dir", type=Path, help="folder with RealTime QA questions.jsonl and corpus.jsonl.gz")
    parser.add_argument("--months", default="2024-01,2024-02,2024-03,2024-04", help="months fitted on (YYYY-MM,…)")
    parser.add_argument("--seeds-part", choices=("even", "odd", "none"), default="even", help="seeds items fitted on")
    parser.add_argument("--out", type=Path, default=REPO / "assistant" / "evidence_model.json")
    parser.add_argument("--plot", type=Path, default=None, help="PNG of the answerability precision/recall curve")
    parser.add_argument("--cases", type=Path, default=None, help="keep the scored questions here and reuse them (a pickle)")
    args = parser.parse_args(argv)

    if args.cases and args.cases.is_file():
        with args.cases.open("rb") as handle:
            cases: list[Case] = pickle.load(handle)  # a file this script wrote
        for case in cases:  # cached with the base features only: the relative ones derive from them
            if len(case.scored.sentences) and case.scored.rows.shape[1] == len(BASE_FEATURES):
                case.scored = replace(case.scored, rows=with_relative(case.scored.rows))
    else:
        cases = gather_all(args.rtqa_dir, args.months.split(","), args.seeds_part)
        if args.cases:
            with args.cases.open("wb") as handle:
                pickle.dump(cases, handle)

    asked = [c for c in cases if not c.counterfactual and len(c.labels)]
    sentence_rows = np.vstack([c.scored.rows for c in asked])
    sentence_labels = np.concatenate([c.labels for c in asked])
    sentence_model = fit_ranker([(c.scored.rows, c.labels) for c in asked], SENTENCE_FEATURES)
    print(f"sentence model: {len(sentence_rows)} sentences, {int(sentence_labels.sum())} hold an answer")
    for name, weight in zip(SENTENCE_FEATURES, sentence_model.weights, strict=True):
        print(f"  {name:<18} {weight:+.3f}")

    provisional = EvidenceModel(MODEL_VERSION, sentence_model, sentence_model, 0.5, 1.01, 1)
    ratio = best_ratio(cases, provisional)
    model = EvidenceModel(MODEL_VERSION, sentence_model, sentence_model, 0.5, ratio, 2)
    selector_rows, selector_labels = question_rows(cases, model)
    answerable_model = fit_logistic(selector_rows, selector_labels, QUESTION_FEATURES)
    print(f"answerability model: {len(selector_rows)} cases, {int(selector_labels.sum())} with the answer in the evidence")
    for name, weight in zip(QUESTION_FEATURES, answerable_model.weights, strict=True):
        print(f"  {name:<18} {weight:+.3f}")
    points = precision_recall(out_of_fold(selector_rows, selector_labels, QUESTION_FEATURES), selector_labels)
    threshold, why = choose_threshold(points)
    print("precision/recall (out-of-fold): threshold  precision  recall  negatives refused")
    for t, p, r, a in points[:: max(1, len(points) // 25)]:
        print(f"  {t:9.3f}  {p:9.3f}  {r:6.3f}  {a:8.3f}")
    print(f"chosen threshold {threshold:.3f}: {why}")
    if args.plot:
        plot(points, threshold, args.plot)
        print(f"plot: {args.plot}")
    final = EvidenceModel(MODEL_VERSION, sentence_model, answerable_model, threshold, ratio, 2)
    final.save(args.out)
    print(f"wrote {args.out}")
    return 0


def gather_all(rtqa_dir: Path, months: list[str], part: str) -> list[Case]:
    base = Settings(llm="extractive")
    cases: list[Case] = []
    slices = Path(tempfile.mkdtemp(prefix="fit-evidence-"))
    for month in months:
        made = month_slice(rtqa_dir, slices, month)
        bot = open_index([made.corpus], base)
        items = [i for i in load_set(made.questions) if i.answerable and i.answers]
        cases += gather(bot, items)
        print(f"{month}: {len(items)} answerable questions in the slice", file=sys.stderr)
    if part != "none":
        cases += gather(open_index([base.seeds_dir], base), seeds_part(part))
    return cases


def best_ratio(cases: list[Case], model: EvidenceModel) -> float:
    """The second-sentence ratio with the best accuracy on the answerable questions as retrieved."""
    scores = {}
    for ratio in RATIOS:
        trial = EvidenceModel(model.version, model.sentence, model.sentence, 0.0, ratio, 2)
        right = [
            is_correct(" ".join(s.text for s in pick(trial, c.scored)[0]), c.item.answers, c.item.choices)
            for c in cases
            if not c.counterfactual and c.item.answerable and c.item.answers and c.scored.sentences
        ]
        scores[ratio] = float(np.mean(right)) if right else 0.0
    print("second-sentence ratio → accuracy of the selected sentences: " + ", ".join(f"{r}: {a:.3f}" for r, a in scores.items()))
    reachable = [c for c in cases if not c.counterfactual and c.labels.any()]
    found = [any(holds_answer(s.text, c.item.answers) for s in pick(model, c.scored)[0]) for c in reachable]
    print(f"the best sentence holds the answer for {np.mean(found):.3f} of the {len(reachable)} questions whose passages do")
    return max(scores, key=lambda r: (scores[r], r))


def question_rows(cases: list[Case], model: EvidenceModel) -> tuple[np.ndarray, np.ndarray]:
    rows, labels = [], []
    for case in cases:
        if not case.scored.sentences:
            continue
        picked, row = pick(model, case.scored)
        answered = case.item.answerable and bool(case.item.answers) and not case.counterfactual
        rows.append(row)
        labels.append(answered and any(holds_answer(s.text, case.item.answers) for s in picked))
    return np.array(rows), np.array(labels, dtype=bool)


if __name__ == "__main__":
    sys.exit(main())
