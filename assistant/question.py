"""A question as the engine passes it on: its text and its vector, computed once per question."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.choices import split_choices


@dataclass(frozen=True)
class Question:
    text: str  # validated and whitespace-normalised; the standalone rewrite for a follow-up
    vector: np.ndarray  # the encoder's unit vector for `text`: retrieval and answering share it

    @property
    def stem(self) -> str:
        """The question without the options a multiple-choice question ends with."""
        return split_choices(self.text)[0]

    @property
    def choices(self) -> tuple[str, ...]:
        """The options a multiple-choice question ends with (assistant/choices.py); none for other questions."""
        return split_choices(self.text)[1]
