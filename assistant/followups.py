"""Rule-based rewriting of a follow-up question into a standalone one (used when no model is configured)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.citations import MARKER
from assistant.text import STOPWORDS, content_stems, mostly_lower_case

PERSON_PRONOUN = re.compile(r"\b(he|she|him|her)\b", re.IGNORECASE)
POSSESSIVE_PRONOUN = re.compile(r"\b(his|hers)\b", re.IGNORECASE)
OTHER_REFERENCE = re.compile(r"\b(it|its|they|them|their|this|that|these|those|there|then)\b", re.IGNORECASE)
TOPIC_SKIP = frozenset("who what when where which why how is are was were the a an do does did".split())
# "the second one", "the last story", "number 3", "[2]": an item of a listing the last answer gave (a briefing).
ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "fifth": 5, "5th": 5}
LISTED_ITEM = re.compile(
    rf"\b(?:the )?(?P<ordinal>{'|'.join(ORDINALS)}|last) (?:one|story|article|item|headline)\b"
    r"|\b(?:number|no\.|#) ?(?P<number>[1-9]\d?)\b|\[(?P<marker>[1-9]\d?)\]",
    re.I,
)
# Two or more capitalised words in a row ("Ryosei Akazawa"): the likeliest referent of "he" or "she".
CAPITALISED_RUN = re.compile(r"\b[A-Z][a-z’'\-]+(?:\s+[A-Z][a-z’'\-]+)+\b")
SENTENCE_END = re.compile(r"(?:^|[.!?]\s+)$")


def rewrite_followup(question: str, history: list[tuple[str, str]]) -> str:
    """Replace pronouns with what the last turn was about; add the last question's topic when still vague."""
    if not history:
        return question
    last_question, _ = history[-1]
    rewritten = question
    name = last_named(history)
    if name:
        rewritten = POSSESSIVE_PRONOUN.sub(f"{name}'s", PERSON_PRONOUN.sub(name, rewritten))
    # Only a question that points back ("is that true?") or says almost nothing ("And Japan?") borrows the topic;
    # a new question with its own subject ("What is the weather on Mars?") stands alone.
    if rewritten == question and (OTHER_REFERENCE.search(question) or len(content_stems(question)) <= 1):
        topic = " ".join(w for w in last_question.rstrip("?").split() if w.lower() not in TOPIC_SKIP)
        rewritten = f"{question.rstrip('?')} ({topic})?"
    return rewritten


def last_named(history: list[tuple[str, str]]) -> str | None:
    """The person the conversation was last about: the first full name of the latest turn that has one, its answer
    before its question. A turn may name no one ("What did Biden say about her?", refused): "she" is still whom the
    turn before named."""
    for question, answer in reversed(history):
        name = _first_name(MARKER.sub("", answer)) or _first_name(question)
        if name:
            return name
    return None


def _first_name(text: str) -> str | None:
    """The first run of two or more capitalised words, less the words a sentence opens with that are no name ("In
    Washington", "The Chinese"): an answer often opens with the name ("Ryosei Akazawa is Japan's chief negotiator")."""
    for found in CAPITALISED_RUN.finditer(text):
        words = found.group().split()
        if SENTENCE_END.search(text[: found.start()]):
            while words and (words[0].lower() in STOPWORDS or mostly_lower_case(words[0])):
                words.pop(0)
        if len(words) >= 2:
            return " ".join(words)
    return None


def with_listed_item(question: str, headlines: Sequence[str]) -> str | None:
    """The question with "the second one" (of the headlines the last answer listed: `briefing.listed_headlines`)
    replaced by that headline, in quotes: "Tell me more about “Port strike ends”". None when it names no item, or
    none was listed."""
    found = LISTED_ITEM.search(question)
    if not headlines or not found:
        return None
    ordinal = (found["ordinal"] or "").lower()
    number = len(headlines) if ordinal == "last" else ORDINALS.get(ordinal) or int(found["number"] or found["marker"])
    if not 1 <= number <= len(headlines):
        return None
    return f"{question[: found.start()]}“{headlines[number - 1]}”{question[found.end() :]}"
