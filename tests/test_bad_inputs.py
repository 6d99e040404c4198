"""Hostile but fair input, end to end on the real Chroma and MiniLM: each is read right or refused in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Assistant
from assistant.errors import AssistantError
from index.errors import InputError
from tests.conftest import AKAZAWA_ARTICLE


def test_a_line_without_spaces_never_makes_a_chunk_over_the_cap(make_settings, encoder, tmp_path: Path) -> None:
    blob = "".join(chr(97 + (i * 7919) % 26) for i in range(300_000))  # 300 KB, no sentence or word break
    path = tmp_path / "blob.txt"
    path.write_text(f"A Wall Of Letters\n\n{blob}\n", encoding="utf-8")
    settings = make_settings()
    bot = Assistant(settings, encoder=encoder)
    bot.ingest([path])
    chunks = list(bot.store.iter_chunks())
    assert len(chunks) > 100
    assert max(len(c.text) for c in chunks) <= settings.max_chunk_chars == 2048
    answer = bot.ask("What is in the wall of letters?")
    assert all(len(p.chunk.text) <= 2048 for p in answer.passages)


def test_utf16_text_with_a_bom_is_read_as_text(make_settings, encoder, tmp_path: Path) -> None:
    text = "Ferry Report\n\nThe harbour master, Ana Ruiz, reopened the ferry line on Monday.\n"
    for name, encoding in (("le.txt", "utf-16"), ("be.txt", "utf-16-be"), ("u32.txt", "utf-32")):
        data = text.encode(encoding)
        (tmp_path / name).write_bytes(data if encoding != "utf-16-be" else b"\xfe\xff" + data)
    bot = Assistant(make_settings(), encoder=encoder)
    report = bot.ingest([tmp_path / "le.txt", tmp_path / "be.txt", tmp_path / "u32.txt"])
    assert report.added == 3
    for name in ("le.txt", "be.txt", "u32.txt"):
        record = bot.article(name)
        assert record is not None and record.meta.title == "Ferry Report" and "Ana Ruiz" in record.text


def test_nul_bytes_anywhere_are_dropped_from_the_stored_text(make_settings, encoder, tmp_path: Path) -> None:
    body = "The council approved the bridge budget. " * 300  # about 12 KB: the NUL lands past the first 8 KB
    path = tmp_path / "nul.txt"
    path.write_bytes(f"Bridge Vote\n\nThe\x00 mayor spoke. {body}Final\x00 tally was 7 to 2.\n".encode())
    jsonl = tmp_path / "rows.jsonl"
    jsonl.write_text('{"id": "r1", "title": "Row\\u0000 One", "text": "The vote\\u0000 passed."}\n', encoding="utf-8")
    bot = Assistant(make_settings(), encoder=encoder)
    bot.ingest([path, jsonl])
    for article_id in ("nul.txt", "r1"):
        record = bot.article(article_id)
        assert record is not None and "\x00" not in record.text and "\x00" not in record.meta.title
    stored = bot.article("nul.txt")
    assert stored is not None and "Final tally was 7 to 2." in stored.text
    assert all("\x00" not in c.text for c in bot.store.iter_chunks())


def test_a_binary_file_is_still_called_binary(make_settings, encoder, tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    with pytest.raises(InputError, match="binary data, not text"):
        Assistant(make_settings(), encoder=encoder).ingest([path])


@pytest.mark.parametrize(
    ("filters", "words"),
    [
        ({"since": "2030-01-01"}, "published 2030-01-01 to …"),
        ({"until": "1990-01-01"}, "published … to 1990-01-01"),
        ({"sources": ["No Such Outlet"]}, "outlet No Such Outlet"),
    ],
)
def test_a_filter_that_excludes_every_article_says_so(seeded: Assistant, filters: dict, words: str) -> None:
    with pytest.raises(AssistantError, match="no indexed article matches the filter") as caught:
        seeded.ask("Who is Japan's chief negotiator?", **filters)
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_a_filter_that_matches_still_answers(seeded: Assistant) -> None:
    answer = seeded.ask("Who is Japan's chief negotiator?", since="2025-01-01", sources=["Stocktwits"])
    assert not answer.refused and answer.citations[0].meta.id == AKAZAWA_ARTICLE


def test_one_outlet_as_a_string_means_that_outlet(seeded: Assistant) -> None:
    as_string = seeded.ask("Who is Japan's chief negotiator?", sources="Stocktwits")
    as_list = seeded.ask("Who is Japan's chief negotiator?", sources=["Stocktwits"])
    assert not as_string.refused and as_string.text == as_list.text
    assert {p.chunk.meta.source for p in as_string.passages} == {"Stocktwits"}


@pytest.mark.parametrize("question", [123, 4.5, ["Who?"], b"Who?"])
def test_a_question_that_is_not_text_is_one_clear_error(seeded: Assistant, question: object) -> None:
    with pytest.raises(AssistantError, match=f"the question must be text, not {type(question).__name__}"):
        seeded.ask(question)  # type: ignore[arg-type]


def test_sources_that_are_not_outlet_names_are_one_clear_error(seeded: Assistant) -> None:
    with pytest.raises(AssistantError, match="sources must be a list of outlet names"):
        seeded.ask("Who is Japan's chief negotiator?", sources=[3])  # type: ignore[list-item]
    with pytest.raises(AssistantError, match="sources must be a list of outlet names"):
        seeded.ask("Who is Japan's chief negotiator?", sources={"Stocktwits"})  # type: ignore[arg-type]
