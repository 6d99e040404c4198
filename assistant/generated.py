"""What every generated-answer backend shares: the prompt, refusal detection, follow-up condensing.

A subclass supplies one thing: `_chat(system, user, max_tokens)`, which streams text deltas from a chat
model and then one `Usage`. The engine checks the markers and their support afterwards.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.answer import Passage
from assistant.citations import MARKER
from assistant.context import pack_passages
from assistant.llms import AnswerBackend, Draft
from assistant.prompts import ANSWER_SYSTEM, ANSWER_USER, CONDENSE_SYSTEM, CONDENSE_USER, REFUSAL_TEXT
from assistant.text import sentences
from index.embeddings import Encoder

CONDENSE_MAX_TOKENS = 64
HISTORY_ANSWER_CHARS = 400  # each earlier answer, cut, in the condensing prompt
# "don't answer", "do not answer", "doesn't answer", "does not contain": the refusal sentence and its near misses.
REFUSAL = re.compile(r"\b(?:do|does)(?:n['’]t| not) (?:answer|contain|mention|say|provide)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int


class GeneratedBackend(AnswerBackend):
    """Answers in the model's own words from numbered passages, citing them as [n]."""

    checks_support = True

    def __init__(self, encoder: Encoder | None, context_tokens: int, max_answer_tokens: int) -> None:
        self.encoder = encoder
        self.context_tokens = context_tokens
        self.max_answer_tokens = max_answer_tokens

    @abstractmethod
    def _chat(self, system: str, user: str, max_tokens: int) -> Iterator[str | Usage]:
        """Stream the reply's text deltas, then one Usage."""

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """Tokens of `text` as the model counts them (or a close estimate)."""

    def answer(self, question: str, passages: list[Passage]) -> Iterator[str | Draft]:
        context = pack_passages(question, passages, self.context_tokens, self.count_tokens, self.encoder)
        if not context:
            yield REFUSAL_TEXT
            yield Draft(text=REFUSAL_TEXT, refused=True)
            return
        user = ANSWER_USER.format(passages="\n\n".join(map(str, context)), question=question)
        pieces: list[str] = []
        usage = Usage(0, 0)
        for item in self._chat(ANSWER_SYSTEM, user, self.max_answer_tokens):
            if isinstance(item, Usage):
                usage = item
                continue
            pieces.append(item)
            yield item
        text = without_refusal_sentences(markers_to_the_end("".join(pieces).strip()))
        tokens = {"prompt": usage.prompt_tokens, "completion": usage.completion_tokens}
        yield Draft(text=text or REFUSAL_TEXT, refused=not MARKER.search(text), tokens=tokens)

    def condense(self, question: str, history: list[tuple[str, str]]) -> str | None:
        turns = "\n".join(
            f"User: {q}\nAssistant: {MARKER.sub('', a).strip()[:HISTORY_ANSWER_CHARS]}" for q, a in history
        )
        reply = "".join(
            item
            for item in self._chat(CONDENSE_SYSTEM, CONDENSE_USER.format(history=turns, question=question), CONDENSE_MAX_TOKENS)
            if isinstance(item, str)
        )
        return clean_condensed(reply, question)


LEADING_MARKER = re.compile(r"^\s*(?:[-*•]\s*)?((?:\[\d+\]\s*)+)[:.\-–]?\s*(.+?)\s*$")


def markers_to_the_end(text: str) -> str:
    """Lines written as "[2] China denied talks." become "China denied talks [2]." (markers close claims)."""
    lines = []
    for line in text.splitlines():
        found = LEADING_MARKER.match(line)
        if found:
            markers = " ".join(re.findall(r"\[\d+\]", found.group(1)))
            body = found.group(2)
            stop = len(body.rstrip(".!?")) if body[-1:] in ".!?" else len(body)
            line = f"{body[:stop].rstrip()} {markers}{body[stop:] or '.'}"
        lines.append(line)
    return "\n".join(lines)


def without_refusal_sentences(text: str) -> str:
    """Drop refusal sentences (and uncited hedges like it) when the answer also makes cited claims."""
    if not MARKER.search(text):
        return text
    spans = sentences(text)
    kept = [text[s:e] for s, e in spans if not (REFUSAL.search(text[s:e]) and not MARKER.search(text[s:e]))]
    return " ".join(kept)


def clean_condensed(reply: str, question: str) -> str | None:
    """The first line of the model's rewrite, or None when it is empty or not a question-sized line."""
    line = next((ln.strip() for ln in reply.strip().splitlines() if ln.strip()), "")
    line = re.sub(r"^(?:rewritten question|question)\s*:\s*", "", line, flags=re.IGNORECASE).strip().strip('"“”')
    if not line or len(line) > 3 * len(question) + 200:
        return None
    return line
