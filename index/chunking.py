"""Sentence-aware token chunks with character offsets into the cleaned article.

A chunk is a run of whole sentences whose token count fits every limit it is given: the tiktoken
budget (the chunk size people set) and, when an embedder is known, the embedder's own input length,
so that no chunk loses its tail to the embedder's truncation. Consecutive chunks share up to
`overlap_tokens` tokens of trailing sentences. A chunk is also never longer than `max_chars` characters: text
without sentence or word breaks (a 1 MB line without spaces) is cut at that length, where token counts alone
would let one "word" through whole.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from typing import Any

CountTokens = Callable[[list[str]], list[int]]
CHARS_PER_TOKEN = 8  # the default character cap per token of budget: news prose runs at 4-5 characters a token

ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "inc", "corp", "co", "ltd", "gov", "sen", "rep", "gen",
    "lt", "col", "sgt", "capt", "no", "vs", "u.s", "u.k", "u.n", "e.g", "i.e", "a.m", "p.m", "jan", "feb", "mar",
    "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mt", "ft", "approx", "est", "dept", "univ",
}  # fmt: skip
SENTENCE_BREAK = re.compile(r"(?<=[.!?])[\"”’')\]]*\s+(?=[\"“‘'(\[]?[A-Z0-9])")
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
WORD_BEFORE_PERIOD = re.compile(r"([\w.]+)\.[\"”’')\]]*$")
WORDS = re.compile(r"\S+")


@dataclass(frozen=True)
class TokenLimit:
    """A tokenizer's counter and the most tokens a chunk may hold by it."""

    name: str
    count: CountTokens
    limit: int


@dataclass(frozen=True)
class Chunk:
    id: str
    article_id: str
    index: int
    text: str
    start: int
    end: int


def tiktoken_limit(max_tokens: int, encoding: str = "cl100k_base") -> TokenLimit:
    return TokenLimit(name=f"tiktoken:{encoding}", count=_tiktoken_counter(encoding), limit=max_tokens)


@lru_cache(maxsize=2)
def tiktoken_encoding(encoding: str = "cl100k_base") -> Any:
    """The tiktoken codec, loaded once. TIKTOKEN_CACHE_DIR (index/offline.py) points at the encodings llama-index
    bundles: tiktoken never downloads."""
    import tiktoken

    return tiktoken.get_encoding(encoding)


@lru_cache(maxsize=2)
def _tiktoken_counter(encoding: str) -> CountTokens:
    codec = tiktoken_encoding(encoding)
    # One text after another: encode_ordinary_batch starts a pool of 8 threads for every call (two calls an article),
    # which on a small machine cost more than the counting and took CPU from the encoder running beside it.
    return lambda texts: [len(codec.encode_ordinary(text)) for text in texts]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, trimmed of surrounding whitespace; paragraphs always end one."""
    spans: list[tuple[int, int]] = []
    paragraph_start = 0
    for paragraph_end in [m.start() for m in PARAGRAPH_BREAK.finditer(text)] + [len(text)]:
        sentence_start = paragraph_start
        for brk in SENTENCE_BREAK.finditer(text, paragraph_start, paragraph_end):
            # brk starts right after the terminal punctuation: closing quotes belong to the sentence.
            closing = len(brk.group()) - len(brk.group().lstrip("\"”’')]"))
            end = brk.start() + closing
            if ends_with_abbreviation(text[sentence_start:end]):
                continue
            _append_trimmed(spans, text, sentence_start, end)
            sentence_start = brk.end()
        _append_trimmed(spans, text, sentence_start, paragraph_end)
        match = PARAGRAPH_BREAK.search(text, paragraph_end)
        paragraph_start = match.end() if match else len(text)
    return spans


def ends_with_abbreviation(sentence: str) -> bool:
    """Is the last full stop an abbreviation's ("the U.S.", "Mr.", "J.")? Then it ends no sentence of its own."""
    found = WORD_BEFORE_PERIOD.search(sentence)
    if not found:
        return False
    word = found.group(1)
    return word.lower() in ABBREVIATIONS or (len(word) == 1 and word.isupper())


