import gzip
import json
from pathlib import Path

import pytest

from index.errors import InputError
from index.loaders import expand_paths, iter_articles
from tests.conftest import AKAZAWA_ARTICLE, DENIAL_ARTICLE, SEEDS

MB = 10**6


def load(*paths: Path, max_bytes: int = MB) -> list:
    return list(iter_articles(expand_paths(paths), max_bytes=max_bytes))


def test_plain_text_news_file_metadata() -> None:
    articles = {a.id: a for a in load(SEEDS)}
    akazawa = articles[AKAZAWA_ARTICLE]
    assert akazawa.meta.title.startswith("Trump Trade Talks: China Finally Mulls Opening Door")
    assert akazawa.meta.source == "Stocktwits"
    assert akazawa.meta.author == "Shanthi M"
    assert akazawa.meta.published == "2025-07-02"
    assert akazawa.meta.location.endswith(AKAZAWA_ARTICLE)
    assert "Shanthi M·Stocktwits" not in akazawa.text  # the byline became metadata
    denial = articles[DENIAL_ARTICLE]
    assert denial.meta.title == "China Stands Firm in U.S. Trade War, Dismisses Negotiation Claims"
    assert denial.meta.published == "" and denial.meta.source == ""


def test_html_keeps_visible_article_text_only(tmp_path: Path) -> None:
    page = tmp_path / "story.html"
    page.write_text(
        """<html><head><title>Site | Story</title><meta property="og:site_name" content="Daily Planet">
        <meta property="article:published_time" content="2025-03-04T10:00:00Z"><style>p{color:red}</style>
        <script>var tracking = 1;</script></head><body><nav>Home | World | Sport</nav>
        <h1>Rain falls on Metropolis</h1><p>It rained <b>all</b> day in Metropolis on Tuesday.</p>
        <footer>Copyright Daily Planet</footer></body></html>""",
        encoding="utf-8",
    )
    (article,) = load(page)
    assert article.meta.title == "Rain falls on Metropolis"
    assert article.meta.source == "Daily Planet"
    assert article.meta.published == "2025-03-04"
    assert "It rained all day in Metropolis on Tuesday." in article.text
    for hidden in ("tracking", "color:red", "Home | World", "Copyright"):
        assert hidden not in article.text


def test_markdown_title_and_links(tmp_path: Path) -> None:
    page = tmp_path / "note.md"
    page.write_text("# Harbour reopens\n\nThe **harbour** reopened, said [the mayor](https://example.org).\n", encoding="utf-8")
    (article,) = load(page)
    assert article.meta.title == "Harbour reopens"
    assert "The harbour reopened, said the mayor." in article.text


def test_jsonl_corpus_including_gzip(tmp_path: Path) -> None:
    rows = [
        {"id": "a1", "title": "One", "text": "First story text.", "url": "https://www.cnn.com/x", "published": "2024-01-05"},
        {"id": "a2", "title": "Two", "text": "Second story text.", "source": "Reuters", "author": "Jo"},
    ]
    plain = tmp_path / "c.jsonl"
    plain.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    packed = tmp_path / "d.jsonl.gz"
    with gzip.open(packed, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "b1", "title": "Three", "text": "Third."}) + "\n")
    articles = {a.id: a for a in load(plain, packed)}
    assert set(articles) == {"a1", "a2", "b1"}
    assert articles["a1"].meta.source == "cnn.com" and articles["a1"].meta.location == "https://www.cnn.com/x"
    assert articles["a1"].meta.published == "2024-01-05"
    assert articles["a2"].meta.source == "Reuters" and articles["a2"].meta.author == "Jo"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b"   \n\n ", "empty file"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("latin1.txt", "Café au lait".encode("latin-1"), "not UTF-8"),
        ("huge.txt", b"word " * 300_000, "over the"),
        ("bad.jsonl", b'{"id": "x", "text": "ok"}\n{not json}\n', "bad.jsonl:2: not valid JSON"),
        ("missing.jsonl", b'{"id": "x"}\n', "missing or empty 'text'"),
        ("extra.jsonl", b'{"id": "x", "text": "t", "colour": "red"}\n', "unknown field(s) colour"),
        ("table.csv", b"a,b\n", "unsupported file type"),
    ],
)
def test_bad_files_give_one_clear_line(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        load(path)
    text = str(caught.value)
    assert message in text and name in text and "\n" not in text


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or folder"):
        load(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="no article files"):
        load(tmp_path)
