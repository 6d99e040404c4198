"""What the evidence says about each choice of a multiple-choice question: one feature row per choice.

Pure arithmetic over the scored sentences (their texts, the sentence ranker's probabilities, word overlap and
closeness in meaning with the question) and the passages' words around each mention of a choice; the evidence
selector wires it to the fitted choice model.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.choices import named_choices, normalized
from assistant.text import STOPWORDS, stem

CHOICE_FEATURES = (
    "named",  # some sentence names the choice
    "probability",  # the best ranker probability of a sentence naming it
    "probability_alone",  # … of a sentence naming it and no other choice
    "probability_gap",  # its best probability less the best of the other choices'
    "lexical",  # the best word overlap with the question of a sentence naming it
    "semantic",  # the best closeness in meaning to the question of a sentence naming it
    "names",  # the best share of the question's names and numbers in a sentence naming it
    "hypothesis",  # closeness in meaning of its best sentence to the question with the choice as its answer
    "window",  # the most of the question's words some passage has near a mention of it (window_shares)
    "window_gap",  # … less the most any other choice has
    "top_share",  # share of the five likeliest sentences that name it
    "passage_share",  # share of the passages that name it
    "others_named",  # share of the other choices named somewhere
    "negated_absent",  # "which is not …": it is not named while most others are
    "negated_named",  # "which is not …": it is named
)
TOP_SENTENCES = 5
WINDOW_WORDS = 10  # the question's words this close to a mention of a choice count for it


@dataclass(frozen=True)
class SentenceScores:
    """The candidate sentences of one question: their passages' ranks and their scores for the question."""

    texts: Sequence[str]
    passage_ranks: Sequence[int]
    probability: np.ndarray  # the sentence ranker's
    lexical: np.ndarray
    semantic: np.ndarray
    names: np.ndarray


def naming_matrix(texts: Sequence[str], choices: tuple[str, ...]) -> np.ndarray:
    """[sentence, choice]: the sentence names the choice."""
    naming = np.zeros((len(texts), len(choices)), dtype=bool)
    for s, text in enumerate(texts):
        naming[s, named_choices(text, choices)] = True
    return naming


def best_sentences(naming: np.ndarray, probability: np.ndarray) -> np.ndarray:
    """For each choice the index of the likeliest sentence naming it (−1: none names it)."""
    return np.where(naming.any(axis=0), np.where(naming, probability[:, None], -np.inf).argmax(axis=0), -1)


def window_shares(question: str, choices: tuple[str, ...], passages: Sequence[str], ignored: frozenset[str]) -> np.ndarray:
    """Per choice, the largest share of the question's words (each weighed by how few passages hold it) that one
    passage has within WINDOW_WORDS words of a mention of the choice: the sliding window of MCTest (Richardson et al.,
    2013). It reads where a choice is named, which a sentence that names every choice cannot tell ("Humphries beat
    Littler …, a year after Rob Cross …"). Words of `ignored` (the question words) and of the choices do not count."""
    phrases = [stemmed_words(c) for c in choices]
    own = {w for phrase in phrases for w in phrase}
    wanted = set(stemmed_words(question, content_only=True)) - ignored - own
    texts = [stemmed_words(p) for p in passages]
    weight = {w: math.log(1 + (len(texts) + 1) / (sum(w in t for t in texts) + 0.5)) for w in wanted}
    total = sum(weight.values())
    shares = np.zeros(len(choices))
    if not total:
        return shares
    for words in texts:
        for c, phrase in enumerate(phrases):
            for start in mentions(words, phrase):
                end = start + len(phrase)
                near = set(words[max(0, start - WINDOW_WORDS) : start]) | set(words[end : end + WINDOW_WORDS])
                shares[c] = max(shares[c], sum(weight[w] for w in wanted & near) / total)
    return shares


def stemmed_words(text: str, content_only: bool = False) -> list[str]:
    """The stems of `text`'s words as `normalized` splits them, so that a choice, a question and a passage are read
    alike; `content_only` leaves out stopwords and one-letter words."""
    words = normalized(text).split()
    return [stem(w) for w in words if not content_only or (len(w) > 1 and w not in STOPWORDS)]


def mentions(words: list[str], phrase: list[str]) -> Iterator[int]:
    """Where `phrase` starts in `words` (none for an empty phrase)."""
    if phrase:
        yield from (i for i in range(len(words) - len(phrase) + 1) if words[i : i + len(phrase)] == phrase)


def choice_rows(
    scores: SentenceScores,
    naming: np.ndarray,
    hypothesis: np.ndarray,
    window: np.ndarray,
    choices: tuple[str, ...],
    negated: bool,
) -> np.ndarray:
    """One row of CHOICE_FEATURES per choice. `hypothesis` and `window` are per choice (`hypothesis` 0 where no
    sentence names it)."""
    passage_ranks, probability = scores.passage_ranks, scores.probability
    alone = naming & (naming.sum(axis=1, keepdims=True) == 1)
    top = np.argsort(-probability, kind="stable")[:TOP_SENTENCES]
    ranks = sorted(set(passage_ranks))
    in_passage = np.array([[naming[np.asarray(passage_ranks) == r, c].any() for c in range(len(choices))] for r in ranks])
    named: np.ndarray = np.asarray(naming.any(axis=0))

    def best(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return np.where(mask.any(axis=0), np.where(mask, values[:, None], -np.inf).max(axis=0), 0.0)

    best_probability = best(probability, naming)
    rows = []
    for c in range(len(choices)):
        others = [o for o in range(len(choices)) if o != c]
        others_named = float(named[others].mean()) if others else 0.0
        values = {
            "named": float(named[c]),
            "probability": best_probability[c],
            "probability_alone": best(probability, alone)[c],
            "probability_gap": best_probability[c] - max((best_probability[o] for o in others), default=0.0),
            "lexical": best(scores.lexical, naming)[c],
            "semantic": best(scores.semantic, naming)[c],
            "names": best(scores.names, naming)[c],
            "hypothesis": float(hypothesis[c]),
            "window": float(window[c]),
            "window_gap": float(window[c] - max((window[o] for o in others), default=0.0)),
            "top_share": float(naming[top, c].mean()) if len(top) else 0.0,
            "passage_share": float(in_passage[:, c].mean()) if len(ranks) else 0.0,
            "others_named": others_named,
            "negated_absent": float(negated and not named[c] and others_named >= 0.5),
            "negated_named": float(negated and named[c]),
        }
        rows.append([values[name] for name in CHOICE_FEATURES])
    return np.array(rows, dtype=np.float64)
