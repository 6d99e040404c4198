"""Does the int8 encoder lose accuracy? Answer recall@5 on RealTime QA 2024h1 with fp32 and with int8.

One index per encoder of the same corpus (the whole corpus, or one month's slice with --month, made the
way eval/slices.py makes it: that month's questions and the articles published from a week before its
first quiz to its last). A question hits when one of its top-5 passages contains a gold answer string
(normalised, whole words: eval.metrics). Scored for hybrid retrieval (what `ask` uses) and dense alone,
over all questions and over those whose answer occurs in the corpus. Indexes are built incrementally, so
a second run only re-scores.

    flock /tmp/heavy.lock .venv/bin/python benchmarks/recall.py [--month 2024-06]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from _common import CORPUS, QUESTIONS, WORK, Timer, machine, table, write_slice


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--month", help="YYYY-MM: one month's questions and articles instead of the whole set")
    parser.add_argument("--articles", type=int, help="only the first N articles of the corpus (a smoke run; all questions)")
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_args()

    from eval.metrics import contains, normalize

    if args.month:
        from eval.slices import month_slice

        made = month_slice(QUESTIONS.parent, WORK / "slices", args.month)
        corpus, questions_path, tag = made.corpus, made.questions, f"month-{args.month}"
    elif args.articles:
        corpus, questions_path, tag = write_slice(args.articles), QUESTIONS, f"first-{args.articles}"
    else:
        corpus, questions_path, tag = CORPUS, QUESTIONS, "full"
    questions = [json.loads(line) for line in questions_path.read_text().splitlines() if line.strip()]
    print(f"machine: {machine()}\ncorpus: {corpus.name}; {len(questions)} questions; top {args.k}\n")

    rows = [
        (
            "encoder",
            "index",
            "build s",
            "hybrid recall@5",
            "dense recall@5",
            "hybrid, answer in corpus",
            "dense, answer in corpus",
        )
    ]
    scores: dict[str, float] = {}
    for kind in ("fp32", "int8"):
        bot, seconds, count = _index(kind, corpus, WORK / f"{tag}-{kind}")
        hits = {
            mode: [
                _hit(bot.retrieve(q["question"], k=args.k, mode=mode, as_of=q.get("date") or None), q, contains, normalize)
                for q in questions
            ]
            for mode in ("hybrid", "dense")
        }
        inside = [i for i, q in enumerate(questions) if q.get("answer_in_corpus", True)]
        recall = {mode: sum(h) / len(h) for mode, h in hits.items()}
        recall_in = {mode: sum(h[i] for i in inside) / max(len(inside), 1) for mode, h in hits.items()}
        scores[kind] = recall["hybrid"]
        rows.append(
            (
                bot.encoder.name,
                f"{count} chunks",
                f"{seconds:.0f}",
                f"{recall['hybrid']:.3f}",
                f"{recall['dense']:.3f}",
                f"{recall_in['hybrid']:.3f} (n={len(inside)})",
                f"{recall_in['dense']:.3f}",
            )
        )
    print(table(rows))
    print(f"\nint8 minus fp32, hybrid recall@{args.k}: {100 * (scores['int8'] - scores['fp32']):+.1f} points (goal: within 1)")


def _index(kind: str, corpus: Path, home: Path) -> tuple[Any, float, int]:
    from assistant import Assistant, Settings

    bot = Assistant(
        Settings(home=home, llm="extractive", encoder=kind, encoder_cache=WORK / "models", seeds_dir=home / "no-seeds")
    )
    with Timer() as built:
        bot.ingest([corpus])
    return bot, built.seconds, bot.store.count()


def _hit(passages: list[Any], question: dict[str, Any], contains: Any, normalize: Any) -> bool:
    answers = [normalize(a) for a in question.get("answers", []) if a]
    return any(contains(normalize(p.text), a) for p in passages for a in answers)


if __name__ == "__main__":
    main()
