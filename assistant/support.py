"""Does a cited passage support a claim? Lexical overlap, then meaning (embedding cosine) as a second chance."""

from __future__ import annotations

from assistant.answer import Passage
from assistant.citations import lexical_support
from assistant.text import sentences
from index.embeddings import Encoder

# Thresholds: a claim is supported when enough of its content words are in the passage, or when it is close
# in meaning to one of the passage's sentences.
MIN_LEXICAL_SUPPORT = 0.6
MIN_SEMANTIC_SUPPORT = 0.6


class SupportChecker:
    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder

    def __call__(self, claim: str, passage: Passage) -> bool:
        if lexical_support(claim, passage) >= MIN_LEXICAL_SUPPORT:
            return True
        spans = sentences(passage.text)
        if not spans:
            return False
        vectors = self.encoder.encode([claim] + [passage.text[s:e] for s, e in spans])
        return float((vectors[1:] @ vectors[0]).max()) >= MIN_SEMANTIC_SUPPORT
