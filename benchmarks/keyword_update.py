"""What one added article costs the next question on the keyword side, on a large index (default 200,000 chunks).

The index is made up, once, into BENCH_DIR/keyword-<N>/ (reused by later runs; --rebuild makes it anew):
  - RealTime QA 2024h1 article texts (../shared/data/realtimeqa-2024h1/corpus.jsonl.gz, through our loader and
    cleaner) cut into pieces of 180 words (chunk-sized; our chunker is not run, to keep the build short);
  - copied with small word variations until there are N pieces: copy k ≥ 1 of an article has one word in 20 of
    each piece replaced by a word drawn from the corpus's own words (seeded, so every build is the same), under
    the article id `<id>~<k>`; copy 0 is the text as it is;
  - written straight into the Chroma collections an Assistant opens: each piece as a chunk (its text as the
    document, the chunk metadata our ingest writes) with a random unit
    vector as its embedding (the keyword side never reads vectors; dense search on random vectors would say
    nothing, so it is not measured here), and one manifest record per article copy.
The keyword side of a question (`retrieve(mode="keyword")`: the question's embedding, the revision check, BM25,
reading the winners) is then timed, with keyword_refresh_seconds 0 so every question checks the revision:
  1. the keyword index built whole from Chroma (what a fresh data directory's first question pays);
  2. each client's question before the ingest (the anchor);
  3. one real article under a new id ingested through `Assistant.ingest` (timed; that includes its own update of
     the keyword index); it is deleted again at the end, so runs can repeat on the same index;
  4. the same question right after, minus its time before = the extra delay, for three clients:
     a. the Assistant that ingested (the web app: an upload, then a question);
     b. another Assistant on the same data directory (a CLI `ask`, a second server process): the saved copy;
     c. a client with its own keyword cache a revision behind (the other clients of a Chroma server).

    flock /tmp/heavy.lock .venv/bin/python benchmarks/keyword_update.py [--chunks 200000] [--rebuild]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import time
from pathlib import Path

import numpy as np
from _common import CORPUS, WORK, Timer, machine, rss_mb, table, varied

WORDS_PER_PIECE = 180
VARIATION = 20  # one word in this many is replaced in each copy
QUESTIONS = [
    "Who won the election in Taiwan?",
    "What did the Federal Reserve decide about interest rates?",
    "Which company announced layoffs this week?",
    "What happened at the Super Bowl?",
    "Where did the earthquake strike?",
]


def build(home: Path, chunks: int) -> None:
    """The made-up index described above, into a fresh data directory."""
    from assistant import Assistant, Settings
    from index.chunking import chunk_id_for
    from index.cleaning import clean_text
    from index.loaders import iter_articles
    from index.store import ARTICLE_VECTOR
    from index.stories import NO_SIGNATURE
    from index.types import ArticleMeta, StoredChunk

    shutil.rmtree(home, ignore_errors=True)
    bot = Assistant(Settings(home=home, llm="extractive", encoder_cache=WORK / "models"))
    store = bot.store
    articles: list[tuple[ArticleMeta, list[str]]] = []
    vocabulary: list[str] = []
    for article in iter_articles([CORPUS], max_bytes=1 << 31):
        words = clean_text(article.text).split()
        pieces = [" ".join(words[i : i + WORDS_PER_PIECE]) for i in range(0, len(words), WORDS_PER_PIECE)]
        if pieces:
            articles.append((article.meta, pieces))
            vocabulary.extend(words[:: VARIATION * 3])
    per_copy = sum(len(p) for _, p in articles)
    print(f"{len(articles)} articles, {per_copy} pieces a copy; building {chunks} chunks into {home}")
    rng = random.Random(14)
    vectors = np.random.default_rng(14)
    batch: list[StoredChunk] = []
    records: list[tuple[ArticleMeta, int]] = []
    made = 0
    started = time.perf_counter()

    def flush() -> None:
        if batch:
            embeddings = vectors.standard_normal((len(batch), 384)).astype(np.float32)
            embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
            store.add_chunks(batch, embeddings)  # as an ingest writes them
            batch.clear()
        if records:
            store.articles.add(
                ids=[m.id for m, _ in records],
                embeddings=np.repeat(ARTICLE_VECTOR, len(records), axis=0),
                documents=[""] * len(records),
                # the "too short to group" signature, so the first ingest does not compute one for every record
                metadatas=[
                    {**m.as_metadata(), "content_hash": "made-up", "chunk_count": n, "signature": NO_SIGNATURE}
                    for m, n in records
                ],
            )
            records.clear()

    copy = 0
    while made < chunks:
        for meta, pieces in articles:
            if made >= chunks:
                break
            copied = ArticleMeta(
                id=f"{meta.id}~{copy}" if copy else meta.id,
                title=meta.title,
                source=meta.source,
                published=meta.published,
                location=meta.location,
            )
            pieces = pieces[: chunks - made]
            start = 0
            for index, piece in enumerate(pieces):
                text = piece if copy == 0 else varied(piece, vocabulary, rng, VARIATION)
                batch.append(
                    StoredChunk(
                        id=chunk_id_for(copied.id, text),
                        meta=copied,
                        index=index,
                        text=text,
                        start=start,
                        end=start + len(text),
                    )
                )
                start += len(text) + 1
            records.append((copied, len(pieces)))
            made += len(pieces)
            if len(batch) >= 4000:
                flush()
                print(f"  {made} chunks, {time.perf_counter() - started:.0f} s", flush=True)
        copy += 1
    flush()
    store.bump_revision()
    store.record_articles()
    print(f"built {store.count()} chunks, {len(store.manifest())} articles in {time.perf_counter() - started:.0f} s\n")


def _keyword_question(bot: object, question: str) -> float:
    with Timer() as t:
        bot.retrieve(question, mode="keyword")  # type: ignore[attr-defined]
    return t.seconds


def measure(home: Path) -> None:
    from assistant import Assistant, Settings
    from index.loaders import iter_articles

    settings = Settings(home=home, llm="extractive", encoder_cache=WORK / "models", keyword_refresh_seconds=0)

    class OtherClient(Assistant):
        """A client with its own keyword cache (as each client of a Chroma server has)."""

        @property
        def keyword_dir(self) -> Path:
            return home.parent / f"{home.name}-other-client" / self.fingerprint.digest

    bot = Assistant(settings)
    shutil.rmtree(bot.keyword_dir, ignore_errors=True)  # the whole build below is what a fresh directory pays
    count = bot.store.count()
    bot.encoder.encode(["warm up"])
    start_rss = rss_mb()[0]
    with Timer() as whole:
        bot._keyword_index()
    print(f"keyword index built whole from Chroma: {whole.seconds:.1f} s for {count} chunks; resident memory "
          f"{start_rss:.0f} → {rss_mb()[0]:.0f} MB (peak {rss_mb()[1]:.0f})")  # fmt: skip

    same_home = Assistant(settings, encoder=bot.encoder)
    other = OtherClient(settings, encoder=bot.encoder)
    shutil.rmtree(other.keyword_dir.parent, ignore_errors=True)
    shutil.copytree(bot.keyword_dir, other.keyword_dir)  # its own copy, at the same revision
    clients = {"a. the Assistant that ingested": bot, "b. another on the same data directory": same_home}
    clients["c. another client, own keyword cache"] = other
    with Timer() as loaded:
        same_home._keyword_index()
    print(f"saved keyword index loaded by another Assistant: {loaded.seconds:.2f} s")
    other._keyword_index()

    before: dict[str, list[float]] = {}
    for name, client in clients.items():
        before[name] = [min(_keyword_question(client, q) for _ in range(3)) for q in QUESTIONS]
    p50 = statistics.median(before[next(iter(before))])
    print(f"keyword-side question (retrieve mode=keyword) before the ingest, p50: {p50 * 1000:.1f} ms")

    extra_id = f"bench-extra-{int(time.time())}"
    article = next(a for n, a in enumerate(iter_articles([CORPUS], max_bytes=1 << 31)) if n == 7)
    extra = home.parent / f"{home.name}-extra.jsonl"
    record = {"id": extra_id, "title": article.meta.title, "text": article.text, "published": article.meta.published}
    extra.write_text(json.dumps(record) + "\n", encoding="utf-8")
    try:
        with Timer() as ingest_time:
            report = bot.ingest([extra])
        print(f"one-article ingest: {ingest_time.seconds:.2f} s ({report.added} article, {report.chunks} chunks embedded)\n")
        rows = [("client", "question before", "first question after", "extra", "second question after")]
        for n, (name, client) in enumerate(clients.items()):
            question = QUESTIONS[n % len(QUESTIONS)]
            first = _keyword_question(client, question)
            second = _keyword_question(client, question)
            anchor = before[name][n % len(QUESTIONS)]
            rows.append(
                (
                    name,
                    f"{anchor * 1000:.0f} ms",
                    f"{first * 1000:.0f} ms",
                    f"{(first - anchor) * 1000:.0f} ms",
                    f"{second * 1000:.0f} ms",
                )
            )
        print(table(rows))
        found = bot.retrieve(article.meta.title, mode="keyword", k=3)
        assert any(p.meta.id == extra_id for p in found), "the added article is not found by its title"
    finally:
        bot.store.delete_article(extra_id)  # the index as it was, for the next run
        bot.store.bump_revision()
        bot.store.record_articles()
    print(f"\nresident memory at the end: {rss_mb()[0]:.0f} MB (peak {rss_mb()[1]:.0f})")


def _stored(home: Path) -> int:
    """Chunks in the index this code's settings open there (0 when there is none: another encoder, say)."""
    from assistant import Assistant, Settings

    if not (home / "chroma").exists():
        return 0
    return Assistant(Settings(home=home, llm="extractive", encoder_cache=WORK / "models")).store.count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=200_000, help="size of the made-up index (default 200,000)")
    parser.add_argument("--rebuild", action="store_true", help="make the index anew even when it exists")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    home = WORK / f"keyword-{args.chunks}"
    print(f"machine: {machine()}")
    if args.rebuild or _stored(home) < args.chunks:
        build(home, args.chunks)
    measure(home)
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
