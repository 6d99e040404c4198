"""An emptied, cut-short or deleted store is refused in one line, never recreated over (the seeds re-indexed on
the first question used to wipe every other article without a word)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from index.errors import StoreError
from index.integrity import MARKER_FILE, SQLITE_FILE
from index.store import SEARCH_EF, ChunkStore
from tests.conftest import REPO, SEEDS

EXTRA = "zz_extra.txt"


@pytest.fixture
def indexed(make_settings, encoder, seeds_copy: Path) -> Settings:
    """A data directory holding the seeds and one more article, which re-indexing the seeds would lose."""
    (seeds_copy / EXTRA).write_text("Harbour Notes\n\nThe ferry to the island resumed service on Monday.\n", encoding="utf-8")
    settings = make_settings()
    report = Assistant(settings, encoder=encoder).ingest([seeds_copy])
    assert report.added == 3
    return settings


def ask_in_cli(settings: Settings) -> tuple[int, str]:
    """`assistant ask` as a new process, as a user runs it: Chroma keeps open stores per process, which would hide
    what a fresh process makes of the damaged folder."""
    env = os.environ | {"ASSISTANT_HOME": str(settings.home), "ASSISTANT_SEEDS_DIR": str(SEEDS), "ASSISTANT_LLM": "extractive"}
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", "Who is Japan's chief negotiator?"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=300,
    )
    return done.returncode, done.stderr


def assert_one_line(stderr: str, fragment: str) -> None:
    assert stderr.count("\n") == 1 and stderr.startswith("error: "), stderr  # one line, no traceback
    assert fragment in stderr


def test_a_zero_byte_store_is_refused_and_left_as_it_is(indexed: Settings) -> None:
    db = indexed.chroma_dir / SQLITE_FILE
    db.write_bytes(b"")
    code, stderr = ask_in_cli(indexed)
    assert code == 1
    assert_one_line(stderr, "is empty (0 bytes)")
    assert db.stat().st_size == 0  # not recreated, nothing re-indexed over it


def test_a_truncated_store_is_refused(indexed: Settings) -> None:
    db = indexed.chroma_dir / SQLITE_FILE
    size = db.stat().st_size
    with db.open("r+b") as handle:
        handle.truncate(size // 2)
    code, stderr = ask_in_cli(indexed)
    assert code == 1
    assert_one_line(stderr, "is cut short")
    assert db.stat().st_size == size // 2


def test_a_store_whose_sqlite_file_vanished_is_refused(indexed: Settings) -> None:
    (indexed.chroma_dir / SQLITE_FILE).unlink()
    code, stderr = ask_in_cli(indexed)
    assert code == 1
    assert_one_line(stderr, f"has lost its {SQLITE_FILE}")
    assert not (indexed.chroma_dir / SQLITE_FILE).exists()


def test_a_store_whose_articles_were_deleted_is_refused(indexed: Settings, encoder) -> None:
    bot = Assistant(indexed, encoder=encoder)
    name = bot.store.articles.name
    bot.store.client.delete_collection(name)  # what a reset, a stray tool or a restored empty file leaves
    with pytest.raises(StoreError, match="held 3 articles and now holds none") as caught:
        Assistant(indexed, encoder=encoder).ask("Who is Japan's chief negotiator?")
    assert "\n" not in str(caught.value)
    assert name not in [c.name for c in bot.store.client.list_collections()]  # not recreated


def test_a_new_home_is_created_and_an_older_one_gets_its_marker(make_settings, encoder, seeds_copy: Path) -> None:
    settings = make_settings()
    bot = Assistant(settings, encoder=encoder)
    assert bot.sources() == []  # a new data directory is no error
    assert (settings.chroma_dir / MARKER_FILE).exists()
    bot.ingest([seeds_copy])
    (settings.chroma_dir / MARKER_FILE).unlink()  # a data directory from before the marker
    assert len(Assistant(settings, encoder=encoder).sources()) == 2
    assert '"articles"' in (settings.chroma_dir / MARKER_FILE).read_text()


def test_a_pruned_empty_index_is_not_mistaken_for_an_emptied_store(make_settings, encoder, seeds_copy: Path, tmp_path) -> None:
    settings = make_settings()
    Assistant(settings, encoder=encoder).ingest([seeds_copy])
    only = tmp_path / "only"
    only.mkdir()
    (only / "one.txt").write_text("One Story\n\nA short article about ferries.\n", encoding="utf-8")
    report = Assistant(settings, encoder=encoder).ingest([only], prune=True)
    assert report.removed == 2
    assert [a.id for a in Assistant(settings, encoder=encoder).sources()] == ["one.txt"]


def test_the_chunks_are_searched_broadly_in_a_new_index_and_in_one_made_before(indexed: Settings, encoder) -> None:
    # At Chroma's default breadth (100) an HNSW search missed true neighbours, and which it missed changed from one
    # process to the next, so two runs of one eval could answer a question differently (index/store.py, SEARCH_EF).
    store = Assistant(indexed, encoder=encoder).store
    assert search_ef(store) == SEARCH_EF
    store.chunks.modify(configuration={"hnsw": {"ef_search": 100}})  # as an index made before SEARCH_EF was
    assert search_ef(store) == 100
    assert search_ef(ChunkStore(store.client, store.fingerprint, store.embedded_dir)) == SEARCH_EF


def search_ef(store: ChunkStore) -> object:
    return (store.chunks.configuration.get("hnsw") or {}).get("ef_search")