def _append_trimmed(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        lead = len(piece) - len(piece.lstrip())
        spans.append((start + lead, start + lead + len(stripped)))


def chunk_text(
    article_id: str, text: str, limits: Sequence[TokenLimit], overlap_tokens: int, max_chars: int | None = None
) -> list[Chunk]:
    """Pack whole sentences into chunks that fit every limit and `max_chars` (None: no character cap); limits[0]
    also measures the overlap."""
    cap = max_chars or max(len(text), 1)
    spans, counts = _fit_spans(text, sentence_spans(text), limits, cap)
    if not spans:
        return []
    totals = _running_totals(counts)
    groups: list[tuple[int, int]] = []  # [first, last) sentence indexes of each chunk
    first = 0
    while first < len(spans):
        last = first + 1
        while last < len(spans) and _fits(spans, totals, limits, cap, first, last + 1):
            last += 1
        groups.append((first, last))
        if last >= len(spans):
            break
        first = _overlap_start(first, last, spans, totals, limits, overlap_tokens, cap)
    return _make_chunks(article_id, text, spans, groups)


def _running_totals(counts: list[list[int]]) -> list[list[int]]:
    """Per limit, the tokens of pieces [0, i) at i: a run's tokens are then one subtraction."""
    return [list(accumulate(c, initial=0)) for c in counts]


def _fits(
    spans: list[tuple[int, int]], totals: list[list[int]], limits: Sequence[TokenLimit], cap: int, first: int, last: int
) -> bool:
    """Do spans[first:last] fit every token limit and the character cap as one chunk? (totals: _running_totals)"""
    if spans[last - 1][1] - spans[first][0] > cap:
        return False
    return all(t[last] - t[first] <= lim.limit for t, lim in zip(totals, limits, strict=True))


def _overlap_start(
    first: int,
    last: int,
    spans: list[tuple[int, int]],
    totals: list[list[int]],
    limits: Sequence[TokenLimit],
    overlap: int,
    cap: int,
) -> int:
    """Where the next chunk starts: the trailing sentences of this one that fit the overlap, if the next sentence still fits."""
    start = last
    while start - 1 > first and totals[0][last] - totals[0][start - 1] <= overlap:
        start -= 1
    while start < last and not _fits(spans, totals, limits, cap, start, last + 1):
        start += 1
    return start


def _fit_spans(
    text: str, spans: list[tuple[int, int]], limits: Sequence[TokenLimit], cap: int
) -> tuple[list[tuple[int, int]], list[list[int]]]:
    """Sentences longer than a limit are cut into runs of whole words that fit. Returns the pieces and, per limit,
    their token counts (a whole sentence's count is the one already taken, so each sentence is tokenized once)."""
    fitted: list[tuple[int, int]] = []
    sentence_counts = [limit.count([text[s:e] for s, e in spans]) for limit in limits]
    fitted_counts: list[list[int]] = [[] for _ in limits]
    for i, (start, end) in enumerate(spans):
        if end - start <= cap and all(counts[i] <= lim.limit for counts, lim in zip(sentence_counts, limits, strict=True)):
            fitted.append((start, end))
            for kept, counts in zip(fitted_counts, sentence_counts, strict=True):
                kept.append(counts[i])
        else:
            pieces = _split_words(text, start, end, limits, cap)
            fitted.extend(pieces)
            for kept, limit in zip(fitted_counts, limits, strict=True):
                kept.extend(limit.count([text[s:e] for s, e in pieces]))
    return fitted, fitted_counts


def _split_words(text: str, start: int, end: int, limits: Sequence[TokenLimit], cap: int) -> list[tuple[int, int]]:
    """Runs of whole words that fit; a word that alone is over a limit is cut into pieces first."""
    words = [(m.start(), m.end()) for m in WORDS.finditer(text, start, end)]
    word_counts = [limit.count([text[s:e] for s, e in words]) for limit in limits]
    totals = _running_totals(word_counts)
    if any(not _fits(words, totals, limits, cap, i, i + 1) for i in range(len(words))):
        words = [cut for i, (s, e) in enumerate(words) for cut in _split_oversized(text, s, e, limits, cap, word_counts, i)]
        totals = _running_totals([limit.count([text[s:e] for s, e in words]) for limit in limits])
    pieces: list[tuple[int, int]] = []
    first = 0
    while first < len(words):
        last = first + 1
        while last < len(words) and _fits(words, totals, limits, cap, first, last + 1):
            last += 1
        pieces.append((words[first][0], words[last - 1][1]))
        first = last
    return pieces


def _split_oversized(
    text: str, start: int, end: int, limits: Sequence[TokenLimit], cap: int, counts: list[list[int]], index: int
) -> list[tuple[int, int]]:
    """The word whole when it fits, else equal cuts of at most `cap` characters, halved until each fits every limit."""
    if end - start <= cap and all(c[index] <= lim.limit for c, lim in zip(counts, limits, strict=True)):
        return [(start, end)]
    step = min(cap, end - start)
    while True:
        cuts = [(s, min(s + step, end)) for s in range(start, end, step)]
        if step == 1 or all(max(lim.count([text[s:e] for s, e in cuts])) <= lim.limit for lim in limits):
            return cuts
        step = max(1, step // 2)


def _make_chunks(article_id: str, text: str, spans: list[tuple[int, int]], groups: list[tuple[int, int]]) -> list[Chunk]:
    chunks: list[Chunk] = []
    seen_ids: set[str] = set()
    for index, (first, last) in enumerate(groups):
        start, end = spans[first][0], spans[last - 1][1]
        piece = text[start:end]
        chunk_id = chunk_id_for(article_id, piece)
        if chunk_id in seen_ids:  # the same text twice in one article: keep ids unique
            chunk_id = chunk_id_for(article_id, f"{piece}\x00{index}")
        seen_ids.add(chunk_id)
        chunks.append(Chunk(id=chunk_id, article_id=article_id, index=index, text=piece, start=start, end=end))
    return chunks


def chunk_id_for(article_id: str, text: str) -> str:
    """Stable across runs: the same article and chunk text always give the same id."""
    return hashlib.sha256(f"{article_id}\x00{text}".encode()).hexdigest()[:32]
