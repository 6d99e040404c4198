"""Missing published dates: inferred from a dated byline or dateline in the text, or by htmldate from an HTML page;
recorded as inferred (ArticleMeta.date_inferred), and said so in the answer, its JSON, `sources` and the UI."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant import Assistant, Settings
from assistant.cli import app
from assistant.ui.render import sources_panel
from index.embeddings import OnnxInt8Encoder
from index.loaders import iter_articles
from index.metadata import infer_date
from index.types import Article, ArticleMeta

AS_OF = "2025-07-09"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("By Jane Roe, May 3, 2025", "2025-05-03"),
        ("WASHINGTON, July 2, 2025 (Reuters) - Talks resumed", "2025-07-02"),
        ("PARIS (AP) — Jul 2, 2025 — Officials met", "2025-07-02"),
        ("Wednesday, July 2, 2025 8:31 PM", "2025-07-02"),
        ("Jane Roe · Harbour Times · 2 July 2025", "2025-07-02"),
        ("The ferry returns on July 9, 2025, the operator said.", ""),  # a date inside a sentence is no dateline
        ("Talks set for July 9, 2025 in Geneva", ""),  # a headline that names a day
    ],
)
def test_a_dated_byline_or_dateline_is_read_and_a_date_in_a_sentence_is_not(line: str, expected: str) -> None:
    assert infer_date([line]) == expected


def load(path: Path) -> list[Article]:
    return list(iter_articles([path], max_bytes=10**6))


def test_text_files_tell_a_given_date_from_an_inferred_one(tmp_path: Path) -> None:
    given = tmp_path / "given.txt"
    given.write_text("Ferry returns\nPublished: May 3, 2025\n\nThe river ferry returns to service.\n")
    inferred = tmp_path / "inferred.txt"
    inferred.write_text("Ferry returns\nBy Jane Roe, May 3, 2025\n\nThe river ferry returns to service.\n")
    undated = tmp_path / "undated.txt"
    undated.write_text("Ferry returns\n\nThe river ferry returns to service on May 3, 2025.\n")
    [g], [i], [u] = load(given), load(inferred), load(undated)
    assert (g.meta.published, g.meta.date_inferred) == ("2025-05-03", False)
    assert (i.meta.published, i.meta.date_inferred) == ("2025-05-03", True)
    assert "By Jane Roe, May 3, 2025" in i.text  # inferring reads the text, it takes nothing out of it
    assert (u.meta.published, u.meta.date_inferred) == ("", False)


def test_jsonl_without_a_date_infers_one_from_its_dateline(tmp_path: Path) -> None:
    rows = [
        {"id": "a", "title": "Ferry", "text": "LONDON, May 3, 2025 (Wire) - The ferry returns.", "published": "2025-05-04"},
        {"id": "b", "title": "Ferry", "text": "LONDON, May 3, 2025 (Wire) - The ferry returns."},
    ]
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    a, b = load(path)
    assert (a.meta.published, a.meta.date_inferred) == ("2025-05-04", False)  # given wins
    assert (b.meta.published, b.meta.date_inferred) == ("2025-05-03", True)


def test_an_html_page_without_date_tags_is_dated_by_htmldate_offline(tmp_path: Path, no_network: list[object]) -> None:
    page = tmp_path / "page.html"  # a date only at the foot of the text: htmldate's guess, so inferred
    page.write_text(
        "<html><head><title>Ferry returns</title></head><body><article><h1>Ferry returns</h1>"
        "<p>The river ferry returns to service with two new boats, the operator said on the quay.</p>"
        "<p>The operator said the timetable stays as it was.</p><p>Tickets cost the same.</p><p>The mayor welcomed it.</p>"
        "<p>3 May 2025</p></article></body></html>"
    )
    structured = tmp_path / "structured.html"  # JSON-LD is the publisher's own statement: given
    structured.write_text(
        '<html><head><title>Ferry returns</title><script type="application/ld+json">{"@type": "NewsArticle", '
        '"datePublished": "2025-05-02T08:00:00Z"}</script></head><body><article><h1>Ferry returns</h1>'
        "<p>The river ferry returns to service with two new boats, the operator said on the quay.</p></article></body></html>"
    )
    tagged = tmp_path / "tagged.html"
    tagged.write_text(
        '<html><head><title>Ferry</title><meta property="article:published_time" content="2025-05-04"></head>'
        "<body><p>The river ferry returns to service with two new boats, the operator said.</p></body></html>"
    )
    [p], [t], [j] = load(page), load(tagged), load(structured)
    assert (p.meta.published, p.meta.date_inferred) == ("2025-05-03", True)
    assert (j.meta.published, j.meta.date_inferred) == ("2025-05-02", False)
    assert (t.meta.published, t.meta.date_inferred) == ("2025-05-04", False)
    assert no_network == []  # htmldate was handed the parsed page, never a URL to fetch


def test_an_article_that_did_not_change_keeps_its_content_hash() -> None:
    """The hash the index compares is the one it was before date_inferred and story existed, for every article whose
    date was given or missing, so an existing index is not re-embedded."""
    meta = ArticleMeta(id="a", title="T", source="S", published="2025-01-02", location="x")
    article = Article(meta=meta, text="Body.")
    legacy = {k: v for k, v in asdict(meta).items() if k not in ("date_inferred", "story")} | {"text": "Body.", "author": None}
    expected = hashlib.sha256(json.dumps(legacy, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    assert article.content_hash() == expected
    assert Article(meta=ArticleMeta(id="a", title="T", source="S", published="2025-01-02", location="x", story="b"),
                   text="Body.").content_hash() == expected  # fmt: skip
    inferred = Article(meta=ArticleMeta(**(asdict(meta) | {"date_inferred": True})), text="Body.")
    assert inferred.content_hash() != expected


@pytest.fixture(scope="module")
def ferry(tmp_path_factory: pytest.TempPathFactory, encoder: OnnxInt8Encoder) -> Assistant:
    folder = tmp_path_factory.mktemp("ferry")
    (folder / "ferry.txt").write_text(
        "Ferry returns to the river\nBy Jane Roe, May 3, 2025\n\n"
        "The river ferry returned to service on the Elm River with two new boats, the operator said.\n"
    )
    (folder / "quay.txt").write_text(
        "Quay repairs\nPublished: June 2, 2025\n\nThe ferry quay on the Elm River was repaired by the harbour office.\n"
    )
    bot = Assistant(Settings(home=folder / "home", seeds_dir=folder / "none", llm="extractive"), encoder=encoder)
    bot.ingest([folder / "ferry.txt", folder / "quay.txt"])
    return bot


def test_an_inferred_date_is_said_in_the_answer_its_json_and_the_sources_panel(ferry: Assistant) -> None:
    answer = ferry.ask("How many new boats does the river ferry have?", as_of=AS_OF)
    assert not answer.refused
    assert "On May 3, 2025 (dated by inference), an article reported that" in answer.text
    [cited] = [c for c in answer.to_dict()["citations"] if c["article_id"] == "ferry.txt"]
    assert cited["published"] == "2025-05-03" and cited["date_inferred"] is True
    panel = sources_panel(answer, 0, lambda article_id: a.text if (a := ferry.article(article_id)) else None)
    assert "2025-05-03 (dated by inference)" in panel


def test_sources_marks_inferred_dates(ferry: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_HOME", str(ferry.settings.home))
    monkeypatch.setenv("ASSISTANT_SEEDS_DIR", str(ferry.settings.seeds_dir))
    listing = CliRunner().invoke(app, ["sources"])
    assert listing.exit_code == 0, listing.output
    line_of = {aid: next(line for line in listing.output.splitlines() if aid in line) for aid in ("quay.txt", "ferry.txt")}
    assert line_of["quay.txt"].startswith("2025-06-02 ")  # given
    assert line_of["ferry.txt"].startswith("2025-05-03~")  # inferred
