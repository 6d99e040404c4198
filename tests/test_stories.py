"""One story, told once: near-duplicate articles grouped at ingest (MinHash/LSH), one passage per story group for the
same passage text at retrieval, the other outlets listed on the citation; incremental across ingests and prunes."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assistant import Assistant, Settings
from assistant.cli import app
from index.embeddings import OnnxInt8Encoder
from index.stories import StoryGrouper, decode_signature, encode_signature, minhash, same_passage

AS_OF = "2025-07-09"
FILLER = ("council harbour ferry budget bridge tunnel cargo vote river works trade union strike rail mayor port plan quay "
          "crane barge lock canal dredger pier tide").split()  # fmt: skip


def story(seed: int, words: int = 300) -> str:
    """An article of its own: sentences of filler words drawn with this seed."""
    rng = random.Random(seed)
    sentences = [" ".join(rng.choice(FILLER) for _ in range(12)).capitalize() + "." for _ in range(words // 12)]
    return " ".join(sentences)


WIRE = (
    "The Port Authority said on Tuesday that the new Elm River tunnel will open to traffic on March 14 after a final "
    "vote by the harbour council. " + story(1)
)


def edited(text: str, seed: int, edits: int = 6) -> str:
    """The wire story as another outlet runs it: a few words changed."""
    rng = random.Random(seed)
    words = text.split()
    for _ in range(edits):
        words[rng.randrange(20, len(words))] = rng.choice(["regional", "officials", "local", "new"])
    return " ".join(words)


def test_copies_of_one_story_are_grouped_and_other_stories_are_not() -> None:
    grouper = StoryGrouper(threshold=0.5)
    first, copy, other = minhash(WIRE), minhash(edited(WIRE, 2)), minhash(story(3))
    assert first is not None and copy is not None and other is not None
    assert grouper.assign("a", first) == ""  # the story's first article: a group of its own
    assert grouper.assign("b", copy) == "a"
    assert grouper.assign("c", other) == ""
    assert grouper.assign("d", minhash(edited(WIRE, 4))) == "a"  # joins the group, named by its first article


def test_a_text_too_short_to_tell_stories_apart_is_not_grouped() -> None:
    assert minhash("Video player was slow to load content. Ad froze or did not finish loading.") is None


def test_the_stored_signature_rebuilds_the_same_groups() -> None:
    sketch = minhash(WIRE)
    assert sketch is not None
    assert decode_signature(encode_signature(sketch)).jaccard(sketch) == 1.0  # type: ignore[union-attr]
    assert decode_signature("-") is None and decode_signature("not base64!") is None
    rebuilt = StoryGrouper.from_signatures([("a", "", encode_signature(sketch))], threshold=0.5)
    assert rebuilt.assign("b", minhash(edited(WIRE, 2))) == "a"


def test_same_passage_is_about_the_words_not_the_story() -> None:
    assert same_passage(WIRE[:600], edited(WIRE, 2)[:600])
    assert not same_passage(WIRE[:600], story(5)[:600])


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


OUTLETS = [
    ("wire-a", "Daily Anchor", "2025-06-01"),
    ("wire-b", "Bay Gazette", "2025-06-02"),
    ("wire-c", "Quay Post", "2025-06-02"),
]


def wire_rows(ids: list[tuple[str, str, str]]) -> list[dict[str, str]]:
    return [
        {"id": aid, "title": f"Tunnel opening ({source})", "source": source, "published": day, "text": edited(WIRE, n)}
        for n, (aid, source, day) in enumerate(ids)
    ]


OTHER = {"id": "ferry", "title": "Ferry returns", "source": "Quay Post", "published": "2025-06-03",
         "text": "The Elm River ferry returned to service with two new boats. " + story(9)}  # fmt: skip


@pytest.fixture
def make_bot(tmp_path: Path, encoder: OnnxInt8Encoder):
    def make(**overrides: Any) -> Assistant:
        settings = Settings(home=tmp_path / "home", seeds_dir=tmp_path / "none", llm="extractive", **overrides)
        return Assistant(settings, encoder=encoder)

    return make


QUESTION = "When will the Elm River tunnel open to traffic?"


def test_one_passage_per_story_and_the_citation_lists_the_other_outlets(make_bot, tmp_path: Path) -> None:
    corpus = write(tmp_path / "c.jsonl", [*wire_rows(OUTLETS), OTHER])
    bot = make_bot()
    bot.ingest([corpus])
    stories = {a.id: a.meta.story_group for a in bot.sources()}
    assert stories == {"wire-a": "wire-a", "wire-b": "wire-a", "wire-c": "wire-a", "ferry": "ferry"}
    uncollapsed = make_bot(stories={"collapse": False}).retrieve(QUESTION, k=10, as_of=AS_OF)
    chunk_stories = {p.meta.id: p.meta.story for p in uncollapsed}
    assert chunk_stories.get("wire-b") == chunk_stories.get("wire-c") == "wire-a"  # stored on the chunks too

    answer = bot.ask(QUESTION, as_of=AS_OF)
    assert not answer.refused and "March 14" in answer.text
    first_texts = [p for p in answer.passages if "March 14" in p.text]
    assert len(first_texts) == 1  # the wire copy's opening passage once, not three times
    [citation] = [c for c in answer.citations if "March 14" in c.quote]
    others = {m.source for m in citation.also_in}
    assert others | {citation.meta.source} == {"Daily Anchor", "Bay Gazette", "Quay Post"}
    cited = next(c for c in answer.to_dict()["citations"] if "March 14" in c["quote"])
    assert {o["source"] for o in cited["also_in"]} == others and cited["story"] == "wire-a"

    assert len([p for p in uncollapsed if "March 14" in p.text]) == 3  # without collapsing: every outlet's copy


def test_grouping_is_incremental_and_survives_prune_and_reingest(make_bot, tmp_path: Path) -> None:
    bot = make_bot()
    bot.ingest([write(tmp_path / "first.jsonl", [*wire_rows(OUTLETS[:1]), OTHER])])
    later = write(tmp_path / "later.jsonl", wire_rows(OUTLETS)[1:2])
    report = bot.ingest([later])
    assert report.added == 1
    groups = {a.id: a.meta.story_group for a in bot.sources()}
    assert groups["wire-b"] == "wire-a"  # grouped against the signature stored by the first ingest

    listing_env = {"ASSISTANT_HOME": str(bot.settings.home), "ASSISTANT_SEEDS_DIR": str(bot.settings.seeds_dir)}
    listing = CliRunner().invoke(app, ["sources"], env=listing_env)
    assert "  same story: 2025-06-02  Bay Gazette" in listing.output

    # The story's first article pruned: the others keep the group's name, and a new copy still joins it.
    third = write(tmp_path / "third.jsonl", wire_rows(OUTLETS)[2:])
    report = bot.ingest([later, third], prune=True)
    assert (report.removed, report.added, report.unchanged) == (2, 1, 1)  # wire-a and ferry out, wire-c in
    assert {a.id: a.meta.story_group for a in bot.sources()} == {"wire-b": "wire-a", "wire-c": "wire-a"}
    # The first article back: it finds its story under its own name.
    report = bot.ingest([tmp_path / "first.jsonl", later, third])
    assert (report.added, report.unchanged) == (2, 2)
    groups = {a.id: a.meta.story_group for a in bot.sources()}
    assert groups == {"wire-a": "wire-a", "wire-b": "wire-a", "wire-c": "wire-a", "ferry": "ferry"}
    again = bot.ingest([tmp_path / "first.jsonl", later, third])
    assert again.unchanged == 4 and again.chunks == 0  # nothing regrouped, nothing re-embedded


def test_a_changed_date_reaches_chunks_whose_text_did_not_change(make_bot, tmp_path: Path) -> None:
    bot = make_bot()
    row = dict(OTHER, published="")
    bot.ingest([write(tmp_path / "c.jsonl", [row])])
    assert {p.meta.published for p in bot.retrieve("Elm River ferry boats", as_of=AS_OF)} == {""}
    report = bot.ingest([write(tmp_path / "c.jsonl", [dict(row, published="2025-06-03")])])
    assert report.updated == 1 and report.chunks == 0  # the same chunks, not embedded again
    assert {p.meta.published for p in bot.retrieve("Elm River ferry boats", as_of=AS_OF)} == {"2025-06-03"}
