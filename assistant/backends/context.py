"""The passages a generated answer is drawn from, packed into a token budget.

Prompt tokens are the slow part on a CPU (a 1.5B model reads ~165 tokens/s here), so each passage is cut
to its sentences most relevant to the question (kept in their order, with "…" for what was left out),
and passages are added best first until the budget is spent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from assistant.answer import Passage
from assistant.prompts import PASSAGE_HEADER
from assistant.question import Question
from assistant.text import content_stems, sentences
from index.embeddings import Encoder

GAP = " … "

TokenCounter = Callable[[str], int]


@dataclass(frozen=True)
class ContextPassage:
    number: int
    text: str  # header line, then the (trimmed) passage text

    def __str__(self) -> str:
        return self.text


def relevant_sentences(question: Question, text: str, encoder: Encoder | None, keep: int) -> list[tuple[int, int]]:
    """Spans of the `keep` sentences closest to the question (word overlap plus meaning), in text order."""
    spans = sentences(text) or [(0, len(text))]
    if len(spans) <= keep:
        return spans
    scores = sentence_scores(question, [text[s:e] for s, e in spans], encoder)
    chosen = sorted(np.argsort(-scores, kind="stable")[:keep])
    return [spans[i] for i in chosen]


def sentence_scores(question: Question, texts: list[str], encoder: Encoder | None) -> np.ndarray:
    wanted = content_stems(question.text)
    lexical = np.array([len(wanted & content_stems(t)) / max(len(wanted), 1) for t in texts])
    if encoder is None:
        return lexical
    return lexical + encoder.encode(texts) @ question.vector


def trimmed_text(text: str, spans: list[tuple[int, int]], tag: str = "") -> str:
    """The kept sentences, "…" where some were left out; `tag` (" [n]") after each sentence, because a small
    model copies a marker that sits next to the fact far more reliably than one in a header lines above."""
    pieces: list[str] = []
    previous_end: int | None = None
    for start, end in spans:
        if previous_end is not None and text[previous_end:start].strip():
            pieces.append(GAP.strip())
        pieces.append(text[start:end] + tag)
        previous_end = end
    if spans and spans[0][0] > 0 and text[: spans[0][0]].strip():
        pieces.insert(0, GAP.strip())
    return " ".join(pieces)


def pack_passages(
    question: Question,
    passages: list[Passage],
    budget_tokens: int,
    count_tokens: TokenCounter,
    encoder: Encoder | None,
    keep: int,
    tag_sentences: bool = True,
) -> list[ContextPassage]:
    """Numbered, trimmed passages (numbered by rank, as the markers must be) within `budget_tokens`."""
    packed: list[ContextPassage] = []
    used = 0
    for passage in passages:
        header = PASSAGE_HEADER.format(
            number=passage.rank,
            title=passage.meta.title or "untitled",
            source=passage.meta.source or "unknown",
            published=passage.meta.published or "unknown",
        )
        spans = relevant_sentences(question, passage.text, encoder, keep) if keep > 0 else [(0, len(passage.text))]
        # Drop the least relevant sentences until the passage fits what is left of the budget.
        while spans:
            block = f"{header}\n{trimmed_text(passage.text, spans, f' [{passage.rank}]' if tag_sentences else '')}"
            cost = count_tokens(block)
            if used + cost <= budget_tokens:
                packed.append(ContextPassage(passage.rank, block))
                used += cost
                break
            if len(spans) == 1:
                spans = []
                break
            scores = sentence_scores(question, [passage.text[s:e] for s, e in spans], encoder)
            spans.pop(int(np.argmin(scores)))
        if not spans:
            break  # the budget is spent: lower-ranked passages would not fit either
    return packed
