"""Metrics as pure functions: per-item scores from an answer and its gold item, then flat aggregates.

Answers are compared after SQuAD-style normalisation (case, punctuation, articles, whitespace; citation
markers dropped; "Aug. 23" read as "August 23"). An answer is correct when it contains an accepted answer
(every part of it) and, for items with choices, no wrong choice. Retrieval is scored by the rank of the first passage that holds a
gold answer (answer recall@k, the DPR/RealTime QA measure) and of the named source articles.
Counterfactual unanswerables (`--counterfactual`) are answerable items asked again with every passage that
mentions their answer left out: refusing is right, and naming a wrong choice is the worst outcome.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from eval.datasets import AcceptedAnswer
from index.metadata import ABBREVIATED_MONTHS, FULL_MONTHS, MONTHS

MARKER = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")
ARTICLES = re.compile(r"\b(a|an|the)\b")
NOT_WORD = re.compile(r"[^\w\s]|_")
# A month abbreviated in AP style before a day or year ("Aug. 23, 2044") is the month written out: the quiz's answer
# says "Aug. 23, 2044" where an article or a model writes "August 23, 2044". Only with its full stop, so that an
# answer's own "On Jul 2, 2025, … reported" dateline never becomes an article's "July 2".
ABBREVIATED_MONTH = re.compile(rf"\b({ABBREVIATED_MONTHS})\.(?=\s*\d)", re.I)
# A sentence ends at . ! or ? (plus closing quotes and any citation markers) before a capital, digit or quote.
SENTENCE_END = re.compile(r"[.!?][\"”’)]*((?:\s*\[\d+(?:\s*,\s*\d+)*\])*)\s+(?=[\"“‘(]?[A-Z0-9])")
ABBREVIATION = re.compile(r"(?:\b[A-Za-z]\.)+$|\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|No|vs|Gen|Sen|Rep|Gov|Inc|Corp|Co|Ltd|Lt|Col|Prof)\.$")
EVIDENCE_SUPPORT = 0.5  # share of the evidence's content words a passage must hold to count as supporting it
STOPWORDS = frozenset(
    "and but for from has have had his her its not that the their them then there these they this was were what when "
    "which who will with would are been being into onto over said says than also after before about".split()
)
RECALL_KS = (1, 3, 5, 10)


# --- text --------------------------------------------------------------------------------------------


def normalize(text: str) -> str:
    """Lower case, no citation markers, punctuation or articles, single spaces."""
    text = ABBREVIATED_MONTH.sub(lambda found: FULL_MONTHS[MONTHS[found[1].lower()]], text)
    text = NOT_WORD.sub(" ", MARKER.sub(" ", text).lower())
    return " ".join(ARTICLES.sub(" ", text).split())


def content_words(text: str) -> set[str]:
    """Normalised words that carry meaning: no stopwords, nothing shorter than three characters but numbers."""
    return {w for w in normalize(text).split() if (len(w) > 2 or w.isdigit()) and w not in STOPWORDS}


def contains(normalized_text: str, normalized_phrase: str) -> bool:
    """Whole-word containment of one normalised phrase in a normalised text."""
    return bool(normalized_phrase) and f" {normalized_phrase} " in f" {normalized_text} "


def holds_answer(text: str, answers: Sequence[AcceptedAnswer]) -> bool:
    """True when the text contains every part of at least one accepted answer."""
    norm = normalize(text)
    return any(all(contains(norm, normalize(part)) for part in parts) for parts in answers)


def mentions_answer(text: str, answers: Sequence[AcceptedAnswer]) -> bool:
    """True when the text contains any part of any accepted answer: for one-part answers the same as
    holds_answer; a passage with one half of a two-part answer counts too, as the other half may be in another."""
    norm = normalize(text)
    return any(contains(norm, normalize(part)) for parts in answers for part in parts)


def answer_sentences(text: str) -> list[str]:
    """An answer's sentences, each keeping the citation markers that follow its full stop."""
    pieces: list[str] = []
    start = 0
    for found in SENTENCE_END.finditer(text):
        before = text[start : found.start() + 1]
        if ABBREVIATION.search(before.rstrip()) and not found.group(1):
            continue
        pieces.append(text[start : found.end()].strip())
        start = found.end()
    pieces.append(text[start:].strip())
    return [p for p in pieces if MARKER.sub("", p).strip(' .!?"”’')]


# --- one answer -----------------------------------------------------------------------------------------


def is_correct(answer_text: str, answers: Sequence[AcceptedAnswer], choices: Sequence[str] = ()) -> bool:
    """Contains an accepted answer; with choices, also names no wrong choice (outside the right one)."""
    if not answers or not holds_answer(answer_text, answers):
        return False
    return not names_wrong_choice(answer_text, answers, choices)


