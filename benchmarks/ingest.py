"""Ingest speed: our pipeline beside llama-index's default and plain sentence-transformers, in one run.

Slice mode (default): the first N articles of RealTime QA 2024h1 are cut into our chunks, and on those
same chunk texts this measures, in one process, taking turns over a few parts of the slice (the order
rotating, so that a busy spell on this shared machine falls on every method alike), in wall and CPU time, each method
having run once on the article after the slice first (models loaded, imports done, first calls paid):
  - plain fp32 `SentenceTransformer.encode` of the packaged all-MiniLM-L6-v2 (the anchor);
  - llama-index's default `VectorStoreIndex.from_documents` (HuggingFaceEmbedding of the same packaged model,
    into a Chroma collection; one Document per chunk, so its default splitter keeps each one whole);
  - our whole ingest of the slice file (read, clean, chunk, embed int8, write Chroma, manifest, BM25);
  - the int8 encoder alone on the same chunk texts, through `encode_documents` as our ingest calls it, so on
    the same number of cores (`--threads`, all by default);
  - re-ingesting the unchanged slice; and the mean cosine between int8 and fp32 vectors of the chunks.
Full mode (--full): the whole corpus through our ingest into a fresh index, with resident memory along the
way and at its peak, then a re-ingest of the unchanged corpus.

    flock /tmp/heavy.lock .venv/bin/python benchmarks/ingest.py --articles 120 [--threads N]
    flock /tmp/heavy.lock .venv/bin/python benchmarks/ingest.py --full
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from _common import CORPUS, WORK, Timer, machine, our_chunks, rss_mb, table, write_slice

METHODS = ("plain", "llama", "int8", "ours")
LABELS = {
    "plain": "plain SentenceTransformer.encode, fp32",
    "llama": "llama-index VectorStoreIndex.from_documents",
    "ours": "our ingest (int8, end to end)",
    "int8": "int8 encode alone",
}


class Clock:
    """Wall and CPU seconds (all threads of this process), summed over the rounds."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0
        self.chunks = 0

    @contextlib.contextmanager
    def running(self, chunks: int) -> Iterator[None]:
        wall, cpu = time.perf_counter(), _cpu_seconds()
        yield
        self.wall += time.perf_counter() - wall
        self.cpu += _cpu_seconds() - cpu
        self.chunks += chunks


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def slice_run(articles: int, batch_size: int, rounds: int, threads: int | None) -> None:
    from assistant import Assistant, Settings
    from index.embeddings import OnnxInt8Encoder, SentenceTransformerEncoder, minilm_dir

    parts = _split(write_slice(articles), rounds)
    warm = _article_after(articles)
    int8 = OnnxInt8Encoder(cache_dir=WORK / "models", batch_size=batch_size, threads=threads)
    fp32 = SentenceTransformerEncoder()  # sentence-transformers' own default batch, 32
    texts = [our_chunks(part, int8) for part in parts]
    warm_chunks = our_chunks(warm, int8)
    total = sum(len(t) for t in texts)
    print(f"machine: {machine()}\nslice: first {articles} articles of {CORPUS.name}, {total} chunks, in {rounds} rounds")
    print(f"int8 encoder: batch {batch_size}, ingest batches on {int8.threads} threads (ours and int8 alone alike)\n")

    clocks = {name: Clock() for name in METHODS}
    fast, reference = [], []
    with tempfile.TemporaryDirectory(dir=WORK) as home, tempfile.TemporaryDirectory(dir=WORK) as llama_dir:
        llama = LlamaIndexDefault(str(minilm_dir()), llama_dir)
        bot = Assistant(Settings(home=Path(home), llm="extractive", encoder_cache=WORK / "models"), encoder=int8)
        # Every method once on the article after the slice before any clock starts: models loaded, imports done and
        # first calls' costs paid (our ingest's MinHash and BM25 libraries, each Chroma collection's first write), as in a
        # process that has ingested before.
        fp32.encode(warm_chunks)
        int8.encode_documents(warm_chunks)
        llama.add(warm_chunks)
        bot.ingest([warm])
        first_chunks = 0
        for n, (part, chunks) in enumerate(zip(parts, texts, strict=True)):
            # The same chunks through each method in turn, the order rotating, so a busy spell on this shared
            # machine falls on every method alike.
            for name in METHODS[n % len(METHODS) :] + METHODS[: n % len(METHODS)]:
                with clocks[name].running(len(chunks)):
                    if name == "plain":
                        reference.append(fp32.encode(chunks))
                    elif name == "llama":
                        llama.add(chunks)
                    elif name == "int8":
                        fast.append(int8.encode_documents(chunks))
                    else:
                        first_chunks += bot.ingest([part]).chunks
        with Timer() as again_time:
            again = bot.ingest(parts)
        stored = llama.count() - len(warm_chunks)
    assert first_chunks == total == stored, (first_chunks, total, stored)  # every method did the same work
    cosines = np.sum(np.vstack(fast) * np.vstack(reference), axis=1)

    rate = {name: clocks[name].chunks / clocks[name].wall for name in METHODS}
    cpu = {name: clocks[name].cpu / clocks[name].chunks for name in METHODS}
    rows = [
        (
            "ingest of the same chunks",
            "chunks",
            "wall s",
            "CPU s",
            "chunks/s",
            "vs llama-index",
            "vs plain fp32",
            "by CPU: vs llama-index, vs plain",
        )
    ]
    for name in ("plain", "llama", "ours", "int8"):
        c = clocks[name]
        rows.append(
            (
                LABELS[name],
                str(c.chunks),
                f"{c.wall:.1f}",
                f"{c.cpu:.1f}",
                f"{rate[name]:.1f}",
                f"{rate[name] / rate['llama']:.2f}x",
                f"{rate[name] / rate['plain']:.2f}x",
                f"{cpu['llama'] / cpu[name]:.2f}x, {cpu['plain'] / cpu[name]:.2f}x",
            )
        )
    print(table(rows))
    print(
        f"\nre-ingest of the unchanged slice: {again_time.seconds:.2f} s = {100 * again_time.seconds / clocks['ours'].wall:.1f}% "
        f"of the first ({again.chunks} chunks embedded, {again.unchanged} articles unchanged)"
    )
    print(f"mean cosine int8 vs fp32 over the {total} chunks: {cosines.mean():.4f} (min {cosines.min():.4f})")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


