"""The keyword index updated in place: after chunks are added, removed or re-ingested it ranks and scores exactly as
an index built whole from the same chunks, it scores as bm25s did, and it is saved and read back a segment at a time."""

from __future__ import annotations

import logging
import random
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import index.keyword as keyword
import index.store as store_module
from assistant import Assistant
from index.keyword import KeywordFilter, KeywordIndex, Row, keyword_rows, tokenize
from index.pipeline import refresh_keyword_index
from index.store import changes_between
from tests.conftest import AKAZAWA_ARTICLE, DENIAL_ARTICLE

QUESTIONS = [
    "Who is Japan's chief negotiator?",
    "China denies trade talks with the United States",
    "tariffs on soybeans",
    "harbour bridge mayor",
    "the of and",  # stop words only: no terms
]
WORDS = (
    "trade tariff negotiator harbour bridge mayor election court ruling storm ferry island budget minister bank "
    "rates inflation soybean export import talks deal summit missile border vote senate"
).split()


def made_up_rows(n: int, seed: int = 1) -> list[Row]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(3, 40))]
        rows.append((f"chunk-{i}", " ".join(words), 20240101 + i % 28, ("Reuters", "AP", "CNN")[i % 3]))
    return rows


def assert_same_ranking(updated: KeywordIndex, fresh: KeywordIndex, where: KeywordFilter | None = None) -> None:
    assert updated.chunk_ids() == fresh.chunk_ids()
    assert updated.count == fresh.count and updated.total_length == fresh.total_length
    for question in [*QUESTIONS, *WORDS[:8], "trade deal tariff talks", "storm ferry island ferry"]:
        got = updated.search(question, 1000, where)
        want = fresh.search(question, 1000, where)
        assert {h.chunk_id: h.score for h in got} == {h.chunk_id: h.score for h in want}, question  # exactly
        assert [h.score for h in got] == [h.score for h in want], question  # the same order of scores


