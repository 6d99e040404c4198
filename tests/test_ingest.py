"""Ingest on the real Chroma and the real MiniLM: incremental, all-or-nothing, offline."""

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant
from index.chunking import TokenLimit, tiktoken_limit
from index.embeddings import OnnxInt8Encoder
from index.errors import InputError, StoreError
from index.pipeline import IngestOptions, ingest
from tests.conftest import AKAZAWA_ARTICLE, DENIAL_ARTICLE


def test_second_ingest_embeds_nothing_and_an_edit_re_embeds_only_that_article(make_settings, encoder, seeds_copy: Path) -> None:
    bot = Assistant(make_settings(), encoder=encoder)
    first = bot.ingest([seeds_copy])
    assert (first.added, first.updated, first.unchanged) == (2, 0, 0)
    assert first.chunks == bot.store.count() > 0

    again = bot.ingest([seeds_copy])
    assert (again.added, again.updated, again.unchanged, again.chunks) == (0, 0, 2, 0)

    denial_chunks = bot.store.chunk_ids_of(DENIAL_ARTICLE)
    akazawa_chunks = bot.store.chunk_ids_of(AKAZAWA_ARTICLE)
    path = seeds_copy / DENIAL_ARTICLE
    path.write_text(path.read_text(encoding="utf-8") + "\nBeijing added that tariffs on soybeans would stay.\n", encoding="utf-8")
    edited = bot.ingest([seeds_copy])
    assert (edited.added, edited.updated, edited.unchanged) == (0, 1, 1)
    assert 1 <= edited.chunks <= len(denial_chunks)  # only the changed article's new chunks are embedded
    assert bot.store.chunk_ids_of(AKAZAWA_ARTICLE) == akazawa_chunks
    new_denial_chunks = bot.store.chunk_ids_of(DENIAL_ARTICLE)
    assert new_denial_chunks != denial_chunks
    assert bot.store.count() == len(akazawa_chunks) + len(new_denial_chunks)  # stale chunks are gone
    denial = bot.article(DENIAL_ARTICLE)
    assert denial is not None and "soybeans" in denial.text


def test_prune_removes_articles_whose_files_are_gone(make_settings, encoder, seeds_copy: Path) -> None:
    bot = Assistant(make_settings(), encoder=encoder)
    bot.ingest([seeds_copy])
    (seeds_copy / DENIAL_ARTICLE).unlink()
    kept = bot.ingest([seeds_copy])
    assert kept.removed == 0 and len(bot.sources()) == 2  # without --prune nothing is removed
    pruned = bot.ingest([seeds_copy], prune=True)
    assert pruned.removed == 1
    assert [a.id for a in bot.sources()] == [AKAZAWA_ARTICLE]
    assert bot.store.chunk_ids_of(DENIAL_ARTICLE) == set()
    assert all(p.meta.id == AKAZAWA_ARTICLE for p in bot.retrieve("China denies any negotiation", k=5))


def test_a_bad_file_changes_nothing_already_indexed(make_settings, encoder, seeds_copy: Path, tmp_path: Path) -> None:
    bot = Assistant(make_settings(), encoder=encoder)
    bot.ingest([seeds_copy])
    before = (bot.store.manifest(), bot.store.count(), bot.store.revision())
    (seeds_copy / DENIAL_ARTICLE).write_text("An edit that must not land.\n", encoding="utf-8")
    (seeds_copy / "zz_broken.txt").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(InputError, match=r"zz_broken\.txt: not UTF-8"):
        bot.ingest([seeds_copy])
    assert (bot.store.manifest(), bot.store.count(), bot.store.revision()) == before


def test_the_first_question_indexes_the_seeds(make_settings, encoder) -> None:
    bot = Assistant(make_settings(), encoder=encoder)
    answer = bot.ask("Who is Japan's chief negotiator?")
    assert {a.id for a in bot.sources()} == {AKAZAWA_ARTICLE, DENIAL_ARTICLE}
    assert not answer.refused


def test_ingest_and_ask_work_with_the_network_blocked(make_settings, encoder, seeds_copy: Path, no_network) -> None:
    bot = Assistant(make_settings(), encoder=encoder)
    report = bot.ingest([seeds_copy])
    answer = bot.ask("Who is Japan's chief negotiator?")
    assert report.added == 2 and "Akazawa" in answer.text
    assert no_network == []  # nothing even tried


