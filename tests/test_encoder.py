"""The fast int8 encoder: made from the packaged weights, faithful to fp32, cached safely; and a question path
that loads only what it uses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant, Settings
from index.chunking import TokenLimit, chunk_text, tiktoken_limit
from index.cleaning import clean_text
from index.embeddings import OnnxInt8Encoder, SentenceTransformerEncoder, make_encoder, similar_length_batches
from index.errors import StoreError
from index.loaders import iter_articles
from index.onnx_export import FILE_NAME, _intact, ensure_quantized_model, sha256_of
from tests.conftest import REPO, SEEDS

pytestmark = pytest.mark.slow


def seed_chunks(encoder: OnnxInt8Encoder) -> list[str]:
    limits = (tiktoken_limit(256), TokenLimit("minilm", encoder.count_tokens, encoder.max_tokens))
    files = sorted(SEEDS.iterdir())
    return [c.text for a in iter_articles(files, max_bytes=10**7) for c in chunk_text(a.id, clean_text(a.text), limits, 32)]


def test_int8_vectors_agree_with_fp32_and_rank_the_same(encoder: OnnxInt8Encoder) -> None:
    texts = [*seed_chunks(encoder), "Who is Japan's chief negotiator?", "China denies trade talks with the U.S."]
    fast, reference = encoder.encode(texts), SentenceTransformerEncoder().encode(texts)
    assert fast.shape == reference.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-4)
    cosines = np.sum(fast * reference, axis=1)
    assert cosines.mean() > 0.99 and cosines.min() > 0.98, cosines
    # The question finds the same best chunk with either encoder.
    chunks = len(texts) - 2
    assert np.argmax(fast[:chunks] @ fast[-2]) == np.argmax(reference[:chunks] @ reference[-2])


def test_batches_hold_texts_of_nearly_one_length_and_every_text_once() -> None:
    lengths = [56, 20, 256, 25, 256, 21, 256]
    batches = similar_length_batches(lengths, batch_size=2)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    assert all(len(batch) <= 2 and max(lengths[i] for i in batch) <= 1.1 * min(lengths[i] for i in batch) for batch in batches)
    assert [1, 5] in batches and [2, 4] in batches  # 20 and 21 share a batch, as do two full-length chunks


def test_a_text_gets_the_same_vector_alone_and_among_others(encoder: OnnxInt8Encoder) -> None:
    texts = ["Who is Japan's chief negotiator?", "Tariffs.", "China said it was weighing an offer of talks from the U.S."]
    together = encoder.encode(texts)
    alone = np.vstack([encoder.encode([text]) for text in texts])
    assert np.allclose(together, alone, atol=1e-5)


def test_int8_and_fp32_build_separate_indexes(tmp_path: Path, encoder: OnnxInt8Encoder) -> None:
    int8 = Assistant(Settings(home=tmp_path, encoder="int8", encoder_cache=encoder.cache_dir))
    fp32 = Assistant(Settings(home=tmp_path, encoder="fp32"))
    assert int8.encoder.name != fp32.encoder.name
    assert int8.fingerprint.digest != fp32.fingerprint.digest  # so their vectors never share a collection


def test_export_from_the_packaged_weights_is_cached_and_checked(tmp_path: Path) -> None:
    cache = tmp_path / "models"
    made = OnnxInt8Encoder(cache_dir=cache).model_path()
    assert made == cache / FILE_NAME
    record = json.loads(made.with_suffix(".json").read_text())
    assert record["sha256"] == sha256_of(made)
    stamp = made.stat().st_mtime_ns
    again = make_encoder("int8", cache_dir=cache)
    assert again.encode(["a question"]).shape == (1, 384) and made.stat().st_mtime_ns == stamp  # reused, not redone

    with made.open("r+b") as handle:  # a copy cut short, as by a full disk, is not trusted
        handle.truncate(made.stat().st_size // 2)
    assert not _intact(made)


def test_an_unusable_cache_folder_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(StoreError, match="cannot create the model cache"):
        ensure_quantized_model(blocker / "models", Path("/nonexistent"), lambda path, texts: pytest.fail("nothing to check"))


def test_the_first_export_of_the_int8_encoder_prints_nothing(tmp_path: Path) -> None:
    """The export runs under a user's first `ask` or `ingest`: transformers' "Loading weights" bar and onnxruntime's
    advice are not for them."""
    script = (
        "from pathlib import Path\n"
        "from index.embeddings import OnnxInt8Encoder\n"
        f"print(OnnxInt8Encoder(cache_dir=Path({str(tmp_path)!r})).encode(['Who leads the talks?']).shape)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300, env=os.environ)
    assert done.returncode == 0 and done.stdout.strip() == "(1, 384)", done.stderr
    assert done.stderr == "" and (tmp_path / FILE_NAME).is_file()


def test_a_question_loads_neither_llama_index_nor_torch(seeded: Assistant) -> None:
    """A cold `ask` stays fast by importing only what answering uses (llama_index.core alone takes over a second)."""
    home, cache = str(seeded.settings.home), os.environ["ASSISTANT_ENCODER_CACHE"]
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from assistant import Assistant, Settings\n"
        f"bot = Assistant(Settings(home=Path({home!r}), llm='extractive', encoder_cache=Path({cache!r})))\n"
        'answer = bot.ask("Who is Japan\'s chief negotiator?")\n'
        "assert not answer.refused\n"
        "print(sorted(m for m in ('llama_index.core', 'torch', 'sentence_transformers', 'transformers') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120, env=os.environ)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_questions_embed_on_one_thread_and_ingest_batches_on_the_encoders_threads(encoder: OnnxInt8Encoder) -> None:
    """The caller says which: `encode` (a question, an answer's sentences) runs its batches one after another on the
    calling thread, whatever the input's size; `encode_documents` (ingest) runs `threads` batches at once, each on
    one thread of the same one-thread session; the vectors are the same."""
    probe = OnnxInt8Encoder(cache_dir=encoder.cache_dir, threads=2, batch_size=2)
    texts = seed_chunks(probe)
    assert len(texts) >= 4  # several batches
    running: list[str] = []
    at_once: list[int] = []
    real_run = probe._encode_batch

    def watched(batch: list[list[int]]) -> np.ndarray:
        running.append(threading.current_thread().name)
        at_once.append(len(running) - len([n for n in running if n == "done"]) * 2)
        try:
            time.sleep(0.05)  # long enough for a second batch to start beside this one, if it will
            return real_run(batch)
        finally:
            running.append("done")

    probe._encode_batch = watched  # type: ignore[method-assign]
    asked = probe.encode(texts)
    assert set(running) - {"done"} == {threading.current_thread().name} and max(at_once) == 1
    assert probe.session.get_session_options().intra_op_num_threads == 1
    running.clear()
    at_once.clear()
    indexed = probe.encode_documents(texts)
    workers = set(running) - {"done"}
    assert len(workers) == 2 and all(name.startswith("encoder") for name in workers) and max(at_once) == 2
    assert np.array_equal(asked, indexed)  # the same batches, so the same vectors
    assert OnnxInt8Encoder(cache_dir=encoder.cache_dir).threads == os.cpu_count()  # all cores by default


def test_the_encoder_threads_setting_reaches_the_encoder(tmp_path: Path, encoder: OnnxInt8Encoder) -> None:
    chosen = Assistant(Settings(home=tmp_path, encoder_cache=encoder.cache_dir, encoder_threads=3)).encoder
    default = Assistant(Settings(home=tmp_path, encoder_cache=encoder.cache_dir)).encoder
    assert isinstance(chosen, OnnxInt8Encoder) and isinstance(default, OnnxInt8Encoder)
    assert (chosen.threads, default.threads) == (3, os.cpu_count())


def test_an_int8_vector_does_not_depend_on_the_texts_embedded_beside_it(encoder) -> None:
    """int8 activations are quantized per model run: the default runs one text at a time, so an ingest may batch a
    chunk with any others (a run after a kill, a small first batch) and still store the same vector. Sixteen a run,
    the vectors of texts of one length (so run together) move."""
    texts = [
        "Japan's chief trade negotiator met his counterpart in Washington on Friday to talk about tariffs.",
        "Shares of the carmaker fell three percent after it cut its forecast for the year on weak demand.",
        "The harbour council voted on Tuesday to close the old pier to cruise ships from the end of June.",
    ]
    alone = np.vstack([encoder.encode_documents([t]) for t in texts])
    assert encoder.batch_size == 1
    np.testing.assert_array_equal(encoder.encode_documents(texts), alone)
    sixteen = OnnxInt8Encoder(cache_dir=Path(os.environ["ASSISTANT_ENCODER_CACHE"]), batch_size=16)
    assert len(similar_length_batches([len(i) for i in sixteen.tokenizer.encode_batch_fast(texts)], 16)) == 1
    assert not np.array_equal(sixteen.encode_documents(texts), np.vstack([sixteen.encode_documents([t]) for t in texts]))