def names_wrong_choice(answer_text: str, answers: Sequence[AcceptedAnswer], choices: Sequence[str]) -> bool:
    """The answer names a choice that is not an accepted answer (outside the right ones: "Hen" is not in "Henk")."""
    right = {normalize(" ".join(parts)) for parts in answers}
    wrong = [normalize(c) for c in choices if normalize(c) not in right]
    if not wrong:
        return False
    rest = f" {normalize(answer_text)} "
    for phrase in sorted(right, key=len, reverse=True):  # "Hen" must not match inside the right "Henk"
        rest = rest.replace(f" {phrase} ", " | ")
    return any(contains(rest, w) for w in wrong)


def exact_match(answer_text: str, gold: Sequence[str]) -> float:
    norm = normalize(answer_text)
    return float(any(norm == normalize(g) for g in gold))


def token_f1(answer_text: str, gold: Sequence[str]) -> float:
    """SQuAD token F1 against the best-matching gold string."""
    predicted = normalize(answer_text).split()
    best = 0.0
    for g in gold:
        truth = normalize(g).split()
        common = sum((Counter(predicted) & Counter(truth)).values())
        if common:
            precision, recall = common / len(predicted), common / len(truth)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def supports(text: str, answers: Sequence[AcceptedAnswer], evidence: Sequence[str]) -> bool:
    """A passage or quote supports the gold when it holds an answer or most words of an evidence text."""
    if answers and holds_answer(text, answers):
        return True
    words = content_words(text)
    for piece in evidence:
        wanted = content_words(piece)
        if wanted and len(wanted & words) / len(wanted) >= EVIDENCE_SUPPORT:
            return True
    return False


def citation_coverage(answer_text: str) -> float:
    """Share of the answer's sentences that carry at least one [n] marker."""
    found = answer_sentences(answer_text)
    if not found:
        return 0.0
    return sum(bool(MARKER.search(s)) for s in found) / len(found)


# --- retrieval ------------------------------------------------------------------------------------------


def answer_rank(passage_texts: Sequence[str], answers: Sequence[AcceptedAnswer]) -> int | None:
    """1-based rank by which the passages so far hold every part of some accepted answer, or None."""
    norms = [normalize(t) for t in passage_texts]
    best: int | None = None
    for parts in answers:
        ranks = [next((i for i, n in enumerate(norms, 1) if contains(n, normalize(p))), None) for p in parts]
        if all(r is not None for r in ranks):
            covered = max(r for r in ranks if r is not None)
            best = covered if best is None else min(best, covered)
    return best


def source_rank(passage_sources: Sequence[Iterable[str]], sources: Sequence[str]) -> int | None:
    """1-based rank by which every named source has appeared (a passage names an article id, a file name)."""
    if not sources:
        return None
    wanted = {s.lower() for s in sources}
    seen: set[str] = set()
    for rank, names in enumerate(passage_sources, start=1):
        seen |= {n.lower() for n in names} & wanted
        if seen == wanted:
            return rank
    return None


# --- aggregates -----------------------------------------------------------------------------------------


def mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def recall_metrics(ranks: Sequence[int | None], prefix: str, ks: Sequence[int] = RECALL_KS) -> dict[str, float | None]:
    """recall@k (hit@k) for each k and MRR@10 from first-hit ranks (None: no hit)."""
    if not ranks:
        return {}
    out: dict[str, float | None] = {f"{prefix}@{k}": mean(float(r is not None and r <= k) for r in ranks) for k in ks}
    mrr_name = prefix.replace("recall", "mrr").replace("hit", "mrr")
    out[f"{mrr_name}@10"] = mean(1.0 / r if r is not None and r <= 10 else 0.0 for r in ranks)
    return out


def refusal_metrics(refused: Sequence[bool], answerable: Sequence[bool]) -> dict[str, float | None]:
    """Precision and recall of refusing on unanswerable items; how often answerable ones were refused."""
    pairs = list(zip(refused, answerable, strict=True))
    refusals = [a for r, a in pairs if r]
    unanswerable = [r for r, a in pairs if not a]
    answerable_refused = [r for r, a in pairs if a]
    return {
        "refusal_precision": mean(float(not a) for a in refusals),
        "refusal_recall": mean(float(r) for r in unanswerable),
        "wrong_refusal_rate": mean(float(r) for r in answerable_refused),
    }