def test_a_corrupt_data_directory_is_one_clear_error(make_settings, encoder, tmp_path: Path) -> None:
    settings = make_settings()
    settings.chroma_dir.mkdir(parents=True)
    (settings.chroma_dir / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot be opened") as caught:
        Assistant(settings, encoder=encoder).sources()
    assert "\n" not in str(caught.value)


def test_changing_chunk_settings_builds_a_separate_index(make_settings, encoder, seeds_copy: Path) -> None:
    small = Assistant(make_settings(chunk_tokens=64, chunk_overlap=8), encoder=encoder)
    default = Assistant(make_settings(), encoder=encoder)
    small.ingest([seeds_copy])
    assert default.store.count() == 0  # the default-sized index is untouched by the small one
    default.ingest([seeds_copy])
    assert small.store.count() > default.store.count()
    assert small.store.chunks.name != default.store.chunks.name
    assert small.store.chunks.metadata["built_with_chunk_tokens"] == 64


class Recording:
    """The real encoder, noting which entry point each call used; `fail_on` makes that ingest batch fail."""

    def __init__(self, inner: OnnxInt8Encoder, fail_on: int | None = None) -> None:
        self.inner, self.fail_on = inner, fail_on
        self.name, self.dimensions = inner.name, inner.dimensions
        self.calls: list[tuple[str, int]] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(("encode", len(texts)))
        return self.inner.encode(texts)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(("encode_documents", len(texts)))
        if len([c for c in self.calls if c[0] == "encode_documents"]) == self.fail_on:
            raise RuntimeError("the encoder failed on this batch")
        return self.inner.encode_documents(texts)

    def count_tokens(self, texts: list[str]) -> list[int]:
        return self.inner.count_tokens(texts)

    @property
    def max_tokens(self) -> int:
        return self.inner.max_tokens


def test_ingest_embeds_on_the_ingest_path_and_a_question_on_the_question_path(make_settings, encoder, seeds_copy: Path) -> None:
    recording = Recording(encoder)
    bot = Assistant(make_settings(), encoder=recording)
    report = bot.ingest([seeds_copy])
    assert {name for name, _ in recording.calls} == {"encode_documents"}
    assert sum(n for _, n in recording.calls) == report.chunks
    recording.calls.clear()
    bot.ask("Who is Japan's chief negotiator?")
    assert recording.calls and {name for name, _ in recording.calls} == {"encode"}


def test_a_failed_batch_leaves_the_batches_before_it_recorded_and_nothing_after(make_settings, encoder, seeds_copy: Path) -> None:
    """While one batch is embedded the one before is written: a failure in the second batch's embedding comes after
    the first batch's articles are recorded, and before anything of the second is; the next ingest finishes."""
    failing = Recording(encoder, fail_on=2)
    bot = Assistant(make_settings(), encoder=failing)
    limits = (tiktoken_limit(256), TokenLimit(encoder.name, encoder.count_tokens, encoder.max_tokens))
    options = IngestOptions(limits=limits, overlap_tokens=32, max_chars=2048, max_bytes=10**7, batch_size=1)
    with pytest.raises(RuntimeError, match="failed on this batch"):
        ingest([seeds_copy], bot.store, failing, options, bot.keyword_dir)
    assert set(bot.store.manifest()) == {AKAZAWA_ARTICLE}
    assert bot.store.chunk_ids_of(DENIAL_ARTICLE) == set()
    finished = Assistant(make_settings(), encoder=encoder).ingest([seeds_copy])
    assert (finished.added, finished.unchanged) == (1, 1)


def test_the_batches_at_either_end_of_an_ingest_are_small(make_settings, encoder, tmp_path: Path) -> None:
    """Nothing overlaps the first batch's chunking or the last batch's write: those are small, the rest full."""
    corpus = tmp_path / "one-chunk-articles.jsonl"
    corpus.write_text(
        "".join(
            json.dumps(
                {
                    "id": f"council-{i}",
                    "title": f"Council {i}",
                    "text": f"The council of town {i} voted on {3 * i} new harbour rules.",
                }
            )
            + "\n"
            for i in range(21)
        ),
        encoding="utf-8",
    )
    recording = Recording(encoder)
    bot = Assistant(make_settings(), encoder=recording)
    limits = (tiktoken_limit(256), TokenLimit(encoder.name, encoder.count_tokens, encoder.max_tokens))
    options = IngestOptions(limits=limits, overlap_tokens=32, max_chars=2048, max_bytes=10**7, batch_size=8, edge_batch_size=2)
    report = ingest([corpus], bot.store, recording, options, bot.keyword_dir)
    assert report.chunks == bot.store.count() == 21  # one chunk an article
    assert [n for _, n in recording.calls] == [2, 8, 8, 2, 1]
    assert set(bot.store.manifest()) == {f"council-{i}" for i in range(21)}


def test_a_chunks_text_is_stored_among_its_metadata_and_older_chunks_with_a_document_still_read(
    make_settings, encoder, seeds_copy: Path
) -> None:
    """Chunks go to Chroma with their text in the metadata, not as the document (which Chroma would also index for a
    full-text search nothing uses); a chunk stored by an earlier version, its text as the document, reads the same."""
    from index.store import CHUNK_TEXT

    bot = Assistant(make_settings(), encoder=encoder)
    bot.ingest([seeds_copy])
    stored = bot.store.chunks.get(include=["documents", "metadatas", "embeddings"])
    documents, metadatas, vectors = stored["documents"], stored["metadatas"], stored["embeddings"]
    assert documents is not None and metadatas is not None and vectors is not None
    assert stored["ids"] and all(doc is None for doc in documents)
    first = {key: value for key, value in metadatas[0].items() if key != CHUNK_TEXT}
    text = str(metadatas[0][CHUNK_TEXT])
    chunk = bot.store.get_chunks([stored["ids"][0]])[0]
    assert text and chunk.text == text

    bot.store.chunks.upsert(ids=["older"], embeddings=np.asarray(vectors[:1]), documents=[text], metadatas=[first])
    older = bot.store.get_chunks(["older"])[0]
    assert older.text == text and older.start == first["start"] and older.meta.id == first["article_id"]
    assert {c.id: c.text for c in bot.store.iter_chunks()}["older"] == text

    bot.store.update_chunk_metadata([replace(chunk, meta=replace(chunk.meta, story="s1"))])
    updated = bot.store.get_chunks([chunk.id])[0]
    assert updated.meta.story == "s1" and updated.text == text  # a metadata update keeps the text beside it
