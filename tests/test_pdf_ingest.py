"""PDFs end to end on the real Chroma and encoder: ingest, ask (extractive), and the citation names the page its
quote is on, in the Answer, its JSON and the CLI's sources; a scanned PDF stops an ingest and changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Assistant
from index.embeddings import OnnxInt8Encoder
from index.errors import InputError
from tests.conftest import SEEDS
from tests.pdfs import text_pdf
from tests.test_cli import invoke

REPORT_PAGES = [
    [
        "Harbour wall to be rebuilt after the January storm",
        "By Jo Smith",
        "Published: March 4, 2025",
        "The Portwick council voted on Tuesday to rebuild the harbour wall that the January storm broke apart.",
        "Fishing crews have tied up in Eastby since the storm and say they will come back as soon as they can.",
    ],
    [
        "The council's engineer, Ada Brook, said the repairs to the harbour wall will cost 4.2 million pounds,",
        "paid from the county's flood fund over two years.",
        "Work on the foundations will start in May, once the spring tides have passed.",
    ],
    [
        "The old harbour wall of Portwick was last rebuilt in 1952, after the great flood reached the market square.",
        "Granite for the new wall will come from the Treleven quarry, twelve miles inland.",
    ],
]


@pytest.fixture
def report(tmp_path: Path) -> Path:
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "portwick-harbour.pdf").write_bytes(text_pdf(REPORT_PAGES, title="Harbour wall to be rebuilt"))
    return folder


@pytest.mark.parametrize(
    ("question", "words", "page"),
    [
        ("How much will the repairs to the Portwick harbour wall cost?", "4.2 million pounds", 2),
        ("When was the Portwick harbour wall last rebuilt?", "1952", 3),
    ],
)
def test_a_pdf_citation_carries_its_page(
    report: Path, make_settings, encoder: OnnxInt8Encoder, question: str, words: str, page: int
) -> None:
    bot = Assistant(make_settings(), encoder=encoder)
    bot.ingest([report])
    answer = bot.ask(question)
    assert not answer.refused, answer.text
    cited = [c for c in answer.citations if words in c.quote]
    assert cited, answer.citations
    citation = cited[0]
    assert citation.meta.id == "portwick-harbour.pdf" and citation.meta.title == "Harbour wall to be rebuilt"
    assert citation.page == page
    record = bot.article(citation.meta.id)
    assert record is not None
    assert record.text[citation.start : citation.end] == citation.quote  # offsets into the cleaned text, as ever
    assert record.page_at(citation.start) == page  # the article's own page starts agree with the chunk's
    flat = next(c for c in answer.to_dict()["citations"] if c["number"] == citation.number)
    assert flat["page"] == page


def test_citations_of_articles_without_pages_have_no_page(seeded: Assistant) -> None:
    answer = seeded.ask("Who is Japan's chief negotiator?")
    assert answer.citations and all(c.page is None for c in answer.citations)
    assert all(p["page"] is None for p in answer.to_dict()["passages"])


def test_the_cli_prints_the_page_of_a_pdf_source(report: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {"ASSISTANT_HOME": str(tmp_path / "home"), "ASSISTANT_SEEDS_DIR": str(SEEDS),
                       "ASSISTANT_LLM": "extractive"}.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    assert invoke("ingest", str(report)).exit_code == 0
    shown = invoke("ask", "How much will the repairs to the Portwick harbour wall cost?")
    assert shown.exit_code == 0, shown.output
    assert "[1] Harbour wall to be rebuilt (2025-03-04, page 2)" in shown.output


def test_a_scanned_pdf_stops_the_ingest_and_changes_nothing(report: Path, make_settings, encoder: OnnxInt8Encoder) -> None:
    bot = Assistant(make_settings(), encoder=encoder)
    bot.ingest([report])
    before = {a.id: a.content_hash for a in bot.sources()}
    (report / "scan.pdf").write_bytes(text_pdf([[], []]))
    (report / "portwick-harbour.pdf").write_bytes(text_pdf([["A changed page that must not be indexed."]]))
    with pytest.raises(InputError, match=r"scan\.pdf: the PDF has no text layer \(a scan\?\); run OCR on it first$"):
        bot.ingest([report])
    assert {a.id: a.content_hash for a in bot.sources()} == before


def test_a_pdf_upload_goes_through_the_same_loader(tmp_path: Path, make_settings, encoder: OnnxInt8Encoder) -> None:
    from assistant.ui.session import add_uploads

    bot = Assistant(make_settings(), encoder=encoder)
    upload = tmp_path / "portwick-harbour.pdf"
    upload.write_bytes(text_pdf(REPORT_PAGES, title="Harbour wall to be rebuilt"))
    assert add_uploads(bot, [upload]).added == 1
    answer = bot.ask("When was the Portwick harbour wall last rebuilt?")
    assert [c.page for c in answer.citations if "1952" in c.quote] == [3]
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(text_pdf([[]]))
    with pytest.raises(InputError, match=r"^scan\.pdf: the PDF has no text layer"):
        add_uploads(bot, [scan])
