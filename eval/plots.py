"""PNG plots for report.md (recall@k curves of the three retrievers, accuracy by category, latency histogram) and the
operating-point curves the fitting scripts draw."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.metrics import RECALL_KS, mean

LABELS = {"bm25": "BM25 only", "dense": "dense only", "hybrid": "hybrid (RRF)"}


def write_plots(
    out: Path, metrics: Mapping[str, float | None], scores: Sequence[Mapping[str, Any]], modes: Sequence[str]
) -> list[str]:
    """The plots that have data, as file names relative to `out`."""
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    written = []
    for name, draw in (("recall_at_k.png", _recall), ("accuracy_by_category.png", _by_category), ("latency.png", _latency)):
        figure = draw(metrics, scores, modes)
        if figure is not None:
            figure.savefig(out / name, dpi=110, bbox_inches="tight")
            written.append(name)
            import matplotlib.pyplot as plt

            plt.close(figure)
    return written


def _recall(metrics: Mapping[str, float | None], scores: Sequence[Mapping[str, Any]], modes: Sequence[str]) -> Any:
    import matplotlib.pyplot as plt

    curves = {m: [metrics.get(f"{m}.answer_recall@{k}") for k in RECALL_KS] for m in modes}
    if all(v is None for values in curves.values() for v in values):
        return None
    figure, axis = plt.subplots(figsize=(5.5, 3.6))
    for mode, values in curves.items():
        axis.plot(RECALL_KS, [v if v is not None else float("nan") for v in values], marker="o", label=LABELS.get(mode, mode))
    axis.set(
        xlabel="k (passages)",
        ylabel="answer recall@k",
        ylim=(0, 1.02),
        xticks=list(RECALL_KS),
        title="Retrieval: a gold answer in the top k",
    )
    axis.grid(alpha=0.3)
    axis.legend()
    return figure


def _by_category(metrics: Mapping[str, float | None], scores: Sequence[Mapping[str, Any]], modes: Sequence[str]) -> Any:
    import matplotlib.pyplot as plt

    answered = any("correct" in s for s in scores)
    groups: dict[str, list[float]] = defaultdict(list)
    for s in scores:
        if not (s["answerable"] and s["has_answers"]):
            continue
        if answered:
            groups[s["category"]].append(float(s["correct"]))
        else:
            rank = s["retrieval"]["hybrid"]["answer_rank"]
            groups[s["category"]].append(float(rank is not None and rank <= 5))
    if not groups:
        return None
    names = sorted(groups)
    values = [mean(groups[n]) or 0.0 for n in names]
    figure, axis = plt.subplots(figsize=(max(5.0, 0.7 * len(names) + 2), 3.6))
    bars = axis.bar(names, values, color="#4c72b0")
    for bar, name in zip(bars, names, strict=True):
        axis.annotate(
            f"n={len(groups[name])}", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom", fontsize=8
        )
    axis.set(ylim=(0, 1.1), ylabel="accuracy" if answered else "hybrid answer recall@5", title="By category (answerable items)")
    axis.tick_params(axis="x", rotation=30)
    return figure


def _latency(metrics: Mapping[str, float | None], scores: Sequence[Mapping[str, Any]], modes: Sequence[str]) -> Any:
    import matplotlib.pyplot as plt

    answered = [s["latency"] for s in scores if "latency" in s]
    values = answered or [s["retrieval"]["hybrid"]["seconds"] for s in scores if s["retrieval"]["hybrid"]["seconds"] is not None]
    if not values:
        return None
    figure, axis = plt.subplots(figsize=(5.5, 3.6))
    axis.hist(values, bins=min(30, max(5, len(values) // 3)), color="#55a868")
    axis.set(xlabel="seconds", ylabel="questions", title="Answer latency" if answered else "Hybrid retrieval latency")
    return figure


def write_operating_curve(
    points: Sequence[tuple[float, float]], chosen: tuple[float, float], threshold: float, axes: tuple[str, str, str], path: Path
) -> None:
    """A curve of (x, y) points with the chosen operating point marked; `axes` are the x label, y label and title."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    figure, axis = plt.subplots(figsize=(5, 4))
    axis.plot([x for x, _ in points], [y for _, y in points], marker=".")
    axis.scatter([chosen[0]], [chosen[1]], color="red", zorder=3, label=f"chosen: P ≥ {threshold:.3f}")
    axis.set_xlabel(axes[0])
    axis.set_ylabel(axes[1])
    axis.set_title(axes[2])
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
