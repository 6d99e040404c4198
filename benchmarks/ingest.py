"""Ingest speed: our pipeline beside llama-index's default and plain sentence-transformers, in one run.

Slice mode (default): the first N articles of RealTime QA 2024h1 are cut into our chunks, and on those
same chunk texts this measures, each method in a process of its own, taking turns over a few parts of the slice (the
order rotating, so that a busy spell on this shared machine falls on every method alike), in wall and CPU time, each
method having run once on the article after the slice first (models loaded, imports done, first calls paid):
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
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from _common import CORPUS, WORK, machine, our_chunks, rss_mb, table, write_slice

from index.embeddings import FP32_BATCH_SIZE, INT8_BATCH_SIZE  # after _common, which puts the repository on the path

METHODS = ("plain", "llama", "int8", "ours")
LABELS = {
    "plain": "plain SentenceTransformer.encode, fp32",
    "llama": "llama-index VectorStoreIndex.from_documents",
    "ours": "our ingest (int8, end to end)",
    "int8": "int8 encode alone",
}


class Clock:
    """Wall and CPU seconds (all threads of the method's process), summed over the rounds."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0
        self.chunks = 0

    def add(self, spent: list[float], chunks: int) -> None:
        wall, cpu = spent
        self.wall += wall
        self.cpu += cpu
        self.chunks += chunks


@contextlib.contextmanager
def measured() -> Iterator[list[float]]:
    """Wall and CPU seconds (all threads of this process) of the block, in the list it yields once the block ends."""
    wall, cpu = time.perf_counter(), _cpu_seconds()
    spent: list[float] = []
    yield spent
    spent += [time.perf_counter() - wall, _cpu_seconds() - cpu]


@dataclass(frozen=True)
class MethodSetup:
    """What every method's process needs to set itself up: where to write, the encoder's options, the warm-up."""

    home: Path
    llama_dir: Path
    batch_size: int
    threads: int | None
    warm: Path
    warm_chunks: list[str]


class MethodProcess:
    """One method in a process of its own (spawned), as each would run for a user, so that one method's libraries,
    threads and heap (torch, llama-index, a second Chroma client) are not inside another's clock: with torch and
    llama-index loaded beside it, our ingest of the same 3,377 chunks took 155.6 s of CPU instead of 143.8 s. Set up
    and warmed before the clocks; the parent then sends it parts to run and reads back wall and CPU seconds and what
    the method returned."""

    def __init__(self, name: str, setup: MethodSetup) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(name, setup, child), daemon=True)
        self.process.start()

    def wait_ready(self) -> None:
        self._reply()

    def run(self, part: Path, chunks: list[str]) -> tuple[list[float], Any]:
        self.connection.send(("run", part, chunks))
        return self._reply()

    def finish(self, parts: list[Path]) -> tuple[float, Any]:
        """Our ingest: the unchanged slice ingested again (seconds, (chunks embedded, articles unchanged));
        llama-index: (0, chunks stored)."""
        self.connection.send(("finish", parts))
        return self._reply()

    def close(self) -> None:
        self.connection.send(("close",))
        self.process.join(timeout=60)

    def _reply(self) -> Any:
        reply = self.connection.recv()
        if isinstance(reply, BaseException):
            raise reply
        return reply


def _serve(name: str, setup: MethodSetup, connection: Any) -> None:
    """The method's process: set up, warm up (models loaded, imports done, first calls paid: our ingest's MinHash and
    BM25 libraries, each Chroma collection's first write), then run what the parent sends until it says close."""
    try:
        method = _method(name, setup)
        method.run(setup.warm, setup.warm_chunks)
        connection.send("ready")
        while (message := connection.recv())[0] != "close":
            if message[0] == "run":
                with measured() as spent:
                    result = method.run(message[1], message[2])
                connection.send((spent, result))
            else:
                connection.send(method.finish(message[1]))
    except BaseException as err:  # the parent re-raises it
        connection.send(err)


