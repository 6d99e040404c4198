"""Ingest on the real Chroma and the real MiniLM: incremental, all-or-nothing, offline."""

from pathlib import Path

import pytest

from assistant import Assistant
from index.errors import InputError, StoreError
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