def aggregate(
    scores: Sequence[Mapping[str, Any]], modes: Sequence[str], ks: Sequence[int] = RECALL_KS
) -> dict[str, float | None]:
    """Flat metrics over per-item score records (see runner.score_record for their fields)."""
    metrics: dict[str, float | None] = {"items": float(len(scores))}
    answerable = [s for s in scores if s["answerable"]]
    metrics["answerable_items"] = float(len(answerable))
    for mode in modes:
        with_answers = [s for s in answerable if s["has_answers"]]
        metrics |= recall_metrics([s["retrieval"][mode]["answer_rank"] for s in with_answers], f"{mode}.answer_recall", ks)
        with_sources = [s for s in answerable if s["has_sources"]]
        metrics |= recall_metrics([s["retrieval"][mode]["source_rank"] for s in with_sources], f"{mode}.source_hit", ks)
    if any("counterfactual" in s for s in scores):
        metrics |= counterfactual_metrics([s["counterfactual"] for s in scores if s.get("counterfactual")])
    answered = [s for s in scores if "correct" in s]
    if not answered:
        return metrics
    scored = [s for s in answered if s["answerable"] and s["has_answers"]]
    metrics["accuracy"] = mean(float(s["correct"]) for s in scored)
    # The reader's own share: accuracy among the questions whose answer was in the top five passages retrieved.
    found = [s for s in scored if (rank := s["retrieval"].get("hybrid", {}).get("answer_rank")) is not None and rank <= READER_K]
    metrics["reader_accuracy"] = mean(float(s["correct"]) for s in found)
    metrics["exact_match"] = mean(s["exact_match"] for s in scored)
    metrics["token_f1"] = mean(s["f1"] for s in scored)
    metrics["accuracy_all_gold"] = mean(float(s["correct"]) for s in answered if s["has_answers"])
    metrics |= refusal_metrics([s["refused"] for s in answered], [s["answerable"] for s in answered])
    cited = [c for s in scored if not s["refused"] for c in s["citations"]]
    metrics["citation_precision"] = mean(float(c["passage_supports"]) for c in cited)
    metrics["citation_quote_precision"] = mean(float(c["quote_supports"]) for c in cited)
    metrics["citation_coverage"] = mean(s["coverage"] for s in answered if not s["refused"])
    metrics["citations_per_answer"] = mean(float(len(s["citations"])) for s in answered if not s["refused"])
    latencies = [s["latency"] for s in answered]
    metrics["latency_p50"] = percentile(latencies, 50)
    metrics["latency_p95"] = percentile(latencies, 95)
    metrics["tokens_per_answer"] = mean(float(s["tokens"]) for s in answered if not s["refused"])
    completion = [float(s["completion_tokens"]) for s in answered if s.get("completion_tokens") is not None]
    metrics["completion_tokens_per_answer"] = mean(completion)
    return metrics


def counterfactual_metrics(asked: Sequence[Mapping[str, Any]]) -> dict[str, float | None]:
    """Over the counterfactual asks (scoring.counterfactual_score): how many, how often refused, and, over those
    of items with choices, how often the answer named a wrong choice. Rates are None with nothing to count."""
    with_choices = [c for c in asked if c["wrong_choice"] is not None]
    return {
        "counterfactual_items": float(len(asked)),
        "counterfactual_refusal_rate": mean(float(c["refused"]) for c in asked),
        "counterfactual_choice_items": float(len(with_choices)),
        "counterfactual_wrong_choice_rate": mean(float(c["wrong_choice"]) for c in with_choices),
    }


def primary_metric(metrics: Mapping[str, float | None]) -> str:
    """Answer accuracy when the run answered, else hybrid answer recall@5."""
    return "accuracy" if metrics.get("accuracy") is not None else "hybrid.answer_recall@5"


ANSWER_METRIC_NAMES = (
    "accuracy",
    "exact_match",
    "token_f1",
    "accuracy_all_gold",
    "refusal_precision",
    "reader_accuracy",
    "refusal_recall",
    "wrong_refusal_rate",
    "citation_precision",
    "citation_quote_precision",
    "citation_coverage",
    "citations_per_answer",
    "latency_p50",
    "latency_p95",
    "tokens_per_answer",
    "completion_tokens_per_answer",
)


READER_K = 5

COUNTERFACTUAL_METRIC_NAMES = (
    "counterfactual_items",
    "counterfactual_refusal_rate",
    "counterfactual_choice_items",
    "counterfactual_wrong_choice_rate",
)


def known_metric_names(modes: Sequence[str], ks: Sequence[int] = RECALL_KS) -> list[str]:
    """Every name aggregate() can produce, so a --fail-under typo is caught before the run."""
    names = ["items", "answerable_items", *ANSWER_METRIC_NAMES, *COUNTERFACTUAL_METRIC_NAMES]
    for mode in modes:
        names += [f"{mode}.answer_recall@{k}" for k in ks] + [f"{mode}.answer_mrr@10"]
        names += [f"{mode}.source_hit@{k}" for k in ks] + [f"{mode}.source_mrr@10"]
    return names