def _method(name: str, setup: MethodSetup) -> Any:
    from index.embeddings import OnnxInt8Encoder, SentenceTransformerEncoder, minilm_dir

    if name == "plain":
        return _Encoding(SentenceTransformerEncoder().encode)  # sentence-transformers' own default batch
    if name == "llama":
        return LlamaIndexDefault(str(minilm_dir()), str(setup.llama_dir))
    int8 = OnnxInt8Encoder(cache_dir=WORK / "models", batch_size=setup.batch_size, threads=setup.threads)
    if name == "int8":
        return _Encoding(int8.encode_documents)
    return _OurIngest(setup.home, int8)


@dataclass
class _Encoding:
    encode: Any

    def run(self, part: Path, chunks: list[str]) -> Any:
        return self.encode(chunks)


class _OurIngest:
    def __init__(self, home: Path, encoder: Any) -> None:
        from assistant import Assistant, Settings

        self.bot = Assistant(Settings(home=home, llm="extractive", encoder_cache=WORK / "models"), encoder=encoder)

    def run(self, part: Path, chunks: list[str]) -> int:
        return int(self.bot.ingest([part]).chunks)

    def finish(self, parts: list[Path]) -> tuple[float, tuple[int, int]]:
        with measured() as spent:
            again = self.bot.ingest(parts)
        return spent[0], (again.chunks, again.unchanged)


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def slice_run(articles: int, batch_size: int, rounds: int, threads: int | None) -> None:
    from index.embeddings import OnnxInt8Encoder

    parts = _split(write_slice(articles), rounds)
    warm = _article_after(articles)
    int8 = OnnxInt8Encoder(cache_dir=WORK / "models", batch_size=batch_size, threads=threads)
    texts = [our_chunks(part, int8) for part in parts]
    warm_chunks = our_chunks(warm, int8)
    total = sum(len(t) for t in texts)
    print(f"machine: {machine()}\nslice: first {articles} articles of {CORPUS.name}, {total} chunks, in {rounds} rounds")
    print(f"int8 encoder: batch {batch_size}, ingest batches on {int8.threads} threads (ours and int8 alone alike)")
    print("each method in a process of its own, loaded and warmed up before the clocks\n")

    clocks = {name: Clock() for name in METHODS}
    fast, reference = [], []
    with tempfile.TemporaryDirectory(dir=WORK) as home, tempfile.TemporaryDirectory(dir=WORK) as llama_dir:
        setup = MethodSetup(Path(home), Path(llama_dir), batch_size, threads, warm, warm_chunks)
        methods = {name: MethodProcess(name, setup) for name in METHODS}
        for method in methods.values():
            method.wait_ready()
        first_chunks = 0
        for n, (part, chunks) in enumerate(zip(parts, texts, strict=True)):
            # The same chunks through each method in turn, the order rotating, so a busy spell on this shared
            # machine falls on every method alike.
            for name in METHODS[n % len(METHODS) :] + METHODS[: n % len(METHODS)]:
                spent, result = methods[name].run(part, chunks)
                clocks[name].add(spent, len(chunks))
                if name == "plain":
                    reference.append(result)
                elif name == "int8":
                    fast.append(result)
                elif name == "ours":
                    first_chunks += result
        again_seconds, again = methods["ours"].finish(parts)
        stored = methods["llama"].finish(parts)[1] - len(warm_chunks)
        for method in methods.values():
            method.close()
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
        f"\nre-ingest of the unchanged slice: {again_seconds:.2f} s = {100 * again_seconds / clocks['ours'].wall:.1f}% "
        f"of the first ({again[0]} chunks embedded, {again[1]} articles unchanged)"
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

    def run(self, part: Path, texts: list[str]) -> None:
        from llama_index.core import Document, StorageContext, VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter

        VectorStoreIndex.from_documents(
            [Document(text=t) for t in texts],
            storage_context=StorageContext.from_defaults(vector_store=self.store),
            embed_model=self.embed,
            transformations=[SentenceSplitter()],
        )

    def finish(self, parts: list[Path]) -> tuple[float, int]:
        return 0.0, int(self.collection.count())


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
    parser.add_argument(
        "--batch-size",
        type=int,
        default=INT8_BATCH_SIZE,
        help=f"int8 encoder texts a run (fp32 keeps its default, {FP32_BATCH_SIZE})",
    )
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
