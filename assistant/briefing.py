"""The news in brief: "What's in the news this week?", "Summarize the articles", "Give me the headlines".

Such a question names no topic to search for, so retrieving passages for its words would return whatever chunk
happens to mention "news". It is answered instead with the newest articles that the filters and the question's own
time window admit, one per story: each stated with its outlet, day and headline, and cited to its first sentence.
Every backend answers it the same way: it is a listing of what is indexed, with nothing for a model to write.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from assistant.answer import Passage
from assistant.attribution import article_day
from assistant.backends.base import Draft, refusal
from assistant.citations import ENDED
from assistant.evidence import Evidence, EvidenceSentence, share_held, stated_answer, states_something
from assistant.text import content_stems, offered_stems, sentences
from assistant.time_window import without_time_expressions

# The question, once its time expressions are gone ("What happened this week?" → "What happened?"), lower-cased and
# without its closing punctuation, must be one of these phrasings with nothing else in it: a question with a topic
# ("What happened to the talks?", "Summarize what China said") is answered from the passages it retrieves. The runs of
# polite openers and of determiners are possessive (*+): a word they share with what follows ("give me", "top") is
# never tried both ways, so a long question cannot make the match backtrack exponentially.
POLITE = r"(?:(?:please|(?:can|could|would|will) you|i want to know|tell me|show me|give me|let me know)\s+)*+"
DETERMINER = r"(?:the|these|this|that|all|my|your|recent|top|main|big|biggest|indexed)"
NEWS = rf"(?:{DETERMINER}\s+)*+(?:news|headlines|stories|articles|sources|news stories|news articles)"
SUMMARY = r"(?:summari[sz]e|sum up|recap|brief me on|go over|list|show|give me)"
BRIEFING_PHRASINGS = (
    rf"{NEWS}",
    r"(?:any|anything) (?:news|new|happening)",
    r"what(?:'s| is| has| are)? (?:new|happening|going on|happened|been happening)",
    r"what (?:happened|has happened|was in the news|is in the news|made the news|was reported|has been reported)",
    rf"what(?:'s| is| was| are| were) (?:in )?{NEWS}(?: (?:about|saying|covering))?",
    rf"what do {NEWS} (?:say|cover|report)",
    r"what(?:'s| is| are) (?:this|that|it|they) (?:all )?about",
    rf"{SUMMARY} {NEWS}",
    rf"(?:a |the )?(?:summary|overview|rundown|recap|briefing|digest) (?:of )?{NEWS}",
    r"(?:a |the )?(?:summary|overview|rundown|recap|briefing|digest)",
)
TRAILING = r"(?:\s+(?:for me|so far|in brief|briefly|please|from|for|of|in|on|over|during|since))*+"  # longest first
BRIEFING = re.compile(rf"{POLITE}(?:{'|'.join(BRIEFING_PHRASINGS)}){TRAILING}", re.I)
# The news about one topic ("Summarize the articles about Japan", "Any news on the trade talks?"): the same listing,
# of the articles the topic retrieves that mention it.
ABOUT = r"(?:about|on|regarding|concerning|covering)"
TOPIC = r"(?P<topic>(?!(?:what|who|whom|whose|how|why|when|where|which|whether|if)\b).+)"
TOPIC_PHRASINGS = (
    rf"{NEWS} {ABOUT} {TOPIC}",
    rf"(?:any|anything) (?:news|new) {ABOUT} {TOPIC}",
    rf"what(?:'s| is| was| are| were) (?:in )?{NEWS} {ABOUT} {TOPIC}",
    rf"what(?:'s| is) new (?:{ABOUT}|with) {TOPIC}",
    rf"what do {NEWS} (?:say|report) about {TOPIC}",
    rf"{SUMMARY} {NEWS} {ABOUT} {TOPIC}",
    rf"(?:a |the )?(?:summary|overview|rundown|recap|briefing|digest) of (?:{NEWS} {ABOUT} )?{TOPIC}",
)
TOPIC_BRIEFINGS = tuple(re.compile(rf"{POLITE}{phrasing}", re.I) for phrasing in TOPIC_PHRASINGS)
# "The latest" is a time expression, gone from the question before the phrasings above are read: "What's the latest
# on the tunnel?" would read "What's on the tunnel?", which is no news question ("What's on the ballot?"). So it is
# read first, in the question as asked.
LATEST = re.compile(
    rf"{POLITE}what(?:'s| is| are)(?: the)? (?:very )?latest(?: news| headlines| stories)?(?: (?:{ABOUT}|with) {TOPIC})?", re.I
)
WHATS = re.compile(r"\bwhats\b", re.I)  # as typed in a hurry
MIN_LEAD_WORDS = 6  # a shorter first sentence is a dateline or a byline, not what the article reports
# Around the headline in each line of a briefing: `headline_statement` writes it, `listed_headlines` reads it back.
HEADLINE_OPEN, HEADLINE_CLOSE = " — “", "”: "
LISTED_HEADLINE = re.compile(f"{re.escape(HEADLINE_OPEN)}(.+?){re.escape(HEADLINE_CLOSE)}")


@dataclass(frozen=True)
class Briefing:
    """A question that asks for the news rather than a fact: at large, or about a topic ("the trade talks")."""

    topic: str = ""


def briefing_asked(question: str) -> Briefing | None:
    """The briefing the question asks for, if it asks for one: read as asked for "the latest", then without its time
    expressions ("this week", "in June": the window the listing is drawn from)."""
    asked = _plain(question)
    latest = LATEST.fullmatch(asked)
    if latest:
        return _about(latest["topic"]) if latest["topic"] else Briefing()
    bare = _plain(without_time_expressions(asked))  # "today's headlines" → "headlines": the possessive goes too
    if BRIEFING.fullmatch(bare):
        return Briefing()
    about = next((found for pattern in TOPIC_BRIEFINGS if (found := pattern.fullmatch(bare))), None)
    return _about(about["topic"]) if about else None


def _plain(question: str) -> str:
    """The question with plain apostrophes, single spaces, and no closing punctuation."""
    text = re.sub(r"[\s?.!]+$", "", question.strip()).replace("’", "'")
    return " ".join(WHATS.sub("what's", text).split())


def _about(topic: str) -> Briefing | None:
    """A briefing on the topic; none for a "topic" without a word that carries meaning ("it")."""
    return Briefing(topic) if content_stems(topic) else None


def about_topic(topic: str, passages: list[Passage], k: int) -> list[Passage]:
    """The articles among the retrieved passages that mention every word of the topic that carries meaning (its
    headline counts; "US-China trade" is mentioned by "U.S.-China trade", "ceasefire" by "cease-fire"), one per story
    by its best-ranked passage, the newest first and undated ones last; k at most."""
    wanted = content_stems(topic)
    mentioning = [p for p in passages if share_held(wanted, offered_stems(f"{p.meta.title}\n{p.text}")) == 1.0]
    by_story: dict[str, Passage] = {}
    for passage in mentioning:  # best ranked first
        by_story.setdefault(passage.meta.story_group, passage)
    newest = sorted(by_story.values(), key=lambda p: -p.meta.published_day)[:k]  # stable: by rank within a day
    return [replace(p, rank=rank) for rank, p in enumerate(newest, start=1)]


def lead_span(passage: Passage) -> tuple[int, int]:
    """The article's first sentence that says something (offsets into the passage's text), else its first."""
    spans = statement_spans(passage)
    return spans[0] if spans else (sentences(passage.text) or ((0, len(passage.text)),))[0]


def statement_spans(passage: Passage) -> list[tuple[int, int]]:
    """The passage's sentences that say something (evidence.states_something: no question, link to another story,
    lead-in or subhead), of MIN_LEAD_WORDS or more (not a dateline or byline), and not its headline repeated."""
    title = passage.meta.title.strip().rstrip(".").casefold()
    spans = []
    for start, end in sentences(passage.text):
        text = passage.text[start:end]
        if len(text.split()) >= MIN_LEAD_WORDS and text.strip().rstrip(".").casefold() != title and states_something(text):
            spans.append((start, end))
    return spans


def headline_statement(passage: Passage, lead: str) -> str:
    """What one article of a briefing says, in one sentence, dated first as a dateline: "Jul 2, 2025, Stocktwits —
    “Trump Trade Talks: …”: China's spokesperson said …" ("Undated, …" when it has no date)."""
    meta = passage.meta
    said_by = ", ".join(part for part in (article_day(meta) or "Undated", meta.source) if part)
    title = meta.title.strip() or "Untitled"
    if title.endswith(".") and not title.endswith(".."):  # a full stop, not an ellipsis: the colon follows
        title = title[:-1]
    lead = lead.strip()
    if not ENDED.search(lead):  # a subhead or a cut-off line: the next article's line must not run on from it
        lead += "."
    return f"{said_by}{HEADLINE_OPEN}{title}{HEADLINE_CLOSE}{lead}"


