"""A question as the engine passes it on: its text and its vector, computed once per question."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Question:
    text: str  # validated and whitespace-normalised; the standalone rewrite for a follow-up
    vector: np.ndarray  # the encoder's unit vector for `text`: retrieval and answering share it
    choices: tuple[str, ...] = ()  # the options a multiple-choice question ends with (assistant/choices.py)
