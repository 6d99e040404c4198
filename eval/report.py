"""report.md: the metric table, the three retrievers side by side, categories, deltas, plots and worst failures."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.changes import OutcomeComparison
from eval.datasets import GoldItem
from eval.errors import EvalError
from eval.metrics import ANSWER_METRIC_NAMES, COUNTERFACTUAL_METRIC_NAMES, RECALL_KS, mean
from eval.plots import LABELS

WORST = 10
COUNTERFACTUAL_SHOWN = 5  # counterfactual questions answered anyway, listed in the report


def compare_metrics(metrics: Mapping[str, float | None], other: Path) -> list[tuple[str, float | None, float | None]]:
    """(name, this run, other run) for every metric either run has."""
    try:
        theirs = json.loads((other / "metrics.json").read_text())
    except (OSError, ValueError) as err:
        raise EvalError(f"--compare {other}: cannot read metrics.json ({err})") from None
    names = [n for n in metrics if n not in ("primary_metric",)] + [
        n for n in theirs if n not in metrics and n != "primary_metric"
    ]
    return [(n, metrics.get(n), theirs.get(n)) for n in names]


def write_report(
    out: Path,
    context: Mapping[str, str],
    metrics: Mapping[str, float | None],
    primary: str,
    items: Sequence[GoldItem],
    records: Mapping[str, Mapping[str, Any]],
    scores: Sequence[Mapping[str, Any]],
    plots: Sequence[str],
    compared: Sequence[tuple[str, float | None, float | None]],
    outcomes: OutcomeComparison | None = None,
) -> Path:
    backend = next((r["answer"]["backend"] for r in records.values() if r.get("answer")), None)
    model = next((r["answer"]["model"] for r in records.values() if r.get("answer") and r["answer"].get("model")), None)
    lines = [f"# Eval report: {Path(context['set']).name}", ""]
    lines += _table(
        ["", ""],
        [[k, v] for k, v in context.items()]
        + [["backend", f"{backend or 'none (retrieval only)'}" + (f" ({model})" if model else "")]],
    )
    lines += ["", f"**Primary metric: {primary} = {_fmt(metrics.get(primary))}**", ""]
    present = [n for n in ANSWER_METRIC_NAMES if n in metrics]
    if present:
        lines += ["## Answers, refusals, citations, latency", ""]
        lines += _table(["metric", "value"], [[n, _fmt(metrics[n])] for n in present])
        lines.append("")
    lines += _counterfactual_section(metrics, items, records, scores)
    lines += ["## Retrieval: BM25 only, dense only, hybrid", "", *_retrieval_table(metrics), ""]
    lines += _category_section(scores)
    if compared:
        lines += ["## Compared with the other run", ""]
        lines += _table(
            ["metric", "this run", "other run", "delta"], [[n, _fmt(a), _fmt(b), _delta(a, b)] for n, a, b in compared]
        )
        lines.append("")
        lines += _changes_section(outcomes) if outcomes is not None else []
    if plots:
        lines += ["## Plots", ""] + [f"![{p}]({p})" for p in plots] + [""]
    lines += _failures_section(items, records, scores)
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _counterfactual_section(
    metrics: Mapping[str, float | None],
    items: Sequence[GoldItem],
    records: Mapping[str, Mapping[str, Any]],
    scores: Sequence[Mapping[str, Any]],
) -> list[str]:
    """The answerable questions asked again without every passage that mentions their answer: should be refused."""
    if "counterfactual_items" not in metrics:
        return []
    lines = [
        "## Counterfactual unanswerables",
        "",
        "Each answerable question asked again with every passage that mentions its answer left out of retrieval.",
        "",
        *_table(["metric", "value"], [[n, _fmt(metrics.get(n))] for n in COUNTERFACTUAL_METRIC_NAMES]),
        "",
    ]
    answered = [
        (bool(s["counterfactual"]["wrong_choice"]), item, records[item.id]["counterfactual"])
        for item, s in zip(items, scores, strict=True)
        if s.get("counterfactual") and not s["counterfactual"]["refused"]
    ]
    answered.sort(key=lambda a: not a[0])  # the ones naming a wrong choice first
    if answered:
        lines += [f"Answered anyway: {len(answered)}; the first {min(COUNTERFACTUAL_SHOWN, len(answered))}:", ""]
        lines += [
            f"- {item.id}{' (names a wrong choice)' if wrong else ''}: {item.question} → {_clip(answer['text'], 200)}"
            for wrong, item, answer in answered[:COUNTERFACTUAL_SHOWN]
        ]
        lines.append("")
    return lines


def _changes_section(outcomes: OutcomeComparison) -> list[str]:
    """Each question both runs asked whose outcome differs: the metrics can stay put while answers swap."""
    lines = [f"Outcomes changed: {outcomes.summary()}", ""]
    rows = [[c.item.id, c.asked, c.other, c.this, _clip(c.item.question, 120)] for c in outcomes.changes]
    if rows:
        lines += [*_table(["id", "asked", "other run", "this run", "question"], rows), ""]
    return lines


def _retrieval_table(metrics: Mapping[str, float | None]) -> list[str]:
    columns = [f"answer_recall@{k}" for k in RECALL_KS] + ["answer_mrr@10"]
    if any(f"hybrid.source_hit@{k}" in metrics for k in RECALL_KS):
        columns += [f"source_hit@{k}" for k in RECALL_KS] + ["source_mrr@10"]
    rows = [[LABELS[m]] + [_fmt(metrics.get(f"{m}.{c}")) for c in columns] for m in ("bm25", "dense", "hybrid")]
    return _table(["retriever", *columns], rows)


def _category_section(scores: Sequence[Mapping[str, Any]]) -> list[str]:
    groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for s in scores:
        groups[s["category"]].append(s)
    if len(groups) < 2:
        return []
    rows = []
    for name in sorted(groups):
        group = groups[name]
        gold = [s for s in group if s["answerable"] and s["has_answers"]]
        answered = [s for s in group if "correct" in s]
        rank = [s["retrieval"]["hybrid"]["answer_rank"] for s in gold]
        rows.append(
            [
                name,
                str(len(group)),
                _fmt(mean(float(s["correct"]) for s in gold if "correct" in s)),
                _fmt(mean(float(s["refused"]) for s in answered)),
                _fmt(mean(float(r is not None and r <= 5) for r in rank)),
            ]
        )
    return ["## By category", "", *_table(["category", "items", "accuracy", "refused", "hybrid answer_recall@5"], rows), ""]


def _failures_section(
    items: Sequence[GoldItem], records: Mapping[str, Mapping[str, Any]], scores: Sequence[Mapping[str, Any]]
) -> list[str]:
    ranked = sorted(
        (f for f in (_failure(i, records[i.id], s) for i, s in zip(items, scores, strict=True)) if f), key=lambda f: f[0]
    )
    if not ranked:
        return ["## Worst failures", "", "None: every question was answered correctly or rightly refused.", ""]
    lines = ["## Worst failures", "", f"{len(ranked)} failures; the worst {min(WORST, len(ranked))} first.", ""]
    for _, kind, item, record in ranked[:WORST]:
        answer = record.get("answer")
        rank = record["retrieval"]["hybrid"].get("answer_rank")
        quote = next((c["quote"] for c in answer["citations"]), "") if answer else ""
        lines += [
            f"### {item.id}: {kind}",
            "",
            f"- question: {item.question}" + (f" (follow-up to: {item.history[-1][0]})" if item.history else ""),
            f"- answer: {_clip(answer['text']) if answer else '(retrieval only)'}",
            f"- gold: {' | '.join(item.answer_strings) or '(not answerable)'}"
            + (f"; choices: {', '.join(item.choices)}" if item.choices else ""),
            f"- cited quote: {_clip(quote) or '(none)'}",
            f"- hybrid retrieval: {'gold answer at rank ' + str(rank) if rank else 'no gold answer in the top 10'}",
            "",
        ]
    return lines


def _failure(
    item: GoldItem, record: Mapping[str, Any], score: Mapping[str, Any]
) -> tuple[int, str, GoldItem, Mapping[str, Any]] | None:
    """(severity, what went wrong, …) or None; confident wrong answers first, then missed refusals, then wrong refusals."""
    found = record["retrieval"]["hybrid"].get("answer_rank") is not None
    if "correct" not in score:
        return (0, "retrieval missed the answer", item, record) if item.answerable and item.answers and not found else None
    if not item.answerable:
        return None if score["refused"] else (2, "answered a question the articles cannot answer", item, record)
    if score["refused"]:
        return (
            3 if found else 5,
            "refused although " + ("the passages held the answer" if found else "retrieval missed it"),
            item,
            record,
        )
    if score["correct"]:
        return None
    return (
        0 if found else 1,
        "wrong answer" + (" although the passages held the gold answer" if found else ", gold answer not retrieved"),
        item,
        record,
    )


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(r) + " |" for r in rows]


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _delta(a: float | None, b: float | None) -> str:
    return "–" if a is None or b is None else f"{a - b:+.3f}"


def _clip(text: str, limit: int = 400) -> str:
    text = " ".join(text.split()).replace("|", "/")
    return text if len(text) <= limit else text[: limit - 1] + "…"
