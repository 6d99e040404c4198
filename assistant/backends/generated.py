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
from assistant.backends.base import AnswerBackend, Draft, refusal
from assistant.backends.context import ContextPassage, pack_passages
from assistant.backends.extractive import ExtractiveBackend
from assistant.citations import MARKER, parse_claims
from assistant.config import Settings
from assistant.prompts import (
    ANSWER_ONLY_SYSTEM,
    ANSWER_SYSTEM,
    ANSWER_USER,
    CONDENSE_SYSTEM,
    CONDENSE_USER,
    CONFLICT_SYSTEM,
    CONFLICT_USER,
    DISAGREEMENT_LEAD,
    REFUSAL_TEXT,
)
from assistant.question import Question
from assistant.text import content_stems, sentences, stem
from index.embeddings import Encoder

CONDENSE_MAX_TOKENS = 64
PARTIAL_MARKER = re.compile(r"\[\d*(?:\s*,\s*\d*)*\]?")  # "[2", "[2]", "[1, 3]": a marker, whole or arriving
RETRY_PASSAGES = 3  # the second try, after a refusal of answerable passages, reads a shorter prompt
RETRY_SENTENCES = 2
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
    check_other_side = True  # look for a contradicting article the answer left out (see _other_side)

    def __init__(self, settings: Settings, encoder: Encoder | None) -> None:
        self.settings = settings
        self.encoder = encoder
        self.context_tokens = settings.context_tokens
        self.max_answer_tokens = settings.max_answer_tokens
        # The context holds the passages, the answer and the prompt around them.
        self.n_ctx = settings.context_tokens + settings.max_answer_tokens + settings.prompt_overhead_tokens

    @abstractmethod
    def _chat(self, system: str, user: str, max_tokens: int) -> Iterator[str | Usage]:
        """Stream the reply's text deltas, then one Usage."""

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """Tokens of `text` as the model counts them (or a close estimate)."""

    def _pack(self, question: Question, passages: list[Passage], keep: int | None = None) -> list[ContextPassage]:
        keep = self.settings.sentences_per_passage if keep is None else keep
        return pack_passages(question, passages, self.context_tokens, self.count_tokens, self.encoder, keep)

    def _picker(self, max_sentences: int = 1) -> ExtractiveBackend | None:
        """The extractive backend's sentence picking and answerability test, which the fallbacks below use."""
        return ExtractiveBackend(self.encoder, self.settings.extractive, max_sentences) if self.encoder else None

    def answer(self, question: Question, passages: list[Passage]) -> Iterator[str | Draft]:
        context = self._pack(question, passages)
        if not context:
            yield from refusal()
            return
        tokens = {"prompt": 0, "completion": 0}
        pieces: list[str] = []
        first_try = self._chat(ANSWER_SYSTEM, answer_prompt(question.text, context), self.max_answer_tokens)
        for delta in self._held_back_refusal(first_try, tokens):
            pieces.append(delta)
            yield delta
        if not pieces and self._answerable(question, passages):
            # The small model refuses too readily when the passages are long; where they plainly cover the
            # question (the extractive backend's test), ask once more, on the best passages' most relevant
            # sentences, without the refusal option. What it says then still has to pass the support check, or
            # the answer becomes the refusal after all.
            short = self._pack(question, passages[:RETRY_PASSAGES], keep=RETRY_SENTENCES)
            retry = self._complete(ANSWER_ONLY_SYSTEM, answer_prompt(question.text, short), self.max_answer_tokens, tokens)
            if _says_nothing(retry):
                retry = self._quote_pointed_passage(question, passages, retry)
            if retry:
                pieces.append(retry)
                yield retry
        text = without_refusal_sentences(markers_to_the_end(sources_to_markers("".join(pieces).strip())))
        if MARKER.search(text) and self.check_other_side:
            other = self._other_side(question, passages, text, context, tokens)
            if other:
                addition = f" {DISAGREEMENT_LEAD} {other}"
                yield addition
                text += addition
        yield Draft(claims=parse_claims(text), refused=not MARKER.search(text), tokens=tokens)

    def _held_back_refusal(self, stream: Iterator[str | Usage], tokens: dict[str, int]) -> Iterator[str]:
        """The stream's text, except a reply that is only the refusal sentence or only markers: that yields
        nothing (held back while it could still become one), so the caller can try again."""
        held = ""
        releasing = False
        for item in stream:
            if isinstance(item, Usage):
                tokens["prompt"] += item.prompt_tokens
                tokens["completion"] += item.completion_tokens
                continue
            if releasing:
                yield item
                continue
            held += item
            if not _normalised(REFUSAL_TEXT).startswith(_normalised(PARTIAL_MARKER.sub("", held))):
                releasing = True
                yield held
        if not releasing and not _says_nothing(held):
            yield held

    def _quote_pointed_passage(self, question: Question, passages: list[Passage], reply: str) -> str:
        """A reply that is only "[2]" still says the answer is there: quote the best answering sentence (as the
        extractive backend picks it) of the passage it names, or else of the passages the second try read."""
        picker = self._picker()
        if picker is None:
            return ""
        numbers = [int(n) for n in re.findall(r"\[(\d+)\]", reply)]
        pointed = [p for p in passages if numbers and p.rank == numbers[0]]
        picked = picker.pick_sentences(question, pointed) if pointed else []
        picked = picked or picker.pick_sentences(question, passages[:RETRY_PASSAGES])
        return f"{picked[0].text} [{picked[0].passage.rank}]" if picked else ""

    def _answerable(self, question: Question, passages: list[Passage]) -> bool:
        picker = self._picker()
        return picker is not None and picker.answerable(question.text, passages)

    def _other_side(
        self, question: Question, passages: list[Passage], text: str, context: list[ContextPassage], tokens: dict[str, int]
    ) -> str | None:
        """What the best-ranked article the answer does not cite says, when it contradicts the answer.

        The 1.5B model seldom notices on its own that two articles disagree, however the prompt asks, and asked
        about the left-out article alone it mostly refuses; so that article's best answering sentences are
        picked as the extractive backend picks them (exact text), and the model only judges whether they
        contradict the answer, in one word.
        """
        picker = self._picker()
        if picker is None:
            return None
        cited = {int(n) for m in MARKER.finditer(text) for n in re.split(r"\s*,\s*", m.group(1))}
        by_rank = {p.rank: p for p in passages}
        cited_articles = {by_rank[n].meta.id for n in cited if n in by_rank}
        others = [p for p in passages if p.meta.id not in cited_articles and p.rank in {c.number for c in context}]
        if not cited_articles or not others:
            return None
        own = [p for p in others if p.meta.id == others[0].meta.id]
        if not picker.answerable(question.text, own):
            return None
        picked = picker.pick_sentences(question, own)
        if not picked:
            return None
        sentence = picked[0]
        verdict = self._complete(
            CONFLICT_SYSTEM, CONFLICT_USER.format(first=MARKER.sub("", text), second=sentence.text), 3, tokens
        )
        return f"{sentence.text} [{sentence.passage.rank}]" if verdict.strip().lower().startswith("yes") else None

    def _complete(self, system: str, user: str, max_tokens: int, tokens: dict[str, int]) -> str:
        """A whole reply, its token counts added to `tokens`."""
        pieces: list[str] = []
        for item in self._chat(system, user, max_tokens):
            if isinstance(item, Usage):
                tokens["prompt"] += item.prompt_tokens
                tokens["completion"] += item.completion_tokens
            else:
                pieces.append(item)
        return "".join(pieces)

    def condense(self, question: str, history: list[tuple[str, str]]) -> str | None:
        turns = "\n".join(f"User: {q}\nAssistant: {MARKER.sub('', a).strip()[:HISTORY_ANSWER_CHARS]}" for q, a in history)
        reply = self._complete(
            CONDENSE_SYSTEM,
            CONDENSE_USER.format(history=turns, question=question),
            CONDENSE_MAX_TOKENS,
            {"prompt": 0, "completion": 0},
        )
        return clean_condensed(reply, question)