def test_updates_score_exactly_as_a_whole_build_through_adds_removals_re_adds_and_merges(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(keyword, "MAX_SEGMENTS", 4)  # merges of the newest segments happen within the run
    rows = made_up_rows(400)
    by_id = {row[0]: row for row in rows}
    rng = random.Random(7)
    present = [row[0] for row in rows[:150]]
    index = KeywordIndex.build(rows[:150], "r0")
    waiting = [row[0] for row in rows[150:]]
    whole_merges = tail_merges = 0
    for step in range(40):
        added = [waiting.pop() for _ in range(min(len(waiting), rng.randint(0, 15)))]
        removed = rng.sample(present, min(len(present), rng.randint(0, 12)))
        re_added = removed[:2] if step % 3 == 0 else []  # an article removed and ingested again
        segments = len(index.segments)
        index = index.updated([by_id[c] for c in added + re_added], removed, f"r{step + 1}")
        whole_merges += len(index.segments) == 1 and segments > 1
        tail_merges += 1 < len(index.segments) < segments
        present = [c for c in present if c not in set(removed)] + added + re_added
        fresh = KeywordIndex.build([by_id[c] for c in present], "fresh")
        assert_same_ranking(index, fresh)
        assert_same_ranking(index, fresh, KeywordFilter(since_day=20240110, sources=("AP", "CNN")))
        assert index.revision == f"r{step + 1}"
    assert whole_merges and tail_merges  # both kinds of merge were exercised


def test_a_compound_of_letters_is_found_however_an_outlet_hyphenates_it() -> None:
    # "ceasefire talks in Gaza" ranked none of the articles that write "cease-fire" (AP style) in its BM25 top 10
    rows: list[Row] = [
        ("hyphen", "Gaza cease-fire talks resumed in Cairo.", 20240611, ""),
        ("joined", "Gaza ceasefire talks resumed in Doha.", 20240612, ""),
        ("other", "Fire crews talk about a forest fire.", 20240612, ""),
        ("number", "Covid 19 figures and the 2023-24 season.", 20240612, ""),
    ]
    built = KeywordIndex.build(rows, "r")
    for question in ("ceasefire in Gaza", "cease-fire in Gaza"):
        assert {h.chunk_id for h in built.search(question, 2)} == {"hyphen", "joined"}, question
    assert built.search("forest fire", 3)[0].chunk_id == "other"  # the parts are still words of their own
    assert "202324" not in tokenize(["the 2023-24 season"])[0]  # numbers are not joined


def test_scores_are_bm25s_scores() -> None:
    """The scorer this index had before (bm25s' default "lucene" BM25): the same scores, to float32 precision."""
    import bm25s

    rows = made_up_rows(300, seed=3)
    ours = KeywordIndex.build(rows, "r")
    reference = bm25s.BM25()
    reference.index(tokenize([text for _, text, _, _ in rows]), show_progress=False)
    for question in ["trade deal tariff talks", "mayor", "storm ferry island ferry", "senate vote border"]:
        words = tokenize([question])[0]
        want = reference.get_scores(words)
        got = ours.scores(Counter(ours.vocabulary[w] for w in words if w in ours.vocabulary))
        assert np.allclose(got, want, rtol=1e-5, atol=1e-5), question


def test_saved_a_segment_at_a_time_and_read_back(tmp_path: Path) -> None:
    rows = made_up_rows(200)
    first = KeywordIndex.build(rows[:150], "r1")
    first.save(tmp_path)
    loaded = KeywordIndex.load(tmp_path)
    assert loaded is not None and loaded.revision == "r1"
    assert_same_ranking(loaded, first)

    second = loaded.updated(rows[150:], ["chunk-3", "chunk-4"], "r2")
    second.save(tmp_path)
    assert KeywordIndex.saved_revision(tmp_path) == "r2"
    again = KeywordIndex.load(tmp_path, reuse=loaded)
    assert again is not None and again.segments[0] is loaded.segments[0]  # only the new segment was read
    assert_same_ranking(again, KeywordIndex.build([r for r in rows if r[0] not in {"chunk-3", "chunk-4"}], "x"))
    assert len([p for p in tmp_path.iterdir() if p.name.startswith("seg-")]) == 2

    (tmp_path / "state.json").write_text('{"revision": "old", "ids": []}')  # an index of the former format
    assert KeywordIndex.load(tmp_path) is None and KeywordIndex.saved_revision(tmp_path) is None


def test_a_saved_index_that_cannot_be_read_is_not_used_and_the_reason_is_logged_for_debugging(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="index.keyword")
    assert KeywordIndex.load(tmp_path) is None and caplog.messages == []  # no index yet: nothing to say
    KeywordIndex.build(made_up_rows(20), "r1").save(tmp_path)
    segment = next(p for p in tmp_path.iterdir() if p.name.startswith("seg-"))
    (segment / "meta.json").write_bytes(b"\xff\xfe garbage")
    assert KeywordIndex.load(tmp_path) is None
    assert caplog.messages == [f"keyword index in {tmp_path} unreadable (UnicodeDecodeError); built anew"]
    caplog.clear()
    shutil.rmtree(segment)
    assert KeywordIndex.load(tmp_path) is None
    assert caplog.messages == [f"keyword index in {tmp_path} lost {segment / 'meta.json'} while being read; built anew"]


def fresh_from_chroma(bot: Assistant) -> KeywordIndex:
    return KeywordIndex.build(keyword_rows(bot.store.iter_chunks()), bot.store.revision())


def test_after_ingests_the_index_is_updated_not_rebuilt_and_ranks_like_a_fresh_build(
    make_settings, encoder, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = Assistant(make_settings(keyword_refresh_seconds=0), encoder=encoder)
    bot.ingest([seeds_copy])
    first = bot._keyword_index()
    assert_same_ranking(first, fresh_from_chroma(bot))

    whole_builds: list[int] = []
    real_build = KeywordIndex.build.__func__  # type: ignore[attr-defined]

    def counted_build(cls: type[KeywordIndex], rows, revision: str) -> KeywordIndex:
        whole_builds.append(1)
        return real_build(cls, rows, revision)

    quokka, denial = seeds_copy / "zz_quokka.txt", seeds_copy / DENIAL_ARTICLE

    def add() -> None:
        quokka.write_text(
            "Quokkaville elects a new mayor\n\nThe town of Quokkaville elected Mirela Santangelo as its mayor on "
            "Tuesday. She promised to rebuild the harbour bridge before the winter storms.\n",
            encoding="utf-8",
        )
        assert bot.ingest([seeds_copy]).added == 1

    def edit() -> None:  # re-ingested: its new chunks in, its stale ones out
        denial.write_text(denial.read_text(encoding="utf-8") + "\nBeijing said soybean tariffs stay.\n", encoding="utf-8")
        assert bot.ingest([seeds_copy]).updated == 1

    def remove() -> None:
        quokka.unlink()
        assert bot.ingest([seeds_copy], prune=True).removed == 1

    monkeypatch.setattr(KeywordIndex, "build", classmethod(counted_build))
    for change in (add, edit, remove):
        change()
        fresh = fresh_from_chroma(bot)
        in_memory = bot._keyword_index()
        assert in_memory.revision == bot.store.revision()
        assert_same_ranking(in_memory, fresh)
        saved = KeywordIndex.load(bot.keyword_dir)  # what the next process reads
        assert saved is not None and saved.revision == in_memory.revision
        assert_same_ranking(saved, fresh)
        whole_builds.pop()  # fresh_from_chroma's own
    assert whole_builds == []  # every change was applied to the index in place
    assert bot.retrieve("soybean tariffs Beijing", mode="keyword")[0].meta.id == DENIAL_ARTICLE
    assert all(p.meta.id != "zz_quokka.txt" for p in bot.retrieve("Quokkaville mayor Santangelo", mode="keyword"))


def test_a_client_a_few_revisions_behind_catches_up_from_chroma(
    make_settings, encoder, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two Assistants on one store with separate keyword caches: the one that did not ingest is updated from what it
    holds (not from the other's saved copy), through several revisions at once."""
    writer = Assistant(make_settings(keyword_refresh_seconds=0), encoder=encoder)
    (seeds_copy / DENIAL_ARTICLE).rename(seeds_copy.parent / DENIAL_ARTICLE)
    writer.ingest([seeds_copy])
    reader = Assistant(writer.settings, encoder=encoder)
    held = refresh_keyword_index(reader.store, reader.keyword_dir.with_name("reader"))
    assert held.chunk_ids() == writer.store.chunk_ids_of(AKAZAWA_ARTICLE)
    (seeds_copy.parent / DENIAL_ARTICLE).rename(seeds_copy / DENIAL_ARTICLE)
    writer.ingest([seeds_copy])
    (seeds_copy / AKAZAWA_ARTICLE).unlink()
    writer.ingest([seeds_copy], prune=True)
    monkeypatch.setattr(reader.store, "iter_chunks", lambda: pytest.fail("read every chunk instead of the new ones"))
    monkeypatch.setattr(reader.store, "all_chunk_ids", lambda: pytest.fail("listed every id: the journal covers this"))
    caught_up = refresh_keyword_index(reader.store, reader.keyword_dir.with_name("reader"), held)
    assert caught_up.revision == writer.store.revision()
    assert_same_ranking(caught_up, fresh_from_chroma(writer))


def test_a_client_further_behind_than_the_journal_lists_every_id(
    make_settings, encoder, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "JOURNAL_STEPS", 1)
    writer = Assistant(make_settings(keyword_refresh_seconds=0), encoder=encoder)
    (seeds_copy / DENIAL_ARTICLE).rename(seeds_copy.parent / DENIAL_ARTICLE)
    writer.ingest([seeds_copy])
    reader = Assistant(writer.settings, encoder=encoder)
    held = refresh_keyword_index(reader.store, reader.keyword_dir.with_name("reader"))
    (seeds_copy.parent / DENIAL_ARTICLE).rename(seeds_copy / DENIAL_ARTICLE)
    writer.ingest([seeds_copy])
    (seeds_copy / AKAZAWA_ARTICLE).unlink()
    writer.ingest([seeds_copy], prune=True)  # the journal keeps this step only
    listings: list[int] = []
    list_ids = reader.store.all_chunk_ids

    def counted_listing() -> set[str]:
        listings.append(1)
        return list_ids()

    monkeypatch.setattr(reader.store, "all_chunk_ids", counted_listing)
    caught_up = refresh_keyword_index(reader.store, reader.keyword_dir.with_name("reader"), held)
    assert listings == [1] and caught_up.revision == writer.store.revision()
    assert_same_ranking(caught_up, fresh_from_chroma(writer))


def step(since: str, until: str, added: str = "", removed: str = "") -> dict[str, object]:
    return {"from": since, "to": until, "added": added.split(), "removed": removed.split()}


def test_the_journal_nets_out_chunks_added_then_removed_and_removed_then_added_again() -> None:
    journal = [step("r0", "r1", added="a b"), step("r1", "r2", added="c", removed="a x"), step("r2", "r3", added="x")]
    assert changes_between(journal, "r0", "r3") == ({"b", "c", "x"}, {"a"})
    assert changes_between(journal, "r1", "r3") == ({"c", "x"}, {"a"})
    assert changes_between(journal, "r3", "r3") == (set(), set())
    assert changes_between(journal, "older", "r3") is None  # not in the journal: list every id
    assert changes_between(journal[1:], "r0", "r3") is None
    assert changes_between([step("r0", "r1"), step("r2", "r3")], "r0", "r3") is None  # a step not journaled


def test_an_ingest_after_a_killed_one_journals_nothing(make_settings, encoder, seeds_copy: Path) -> None:
    """The killed ingest's writes are not known to the next one, so the journal starts afresh: an index behind lists
    every id."""
    bot = Assistant(make_settings(), encoder=encoder)
    bot.ingest([seeds_copy])
    before = bot.store.revision()
    bot.store.begin_changes()  # an ingest that dies before its revision bump
    (seeds_copy / "zz_new.txt").write_text("A new article\n\nThe ferry to Quokka Island runs again.\n", encoding="utf-8")
    bot.ingest([seeds_copy])
    assert bot.store.changes_since(before)[1] is None
