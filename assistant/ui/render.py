"""Answers, sources and errors as the HTML the web UI shows; every piece of article or answer text is escaped here.

The chat renders Markdown, so answer text is escaped twice over: HTML characters become entities, and so does
every ASCII punctuation mark Markdown could read as syntax (links, emphasis, lists). The only markup in a
message is what this module adds itself: the [n] links and the refusal/error frames.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence

from assistant.answer import Answer, Citation, Passage
from index.types import ArticleMeta

MARKER = re.compile(r"\[(\d+)\]")
# Markdown syntax anywhere in a line (emphasis, code, links, tables, strike-through) and at a line's start (headings,
# lists, setext underlines); written as numeric entities, which Markdown shows as the characters themselves.
INLINE_SYNTAX = re.compile(r"[\\`*_\[\]|~]")
LINE_START_SYNTAX = re.compile(r"^(?:[#+\-=]|\d+[.)])")
AUTOLINK = re.compile(r"(?<=\w)(:)(?=//)|(?<=\bwww)(\.)", re.IGNORECASE)  # bare URLs would turn into links
CONTEXT_CHARS = 4000  # article text shown on each side of a cited passage when the article is long
LONG_ARTICLE_CHARS = 12000
EMPTY_PANEL = (
    '<div class="sources-empty">Ask a question: the passages its answer cites appear here, highlighted in their articles.</div>'
)

ArticleLookup = Callable[[str], str | None]  # article id → its cleaned text, which citation offsets point into


def escape_text(text: str) -> str:
    """Plain text as HTML that no Markdown renderer will turn back into markup."""
    lines = []
    for line in text.split("\n"):
        # Leading spaces would make an indented code block, where entities show up literally.
        escaped = INLINE_SYNTAX.sub(_entity, html.escape(line.lstrip(), quote=False))
        escaped = AUTOLINK.sub(_entity, escaped)
        lines.append(LINE_START_SYNTAX.sub(lambda m: m.group()[:-1] + _entity_of(m.group()[-1]), escaped))
    return "\n".join(lines)


def _entity(found: re.Match[str]) -> str:
    return _entity_of(found.group())


def _entity_of(ch: str) -> str:
    return f"&#{ord(ch)};"


def cite_id(turn: int, number: int) -> str:
    return f"cite-{turn}-{number}"


def streaming_message(text: str) -> str:
    """An answer still being written: plain escaped text (its markers become links once it is checked)."""
    return escape_text(text)


def answer_message(answer: Answer, turn: int) -> str:
    """The chat message for a finished answer: escaped text with each valid [n] a link to its source card."""
    if answer.refused:
        return f'<div class="refusal">{escape_text(answer.text)}</div>'
    known = {c.number: c for c in answer.citations}
    parts: list[str] = []
    position = 0
    for found in MARKER.finditer(answer.text):
        number = int(found.group(1))
        if number not in known:
            continue
        parts.append(escape_text(answer.text[position : found.start()]))
        title = html.escape(known[number].meta.title, quote=True)
        parts.append(f'<a class="cite" href="#{cite_id(turn, number)}" title="{title}">&#91;{number}&#93;</a>')
        position = found.end()
    parts.append(escape_text(answer.text[position:]))
    return "".join(parts)


def error_message(message: str) -> str:
    """A problem with a question or a setting, as one short line in the chat."""
    return f'<div class="chat-error">⚠ {escape_text(message)}</div>'


def sources_panel(answer: Answer, turn: int, lookup: ArticleLookup) -> str:
    """Each cited passage highlighted inside its article, then the retrieved passages nobody cited, folded."""
    head = f'<div class="sources-head">Sources for <q>{html.escape(answer.question)}</q>'
    if answer.standalone_question:
        head += f' <span class="searched">(searched as <q>{html.escape(answer.standalone_question)}</q>)</span>'
    total = answer.timings.get("total")
    facts = [answer.backend + (f" · {answer.model}" if answer.model else "")]
    if answer.as_of:
        facts.append(f"as of {answer.as_of}")
    if total is not None:
        facts.append(f"{total:.1f} s")
    head += f' <span class="facts">{html.escape(" · ".join(facts))}</span></div>'
    cards = [_citation_card(c, turn, lookup) for c in answer.citations]
    if answer.refused:
        cards.append('<div class="sources-refused">No passage answers this question; nothing is cited.</div>')
    cited = {c.chunk_id for c in answer.citations}
    uncited = [p for p in answer.passages if p.chunk.id not in cited]
    return f'<div class="sources" data-turn="{turn}">{head}{"".join(cards)}{_uncited(uncited)}</div>'


def _citation_card(citation: Citation, turn: int, lookup: ArticleLookup) -> str:
    body = _highlighted(lookup(citation.meta.id) or "", citation)
    title = citation.meta.title or citation.meta.id
    return (
        f'<div class="source-card" id="{cite_id(turn, citation.number)}">'
        f'<div class="card-title"><span class="num">[{citation.number}]</span> {html.escape(title)}</div>'
        f'<div class="meta">{_meta(citation.meta, citation.page)}</div>{_also_in(citation)}'
        f'<div class="article-text">{body}</div></div>'
    )


def _also_in(citation: Citation) -> str:
    """The other outlets whose copy of the same story carried this passage."""
    if not citation.also_in:
        return ""
    others = "; ".join(f"{html.escape(m.title or m.id)} ({_meta(m)})" for m in citation.also_in)
    return f'<div class="also-in">Also carried by: {others}</div>'


def _highlighted(text: str, citation: Citation) -> str:
    """The article with the quote marked; just the quote when the article changed since the answer was made."""
    start, end = citation.start, citation.end
    if not (0 <= start < end <= len(text)) or text[start:end] != citation.quote:
        return f"<mark>{html.escape(citation.quote)}</mark>"
    left, right = 0, len(text)
    if len(text) > LONG_ARTICLE_CHARS:
        left, right = max(0, start - CONTEXT_CHARS), min(len(text), end + CONTEXT_CHARS)
    before = ("…" if left else "") + text[left:start]
    after = text[end:right] + ("…" if right < len(text) else "")
    return f"{html.escape(before)}<mark>{html.escape(text[start:end])}</mark>{html.escape(after)}"


def _uncited(passages: Sequence[Passage]) -> str:
    if not passages:
        return ""
    items = "".join(
        f'<div class="passage"><div class="card-title">{html.escape(p.meta.title or p.meta.id)}</div>'
        f'<div class="meta">{_meta(p.meta, p.page)}</div>'
        f'<div class="passage-text">{html.escape(p.text)}</div></div>'
        for p in passages
    )
    noun = "passage" if len(passages) == 1 else "passages"
    return f'<details class="uncited"><summary>{len(passages)} more {noun} retrieved, not cited</summary>{items}</details>'


def _meta(meta: ArticleMeta, page: int | None = None) -> str:
    """Outlet · date · location (a link only for web addresses) · page (of a PDF)."""
    day = f"{meta.published} (dated by inference)" if meta.published and meta.date_inferred else meta.published or "undated"
    facts = [html.escape(x) for x in (meta.source, day) if x]
    location = meta.location
    if location.startswith(("http://", "https://")):
        link = html.escape(location, quote=True)
        facts.append(f'<a href="{link}" target="_blank" rel="noopener noreferrer">{link}</a>')
    elif location:
        facts.append(f'<span class="location">{html.escape(location)}</span>')
    if page:
        facts.append(f'<span class="page">page {page}</span>')
    return " · ".join(facts)
