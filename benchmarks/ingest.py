"""Ingest speed: our pipeline beside llama-index's default and plain sentence-transformers, in one run.

Slice mode (default): the first N articles of RealTime QA 2024h1 are cut into our chunks, and on those
same chunk texts this measures, in one process, one after another:
  - plain fp32 `SentenceTransformer.encode` of the packaged all-MiniLM-L6-v2 (the anchor);
  - llama-index's default `VectorStoreIndex.from_documents` (HuggingFaceEmbedding of the same packaged model,
    into a Chroma collection; one Document per chunk, so its default splitter keeps each one whole);
  - our whole ingest of the slice file (read, clean, chunk, embed int8, write Chroma, manifest, BM25);
  - re-ingesting the unchanged slice; and the mean cosine between int8 and fp32 vectors of the chunks.
Full mode (--full): the whole corpus through our ingest into a fresh index, with resident memory along the
way and at its peak, then a re-ingest of the unchanged corpus.

    flock /tmp/heavy.lock .venv/bin/python benchmarks/ingest.py --articles 120
    flock /tmp/heavy.lock .venv/bin/python benchmarks/ingest.py --full
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import numpy as np
from _common import CORPUS, WORK, Timer, machine, our_chunks, rss_mb, table, write_slice


def slice_run(articles: int, batch_size: int) -> None:
    from assistant import Assistant, Settings
    from index.embeddings import OnnxInt8Encoder, SentenceTransformerEncoder, minilm_dir

    path = write_slice(articles)
    int8 = OnnxInt8Encoder(cache_dir=WORK / "models", batch_size=batch_size)
    fp32 = SentenceTransformerEncoder()  # sentence-transformers' own default batch, 32
    texts = our_chunks(path, int8)
    int8.encode(texts[:4]), fp32.encode(texts[:4])  # models loaded before any clock starts
    print(f"machine: {machine()}\nslice: first {articles} articles of {CORPUS.name}, {len(texts)} chunks\n")

    with Timer() as plain:
        reference = fp32.encode(texts)
    with Timer() as llama:
        nodes = _llama_index_default(texts, str(minilm_dir()))
    with Timer() as int8_only:
        fast = int8.encode(texts)
    with tempfile.TemporaryDirectory(dir=WORK) as home:
        bot = Assistant(Settings(home=Path(home), llm="extractive", encoder_cache=WORK / "models"), encoder=int8)
        first = bot.ingest([path])
        again = bot.ingest([path])
    cosines = np.sum(fast * reference, axis=1)

    ours = first.chunks / first.seconds
    rows = [
        ("ingest of the same chunks", "chunks", "seconds", "chunks/s", "vs llama-index default", "vs plain fp32 encode"),
        (
            "plain SentenceTransformer.encode, fp32",
            str(len(texts)),
            f"{plain.seconds:.1f}",
            f"{len(texts) / plain.seconds:.1f}",
            "",
            "1.00x",
        ),
        (
            "llama-index VectorStoreIndex.from_documents",
            str(nodes),
            f"{llama.seconds:.1f}",
            f"{nodes / llama.seconds:.1f}",
            "1.00x",
            f"{(nodes / llama.seconds) / (len(texts) / plain.seconds):.2f}x",
        ),
        (
            "our ingest (int8, end to end)",
            str(first.chunks),
            f"{first.seconds:.1f}",
            f"{ours:.1f}",
            f"{ours / (nodes / llama.seconds):.2f}x",
            f"{ours / (len(texts) / plain.seconds):.2f}x",
        ),
        (
            "int8 encode alone",
            str(len(texts)),
            f"{int8_only.seconds:.1f}",
            f"{len(texts) / int8_only.seconds:.1f}",
            f"{(len(texts) / int8_only.seconds) / (nodes / llama.seconds):.2f}x",
            f"{(len(texts) / int8_only.seconds) / (len(texts) / plain.seconds):.2f}x",
        ),
    ]
    print(table(rows))
    print(
        f"\nre-ingest of the unchanged slice: {again.seconds:.2f} s = {100 * again.seconds / first.seconds:.1f}% of the first "
        f"({again.chunks} chunks embedded, {again.unchanged} articles unchanged)"
    )
    print(f"mean cosine int8 vs fp32 over the {len(texts)} chunks: {float(cosines.mean()):.4f} (min {float(cosines.min()):.4f})")


def _llama_index_default(texts: list[str], model_dir: str) -> int:
    """llama-index's defaults, models passed explicitly: HuggingFaceEmbedding, SentenceSplitter, Chroma."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import Document, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    embed = HuggingFaceEmbedding(model_name=model_dir, device="cpu")
    embed.get_text_embedding("warm up")  # loaded before the clock, like the others (from_documents is what is timed)
    with tempfile.TemporaryDirectory(dir=WORK) as folder:
        client = chromadb.PersistentClient(path=folder, settings=ChromaSettings(anonymized_telemetry=False))
        store = ChromaVectorStore(chroma_collection=client.get_or_create_collection("llama_default"))
        index = VectorStoreIndex.from_documents(
            [Document(text=t) for t in texts],
            storage_context=StorageContext.from_defaults(vector_store=store),
            embed_model=embed,
            transformations=[SentenceSplitter()],  # its default splitter (1024 tokens): our chunks stay whole
        )
        count = int(store._collection.count())
        del index
    return count


def full_run(batch_size: int) -> None:
    from assistant import Assistant, Settings
    from index.embeddings import OnnxInt8Encoder

    home = WORK / "full-int8"
    shutil.rmtree(home, ignore_errors=True)  # a first ingest is what is measured
    print(f"machine: {machine()}\ncorpus: all of {CORPUS} into {home}\n")
    encoder = OnnxInt8Encoder(cache_dir=WORK / "models", batch_size=batch_size)
    encoder.encode(["warm up"])
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
    parser.add_argument("--full", action="store_true", help="ingest the whole corpus: time, memory, re-ingest")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    if args.full:
        full_run(args.batch_size)
    else:
        slice_run(args.articles, args.batch_size)


if __name__ == "__main__":
    main()
