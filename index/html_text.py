"""Visible article text and metadata from an HTML page (no scripts, styles, navigation or forms)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from index.metadata import parse_date
from index.types import Article, ArticleMeta

HIDDEN_TAGS = {
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "iframe",
    "button",
    "select",
}
BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
    "blockquote", "pre", "tr", "table", "figcaption", "figure", "main", "hr", "dd", "dt",
}  # fmt: skip
VOID_TAGS = {"br", "hr", "img", "meta", "link", "input", "source", "wbr", "area", "base", "col", "embed", "param", "track"}


@dataclass
class _Collector(HTMLParser):
    parts: list[str] = field(default_factory=list)
    hidden_depth: int = 0
    in_title: bool = False
    in_h1: bool = False
    title: str = ""
    h1: str = ""
    meta: dict[str, str] = field(default_factory=dict)
    time_datetime: str | None = None

    def __post_init__(self) -> None:
        HTMLParser.__init__(self, convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "meta":
            key = (values.get("property") or values.get("name") or "").lower()
            if key and values.get("content"):
                self.meta.setdefault(key, values["content"])
        elif tag == "time" and values.get("datetime") and self.time_datetime is None:
            self.time_datetime = values["datetime"]
        if tag in HIDDEN_TAGS:
            self.hidden_depth += 1
        elif tag == "title":
            self.in_title = True
        elif tag == "h1":
            self.in_h1 = True
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN_TAGS and self.hidden_depth:
            self.hidden_depth -= 1
        elif tag == "title":
            self.in_title = False
        elif tag == "h1":
            self.in_h1 = False
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data
            return
        if self.hidden_depth:
            return
        if self.in_h1:
            self.h1 += data
        self.parts.append(data)


def html_to_article(html: str, *, article_id: str, location: str) -> Article:
    """The page's visible text, and the metadata its tags declare ("" where they declare none)."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    lines = (" ".join(line.split()) for line in "".join(collector.parts).splitlines())
    text = "\n".join(line for line in lines if line)
    meta = collector.meta
    title = meta.get("og:title") or " ".join(collector.h1.split()) or " ".join(collector.title.split())
    published_raw = meta.get("article:published_time") or meta.get("date") or collector.time_datetime
    article_meta = ArticleMeta(
        id=article_id,
        title=title,
        source=meta.get("og:site_name", ""),
        author=meta.get("author") or meta.get("article:author") or "",
        published=(parse_date(published_raw) or "") if published_raw else "",
        location=location,
    )
    return Article(meta=article_meta, text=text)
