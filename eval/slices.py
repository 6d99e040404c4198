"""A one-month slice of RealTime QA that indexes in about a minute, for CI (or several months joined, for reports).

The questions of one month, and the corpus articles published from `lookback_days` before that month's
first quiz to its last quiz: the news a reader had that month. The choice uses dates only, never the
answers, so the slice keeps the full corpus's distractors of the same weeks. `answer_in_corpus` is
recomputed against the slice (a gold answer occurs in one of its articles, after normalisation).

    python -m eval.slices DATA_DIR OUT_DIR [--month 2024-06] [--lookback-days 7]
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from eval.errors import EvalError
from eval.metrics import contains, normalize


@dataclass(frozen=True)
class Slice:
    questions: Path
    corpus: Path
    question_count: int
    article_count: int
    answerable: int
    since: str
    until: str


def month_slice(data_dir: Path, out_dir: Path, month: str, lookback_days: int = 7) -> Slice:
    """The questions of `month` (YYYY-MM; several months joined by commas make one slice) and their news."""
    months = tuple(month.split(","))
    questions = [q for q in _jsonl(data_dir / "questions.jsonl") if str(q.get("date", "")).startswith(months)]
    if not questions:
        raise EvalError(f"{data_dir / 'questions.jsonl'}: no questions dated {month}")
    first = date.fromisoformat(min(q["date"] for q in questions))
    since, until = (first - timedelta(days=lookback_days)).isoformat(), max(q["date"] for q in questions)
    articles = [a for a in _jsonl(data_dir / "corpus.jsonl.gz") if a.get("published") and since <= a["published"] <= until]
    texts = [normalize(f"{a.get('title', '')} {a['text']}") for a in articles]
    for q in questions:
        q["answer_in_corpus"] = any(contains(t, normalize(ans)) for ans in q["answers"] for t in texts)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = "+".join(months)
    questions_path, corpus_path = out_dir / f"realtimeqa-{name}.jsonl", out_dir / f"realtimeqa-{name}-corpus.jsonl.gz"
    questions_path.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
    _write_gzip(corpus_path, "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles))
    answerable = sum(bool(q["answer_in_corpus"]) for q in questions)
    return Slice(questions_path, corpus_path, len(questions), len(articles), answerable, since, until)


def _write_gzip(path: Path, text: str) -> None:
    """Byte-identical on every run (no timestamp), so the eval index named by the corpus hash is reused."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as handle:
        handle.write(text.encode("utf-8"))
    path.write_bytes(buffer.getvalue())


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise EvalError(f"{path}: no such file (is the RealTime QA folder right?)")
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.slices", description="Write a one-month RealTime QA slice.")
    parser.add_argument("data_dir", type=Path, help="folder with questions.jsonl and corpus.jsonl.gz")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument(
        "--month", default="2024-06", help="YYYY-MM of the questions (default 2024-06); 2024-05,2024-06 joins months"
    )
    parser.add_argument("--lookback-days", type=int, default=7, help="articles from this many days before the first quiz")
    args = parser.parse_args(argv)
    try:
        made = month_slice(args.data_dir, args.out_dir, args.month, args.lookback_days)
    except EvalError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(
        f"{made.question_count} questions ({made.answerable} with an answer in the slice), "
        f"{made.article_count} articles published {made.since}..{made.until}\n{made.questions}\n{made.corpus}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
