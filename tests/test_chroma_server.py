"""The index on a real Chroma server (`chroma run` on 127.0.0.1): the CLI and the API behave as with the embedded
store, two clients see each other's changes (keyword search included), and a server that is down is one error line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import chromadb
import pytest

from assistant import Assistant, Settings
from index.errors import StoreError
from index.keyword import KeywordIndex
from tests.conftest import AKAZAWA_ARTICLE, REPO, SEEDS
from tests.servers import ChromaServer, free_port

pytestmark = pytest.mark.slow


def cli(home: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ASSISTANT_HOME": str(home), "ASSISTANT_CHROMA_URL": url, "ASSISTANT_LLM": "extractive"}
    env["ASSISTANT_SEEDS_DIR"] = str(SEEDS)
    command = [sys.executable, "-m", "assistant", *args]
    return subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=300)


def test_cli_ingest_ask_reingest_against_a_server(chroma_server: ChromaServer, tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = cli(home, chroma_server.url, "ingest", str(SEEDS))
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("added 2, updated 0, removed 0, unchanged 0;")

    asked = cli(home, chroma_server.url, "ask", "Who is Japan's chief negotiator?", "--json")
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert not answer["refused"]
    assert any(c["article_id"] == AKAZAWA_ARTICLE and "Akazawa" in c["quote"] for c in answer["citations"])

    again = cli(home, chroma_server.url, "ingest", str(SEEDS))
    assert again.returncode == 0, again.stderr
    assert "unchanged 2; 0 chunks embedded" in again.stdout

    # The chunks live on the server, not in an embedded store under the data directory.
    assert not (home / "chroma").exists()
    remote = chromadb.HttpClient(host="127.0.0.1", port=chroma_server.port)
    counts = {c.name.split("-")[0]: c.count() for c in remote.list_collections()}
    assert counts["articles"] == 2 and counts["chunks"] >= 2


def test_two_clients_share_one_index_and_keyword_search_follows_the_other(
    chroma_server: ChromaServer, tmp_path: Path, encoder, seeds_copy: Path
) -> None:
    refresh = 0.3  # another client's change reaches the keyword side within keyword_refresh_seconds

    def client(name: str) -> Assistant:
        settings = Settings(
            home=tmp_path / name, seeds_dir=SEEDS, llm="extractive", chroma_url=chroma_server.url, keyword_refresh_seconds=refresh
        )
        return Assistant(settings, encoder=encoder)

    writer, reader = client("writer"), client("reader")  # separate data directories: separate keyword caches
    writer.ingest([seeds_copy])

    # The reader never ingested: its keyword index is built from the chunks on the server.
    found = reader.retrieve("Akazawa chief negotiator", mode="keyword")
    assert found and found[0].meta.id == AKAZAWA_ARTICLE

    (seeds_copy / "zz_quokka.txt").write_text(
        "Quokkaville elects a new mayor\n\nThe town of Quokkaville elected Mirela Santangelo as its mayor on Tuesday. "
        "She promised to rebuild the harbour bridge before the winter storms.\n",
        encoding="utf-8",
    )
    report = writer.ingest([seeds_copy])
    assert (report.added, report.unchanged) == (1, 2)
    time.sleep(refresh)
    found = reader.retrieve("Who is the mayor of Quokkaville?", mode="keyword")
    assert found and found[0].meta.id == "zz_quokka.txt" and "Santangelo" in found[0].text
    saved = KeywordIndex.load(reader.keyword_dir)
    assert saved is not None and saved.revision == reader.store.revision()
    assert {a.id for a in reader.sources()} == {a.id for a in writer.sources()} and len(reader.sources()) == 3

    (seeds_copy / "zz_quokka.txt").unlink()
    assert writer.ingest([seeds_copy], prune=True).removed == 1
    time.sleep(refresh)
    assert all(p.meta.id != "zz_quokka.txt" for p in reader.retrieve("Quokkaville mayor Santangelo", mode="keyword"))
    assert all(p.meta.id != "zz_quokka.txt" for p in reader.retrieve("Quokkaville mayor Santangelo", mode="dense"))

    # A narrow filter's second search, among chunks named by id, runs on the server too; an id the server no longer
    # holds makes it give way (to a `where`, in the retriever).
    named = sorted(reader.store.all_chunk_ids())[:2]
    vector = encoder.encode(["chief negotiator"])[0]
    assert {chunk_id for chunk_id, _ in reader.store.nearest_among(vector, 5, named) or []} == set(named)
    assert reader.store.nearest_among(vector, 5, [*named, "zz_quokka.txt#0"]) is None


def test_a_server_that_is_down_is_one_clear_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    for args in (["ask", "Who is Japan's chief negotiator?"], ["ingest", str(SEEDS)], ["sources"]):
        result = cli(tmp_path / "home", url, *args)
        assert result.returncode == 1
        assert result.stderr.startswith(f"error: the Chroma server at {url} is not reachable")
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    bad = cli(tmp_path / "home", "http://127.0.0.1:notaport", "sources")
    assert bad.returncode == 1 and bad.stderr.strip() == (
        "error: ASSISTANT_CHROMA_URL='http://127.0.0.1:notaport' is not a server address like http://127.0.0.1:8000"
    )


def test_a_server_that_stops_mid_session_is_one_clear_error(chroma_server: ChromaServer, make_settings, encoder) -> None:
    bot = Assistant(make_settings(chroma_url=chroma_server.url), encoder=encoder)
    bot.ingest([SEEDS])
    chroma_server.stop()
    with pytest.raises(StoreError) as failed:
        bot.ask("Who is Japan's chief negotiator?")
    assert "Chroma failed while the index was in use" in str(failed.value) and "\n" not in str(failed.value)
