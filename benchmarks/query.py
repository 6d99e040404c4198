"""Question path: hybrid retrieval latency over the whole RealTime QA 2024h1 index, and a cold `assistant ask`.

For every question of the set (739), on the index `benchmarks/ingest.py --full` built:
  - hybrid retrieval as `Assistant.retrieve` runs it (question embedding, Chroma, BM25, fusion, top 5);
  - its parts alone: the question embedding, a bare Chroma top-30 query (the anchor), the BM25 search.
Then `assistant ask` (extractive backend) as a new process on that index, several times: wall time from
start to answer, beside the bare interpreter start (`python -c pass`) measured in the same run.

    flock /tmp/heavy.lock .venv/bin/python benchmarks/query.py [--home DIR] [--cold-runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _common import QUESTIONS, REPO, WORK, Timer, machine, percentiles, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, default=WORK / "full-int8", help="data directory of the index (ingest.py --full)")
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions (0: all)")
    args = parser.parse_args()

    from assistant import Assistant, Settings

    settings = Settings(home=args.home, llm="extractive", encoder_cache=WORK / "models", seeds_dir=args.home / "no-seeds")
    bot = Assistant(settings)
    chunks = bot.store.count()
    if chunks == 0:
        sys.exit(f"no index in {args.home}: run benchmarks/ingest.py --full first")
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines() if line.strip()]
    questions = questions[: args.limit] if args.limit else questions
    print(f"machine: {machine()}\nindex: {args.home}, {chunks} chunks; {len(questions)} questions\n")

    bot.retrieve("warm up: load the encoder, the keyword index and Chroma's segments")
    timings: dict[str, list[float]] = {"hybrid": [], "embed": [], "chroma": [], "bm25": []}
    keyword = bot._keyword_index()
    for question in questions:
        with Timer() as t:
            bot.retrieve(question, k=5)
        timings["hybrid"].append(t.seconds)
        with Timer() as t:
            vector = bot.encoder.encode([question])[0]
        timings["embed"].append(t.seconds)
        with Timer() as t:
            bot.store.nearest(vector, settings.candidates)
        timings["chroma"].append(t.seconds)
        with Timer() as t:
            keyword.search(question, settings.candidates)
        timings["bm25"].append(t.seconds)

    anchor = percentiles(timings["chroma"])[0]
    rows = [("step (per question)", "p50 ms", "p95 ms", "p50 vs bare Chroma query")]
    for name, label in [
        ("hybrid", "hybrid retrieval, top 5 (all of it)"),
        ("embed", "question embedding (int8)"),
        ("chroma", f"bare Chroma query, top {settings.candidates} (anchor)"),
        ("bm25", f"BM25 search, top {settings.candidates}"),
    ]:
        p50, p95 = percentiles(timings[name])
        rows.append((label, f"{1000 * p50:.1f}", f"{1000 * p95:.1f}", f"{p50 / anchor:.1f}x"))
    print(table(rows))
    rebuild(bot)
    cold(args.home, args.cold_runs)


def rebuild(bot: Any) -> None:
    """What another client of a shared Chroma pays once after a change: the BM25 index rebuilt from Chroma."""
    from index.keyword import KeywordIndex, keyword_rows

    with Timer() as t:
        rebuilt = KeywordIndex.build(keyword_rows(bot.store.iter_chunks()), "benchmark")
    print(
        f"\nkeyword index rebuilt from Chroma's {len(rebuilt.ids)} chunk documents (another client's change): {t.seconds:.1f} s"
    )


def cold(home: Path, runs: int) -> None:
    env = {
        **os.environ,
        "ASSISTANT_HOME": str(home),
        "ASSISTANT_LLM": "extractive",
        "ASSISTANT_ENCODER_CACHE": str(WORK / "models"),
        "ASSISTANT_SEEDS_DIR": str(home / "no-seeds"),
    }
    command = [sys.executable, "-m", "assistant", "ask", "Who won the Taiwan presidential election in January 2024?"]
    bare, asks = [], []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - started)
        started = time.perf_counter()
        done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True)
        asks.append(time.perf_counter() - started)
        if done.returncode != 0:
            sys.exit(f"assistant ask failed: {done.stderr.strip()}")
    first_line = done.stdout.strip().splitlines()[0] if done.stdout.strip() else ""
    ask50, ask_max = percentiles(asks)[0], max(asks)
    print(
        f"\ncold `assistant ask` (extractive, the existing index above), {runs} runs: median {ask50:.2f} s, "
        f"slowest {ask_max:.2f} s; bare `python -c pass` median {percentiles(bare)[0]:.2f} s "
        f"(ask = {ask50 / percentiles(bare)[0]:.0f}x the bare start)\n  answer began: {first_line[:150]}"
    )


if __name__ == "__main__":
    main()