def listed_headlines(answer_text: str) -> list[str]:
    """The headlines a briefing's answer listed, in order (none for any other answer)."""
    return LISTED_HEADLINE.findall(answer_text)


def topic_span(passage: Passage, topic: str) -> tuple[int, int]:
    """The passage's sentence that says something and holds most of the topic's words (the first of them), else its
    lead (the topic was in the headline)."""
    wanted = content_stems(topic)
    spans = statement_spans(passage)
    held = [share_held(wanted, offered_stems(passage.text[start:end])) for start, end in spans]
    best = max(range(len(spans)), key=held.__getitem__, default=None)  # the first of the most
    return spans[best] if best is not None and held[best] else lead_span(passage)


def briefing_evidence(passages: list[Passage], topic: str = "") -> Evidence:
    """One statement per article (the passages are one per article, newest first), each cited to its first sentence
    that says something, or to its sentence on the topic; none when no article is left."""
    statements = []
    for passage in passages:
        start, end = topic_span(passage, topic) if topic else lead_span(passage)
        statement = headline_statement(passage, passage.text[start:end])
        statements.append(EvidenceSentence(passage, start, end, 1.0, statement))
    return Evidence(statements, answerable=float(bool(statements)), answers=bool(statements), stated=True)


def briefing_answer(briefing: Briefing, passages: list[Passage]) -> Iterator[str | Draft]:
    """What a backend would yield for the briefing: its statements, or the refusal when no article is left."""
    yield from stated_answer(briefing_evidence(passages, briefing.topic)) if passages else refusal()
