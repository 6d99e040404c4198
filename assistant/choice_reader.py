"""A language model's reading of a multiple-choice question: how likely it finds each choice, given the evidence.

The fitted choice model (assistant/evidence.py) decides; the reading is one more measured input to it, for a
backend that can score tokens (the local llama.cpp model). The model sees a few excerpts (the likeliest sentences
and the likeliest sentence naming each choice), the question and its choices lettered A, B, … with one more,
"The excerpts do not say". Its next-token distribution over those letters is read in one forward pass: nothing is
generated, so the reading costs one prompt's worth of time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from assistant.prompts import CHOICE_OPTION, CHOICE_SYSTEM, CHOICE_USER, NOT_STATED

LETTERS = "ABCDEFGHIJ"
READER_FEATURES = (
    "reader",  # the model's probability for the choice
    "reader_none",  # … for "the excerpts do not say"
    "reader_top",  # the choice is the model's likeliest letter
)


class ChoiceReader(Protocol):
    def letter_probabilities(self, system: str, user: str, letters: str) -> np.ndarray:
        """P(the reply starts with each of `letters`), normalised over them."""


def choice_prompt(stem: str, choices: Sequence[str], excerpts: Sequence[str]) -> str:
    """The user turn: excerpts, the question, its choices and "The excerpts do not say", lettered."""
    options = [*choices, NOT_STATED]
    lettered = "\n".join(CHOICE_OPTION.format(letter=LETTERS[i], text=text) for i, text in enumerate(options))
    return CHOICE_USER.format(excerpts="\n".join(excerpts), question=stem, options=lettered)


def read_choices(reader: ChoiceReader, stem: str, choices: Sequence[str], excerpts: Sequence[str]) -> np.ndarray:
    """The model's distribution over the choices and, last, "the excerpts do not say"."""
    return reader.letter_probabilities(CHOICE_SYSTEM, choice_prompt(stem, choices, excerpts), LETTERS[: len(choices) + 1])


def reader_rows(distribution: np.ndarray) -> np.ndarray:
    """One row of READER_FEATURES per choice, from a distribution over the choices and "not stated" (last)."""
    choices = distribution[:-1]
    top = int(np.argmax(distribution))
    return np.array([[p, distribution[-1], float(top == c)] for c, p in enumerate(choices)], dtype=np.float64)