def _article_after(articles: int) -> Path:
    """The corpus's article right after the first `articles`, alone in a file (the warm-up of every method)."""
    path = WORK / f"article-{articles + 1}.jsonl"
    if not path.exists():
        lines = write_slice(articles + 1).read_text(encoding="utf-8").splitlines()
        path.write_text(lines[articles] + "\n", encoding="utf-8")
    return path


def _split(path: Path, rounds: int) -> list[Path]:
    """The slice cut into `rounds` files of consecutive articles."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    size = -(-len(lines) // rounds)
    parts = []
    for n in range(rounds):
        part = path.with_name(f"{path.stem}-part{n + 1}of{rounds}.jsonl")
        part.write_text("".join(lines[n * size : (n + 1) * size]), encoding="utf-8")
        parts.append(part)
    return parts


class LlamaIndexDefault:
    """llama-index's defaults, models passed explicitly: HuggingFaceEmbedding, SentenceSplitter, Chroma.

    One Document per chunk, so its default splitter (1024 tokens) keeps each of our chunks whole and the
    embedding work is the same as ours."""

    def __init__(self, model_dir: str, folder: str) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self.embed = HuggingFaceEmbedding(model_name=model_dir, device="cpu")
        self.embed.get_text_embedding("warm up")  # loaded before the clock, like the others
        client = chromadb.PersistentClient(path=folder, settings=ChromaSettings(anonymized_telemetry=False))
        self.collection = client.get_or_create_collection("llama_default")
        self.store = ChromaVectorStore(chroma_collection=self.collection)

    def add(self, texts: list[str]) -> None:
        from llama_index.core import Document, StorageContext, VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter

        VectorStoreIndex.from_documents(
            [Document(text=t) for t in texts],
            storage_context=StorageContext.from_defaults(vector_store=self.store),
            embed_model=self.embed,
            transformations=[SentenceSplitter()],
        )

    def count(self) -> int:
        return int(self.collection.count())


def full_run(batch_size: int, threads: int | None) -> None:
    from assistant import Assistant, Settings
    from index.embeddings import OnnxInt8Encoder

    home = WORK / "full-int8"
    shutil.rmtree(home, ignore_errors=True)  # a first ingest is what is measured
    print(f"machine: {machine()}\ncorpus: all of {CORPUS} into {home}\n")
    encoder = OnnxInt8Encoder(cache_dir=WORK / "models", batch_size=batch_size, threads=threads)
    encoder.encode_documents(["warm up"])
    print(f"int8 encoder: batch {batch_size}, ingest batches on {encoder.threads} threads")
    start_rss, _ = rss_mb()
    samples: list[tuple[int, int, float]] = []

    def progress(done: int, total: int) -> None:
        if not samples or done - samples[-1][0] >= total / 10 or done == total:
            samples.append((done, total, rss_mb()[0]))

    bot = Assistant(Settings(home=home, llm="extractive", encoder_cache=WORK / "models"), encoder=encoder)
    first = bot.ingest([CORPUS], progress=progress)
    peak = rss_mb()[1]
    print("resident memory while ingesting (articles done: MB): " + ", ".join(f"{d}/{t}: {m:.0f}" for d, t, m in samples))
    print(
        f"first ingest: {first.added} articles, {first.chunks} chunks in {first.seconds:.1f} s = "
        f"{first.chunks / max(first.seconds, 1e-9):.1f} chunks/s; resident memory {start_rss:.0f} MB before, peak {peak:.0f} MB"
    )
    again = bot.ingest([CORPUS])
    print(
        f"re-ingest of the unchanged corpus: {again.seconds:.2f} s = {100 * again.seconds / first.seconds:.2f}% of the first "
        f"({again.chunks} chunks embedded, {again.unchanged} unchanged); index size {bot.store.count()} chunks"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=120, help="slice size for the side-by-side run (default 120)")
    parser.add_argument("--batch-size", type=int, default=16, help="int8 encoder batch size (fp32 keeps its default, 32)")
    parser.add_argument("--rounds", type=int, default=3, help="slice mode: the methods take turns over this many parts")
    parser.add_argument("--full", action="store_true", help="ingest the whole corpus: time, memory, re-ingest")
    parser.add_argument("--threads", type=int, default=None, help="int8 encoder threads for ingest batches (default: all cores)")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    if args.full:
        full_run(args.batch_size, args.threads)
    else:
        slice_run(args.articles, args.batch_size, args.rounds, args.threads)


if __name__ == "__main__":
    main()
