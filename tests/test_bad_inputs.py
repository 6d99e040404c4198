"""Hostile but fair input, end to end on the real Chroma and MiniLM: each is read right or refused in one line."""

from __future__ import annotations

from pathlib import Path

from assistant import Assistant


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