def _says_nothing(reply: str) -> bool:
    """Only the refusal sentence, or only markers."""
    return _normalised(PARTIAL_MARKER.sub("", reply)) in ("", _normalised(REFUSAL_TEXT))


def _normalised(text: str) -> str:
    return " ".join(text.replace("’", "'").lower().split())


def answer_prompt(question: str, context: list[ContextPassage]) -> str:
    return ANSWER_USER.format(passages="\n\n".join(map(str, context)), question=question)


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


PASSAGE_WORD = re.compile(r"\b(?:passages?|sources?)\s*(?=\[\d)", re.IGNORECASE)
ONLY_ATTRIBUTION = frozenset(
    stem(w) for w in "stated mentioned reported said seen see both passage passages source sources".split()
)


def sources_to_markers(text: str) -> str:
    """ "June. This is stated in passage [1] and passage [2]." → "June [1] [2]." : a sentence that only says where
    the previous one comes from hands its markers to that sentence."""
    text = PASSAGE_WORD.sub("", text)
    out: list[str] = []
    for start, end in sentences(text):
        piece = text[start:end]
        numbers = MARKER.findall(piece)
        if out and numbers and content_stems(MARKER.sub("", piece)) <= ONLY_ATTRIBUTION:
            out[-1] = out[-1] + "".join(f" [{n}]" for n in numbers)
            continue
        out.append(piece)
    return " ".join(out)


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
