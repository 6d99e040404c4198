"""Shared pieces of the benchmark scripts: the RealTime QA files, slices of them, our chunks, memory and timing.

Every script measures its figures and the anchors it compares them with in the same run, on the same
machine, and prints ratios; nothing here is a timed test.
"""

from __future__ import annotations

import gzip
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # `python benchmarks/x.py` from anywhere
    sys.path.insert(0, str(REPO))

from index.cores import usable_cores  # noqa: E402  (after the path above)

DATA = Path(os.environ.get("RTQA_DIR", REPO.parent / "shared" / "data" / "realtimeqa-2024h1"))
CORPUS = DATA / "corpus.jsonl.gz"
QUESTIONS = DATA / "questions.jsonl"
WORK = Path(os.environ.get("BENCH_DIR", REPO / "artifacts" / "bench"))  # indexes and slices live here (git-ignored)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


SIMD_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_int8")


def machine() -> str:
    """The CPU with the vector instructions int8 and fp32 speed depend on: machines of one kind differ here (issue 14's
    reported AVX-512 VNNI and BF16; the one these figures were measured on reports AVX2 only)."""
    cpu, flags = "?", set[str]()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and cpu == "?":
                cpu = line.split(":", 1)[1].strip()
            elif line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    simd = " ".join(f for f in SIMD_FLAGS if f in flags) or "?"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    cores = f"{usable_cores()} of {os.cpu_count()} cores"
    return f"{cpu} ({simd}), {cores}, Python {platform.python_version()}, load average {load:.2f} at start"


def iter_corpus(path: Path = CORPUS) -> Iterator[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def write_slice(articles: int, path: Path | None = None) -> Path:
    """The first `articles` articles of the corpus as a corpus JSONL (rewritten only when missing)."""
    path = path or WORK / f"slice-{articles}.jsonl"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as out:
            for n, article in enumerate(iter_corpus()):
                if n >= articles:
                    break
                out.write(json.dumps(article, ensure_ascii=False) + "\n")
    return path


def our_chunks(path: Path, encoder: Any, chunk_tokens: int = 256, overlap: int = 32) -> list[str]:
    """The chunk texts our ingest makes of a corpus file (same cleaning, same limits)."""
    from index.chunking import TokenLimit, chunk_text, tiktoken_limit
    from index.cleaning import clean_text
    from index.loaders import iter_articles

    limits = (tiktoken_limit(chunk_tokens), TokenLimit(name=encoder.name, count=encoder.count_tokens, limit=encoder.max_tokens))
    texts: list[str] = []
    for article in iter_articles([path], max_bytes=1 << 31):
        cleaned = clean_text(article.text)
        if cleaned:
            texts += [c.text for c in chunk_text(article.id, cleaned, limits, overlap)]
    return texts


def varied(text: str, vocabulary: list[str], rng: Any, every: int = 20) -> str:
    """The text with one word in `every` replaced by a word drawn from `vocabulary` (made-up copies of a corpus)."""
    words = text.split()
    for _ in range(max(1, len(words) // every)):
        words[rng.randrange(len(words))] = rng.choice(vocabulary)
    return " ".join(words)


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB, from /proc."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", float("nan")), fields.get("VmHWM", float("nan"))


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p95) of samples."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
