"""Question path: hybrid retrieval latency over the whole RealTime QA 2024h1 index, and a cold `assistant ask`.

For every question of the set (739), on the index `benchmarks/ingest.py --full` built, asked as of today (as a user
asks; a question's "this week" then finds no 2024 article) or, with --as-of-question, as of its quiz date (as the eval
asks: its time window then holds articles, and a narrow one takes the second, named-chunk dense search):
  - hybrid retrieval as `Assistant.retrieve` runs it (question embedding, Chroma, BM25, fusion, top 5);
  - its parts alone: the question embedding, a bare Chroma top-30 query (the anchor), the BM25 search.
Then `assistant ask` (extractive backend) as a new process on that index, several times: wall time from
start to answer, beside the bare interpreter start (`python -c pass`) measured in the same run.

With --copies N, the same on that index made N times larger, built once into <home>-xN/ (reused by later runs):
copy 0 is the index as it is; copy k ≥ 1 of every chunk has one word in 20 of its text replaced by a word of the
corpus (seeded), its vector moved by Gaussian noise (σ 0.017 a dimension, then normalised: cosine about 0.95 to
the original, so the copies cluster around real news as near-duplicate coverage does), and its article the id
`<id>~k` with a manifest record of its own. Written straight into Chroma, then the keyword index is built whole.

Before the timing, every file of the index is read once, so the OS page cache holds it as it does on a machine that
has been serving (a cold cache makes each passage read a disk read: p50 36 ms instead of 16 ms at 194k chunks);
--page-cache as-is times whatever the cache holds.

    flock /tmp/heavy.lock .venv/bin/python benchmarks/query.py [--home DIR] [--cold-runs 5] [--copies 10] [--page-cache as-is]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from _common import QUESTIONS, REPO, WORK, Timer, machine, percentiles, rss_mb, table, varied

COPY_PAGE = 4000  # chunks read and written per Chroma call while copying
NOISE = 0.017  # per dimension, on a 384-d unit vector: cosine ≈ 1 / sqrt(1 + 384 σ²) ≈ 0.95 to the original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, default=WORK / "full-int8", help="data directory of the index (ingest.py --full)")
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions (0: all)")
    parser.add_argument(
        "--as-of-question",
        action="store_true",
        help="ask each question as of its quiz date, as the eval does (default: as of today, as a user asks)",
    )
    parser.add_argument("--copies", type=int, default=1, help="measure on the index made this many times larger")
    parser.add_argument(
        "--page-cache",
        choices=("warm", "as-is"),
        default="warm",
        help="warm: read the index's files once before timing, as a machine that has been serving holds them in memory "
        "(default); as-is: time with whatever the OS holds (after a reboot: every first read goes to disk)",
    )
    args = parser.parse_args()

    from assistant import Assistant, Settings

    home = args.home if args.copies == 1 else scaled_copy(args.home, args.copies)
    settings = Settings(home=home, llm="extractive", encoder_cache=WORK / "models", seeds_dir=home / "no-seeds")
    bot = Assistant(settings)
    chunks = bot.store.count()
    if chunks == 0:
        sys.exit(f"no index in {home}: run benchmarks/ingest.py --full first")
    records = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    asked = [(r["question"], r.get("date") if args.as_of_question else None) for r in records]
    asked = asked[: args.limit] if args.limit else asked
    questions = [question for question, _ in asked]
    when = "each as of its quiz date" if args.as_of_question else "as of today"
    print(f"machine: {machine()}\nindex: {home}, {chunks} chunks; {len(questions)} questions, {when}")
    if args.page_cache == "warm":
        with Timer() as t:
            read = read_through(home)
        print(f"index files read once into the OS page cache first: {read / 1e9:.1f} GB in {t.seconds:.1f} s")
    print()

    bot.retrieve("warm up: load the encoder, the keyword index and Chroma's segments")
    timings: dict[str, list[float]] = {"hybrid": [], "embed": [], "chroma": [], "bm25": []}
    keyword = bot._keyword_index()
    for question, as_of in asked:
        with Timer() as t:
            bot.retrieve(question, k=5, as_of=as_of)
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
    cold(home, args.cold_runs)
    print(f"resident memory of this process at the end: {rss_mb()[0]:.0f} MB; load average {os.getloadavg()[0]:.2f}")


def scaled_copy(source: Path, copies: int) -> Path:
    """<source>-x<copies>/: the index at `source` copied `copies` times over, as the module's docstring says."""
    import random
    import shutil

    import numpy as np

    from assistant import Assistant, Settings
    from index.chunking import chunk_id_for
    from index.embeddings import DIMENSIONS
    from index.store import ARTICLE_VECTOR
    from index.stories import NO_SIGNATURE

    target = source.with_name(f"{source.name}-x{copies}")
    settings = Settings(home=target, llm="extractive", encoder_cache=WORK / "models", seeds_dir=target / "no-seeds")
    if (target / "built").exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    shutil.rmtree(settings.keyword_dir, ignore_errors=True)  # built whole below, and timed
    store = Assistant(settings).store
    ids = sorted(store.all_chunk_ids())
    pages = (ids[first : first + COPY_PAGE] for first in range(0, len(ids), COPY_PAGE))
    originals = [row for page_ids in pages for row in store.get_chunks_with_vectors(page_ids)]
    records = store.list_articles()
    vocabulary = [w for chunk, _ in originals[::7] for w in chunk.text.split()[::20]]
    rng, noise = random.Random(14), np.random.default_rng(14)
    started = time.perf_counter()
    for copy in range(1, copies):
        for first in range(0, len(originals), COPY_PAGE):
            page = originals[first : first + COPY_PAGE]
            texts = [varied(chunk.text, vocabulary, rng) for chunk, _ in page]
            metas = [replace(chunk.meta, id=f"{chunk.meta.id}~{copy}") for chunk, _ in page]
            moved = np.stack([vector for _, vector in page]) + noise.normal(0, NOISE, (len(page), DIMENSIONS)).astype(np.float32)
            moved /= np.linalg.norm(moved, axis=1, keepdims=True)
            chunks = [
                replace(chunk, id=chunk_id_for(meta.id, text), meta=meta, text=text)
                for (chunk, _), meta, text in zip(page, metas, texts, strict=True)
            ]
            store.add_chunks(chunks, moved)  # as an ingest writes them
        copied = [replace(r.meta, id=f"{r.meta.id}~{copy}") for r in records]
        store.articles.add(
            ids=[meta.id for meta in copied],
            embeddings=np.repeat(ARTICLE_VECTOR, len(records), axis=0),
            documents=[""] * len(records),
            metadatas=[
                {
                    **meta.as_metadata(),
                    "content_hash": "copy",
                    "chunk_count": r.chunk_count,
                    "signature": r.signature or NO_SIGNATURE,
                }
                for meta, r in zip(copied, records, strict=True)
            ],
        )
        print(f"  copy {copy}: {store.count()} chunks, {time.perf_counter() - started:.0f} s", flush=True)
    store.bump_revision()
    store.record_articles()
    with Timer() as t:
        Assistant(settings).retrieve("the keyword index built whole")
    print(f"built {target}: {store.count()} chunks in {time.perf_counter() - started:.0f} s; keyword index {t.seconds:.0f} s\n")
    (target / "built").write_text(str(store.count()))
    return target


def read_through(home: Path) -> int:
    """Read every file under `home` once and return the bytes read: afterwards the OS serves them from memory."""
    total = 0
    for path in sorted(p for p in home.rglob("*") if p.is_file()):
        with path.open("rb") as file:
            while block := file.read(1 << 24):
                total += len(block)
    return total


def rebuild(bot: Any) -> None:
    """What another client of a shared Chroma pays once after a change: the BM25 index rebuilt from Chroma."""
    from index.keyword import KeywordIndex, keyword_rows

    with Timer() as t:
        rebuilt = KeywordIndex.build(keyword_rows(bot.store.iter_chunks()), "benchmark")
    print(f"\nkeyword index rebuilt from Chroma's {len(rebuilt.ids)} chunks (another client's change): {t.seconds:.1f} s")


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
