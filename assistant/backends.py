"""Which answer backend a Settings asks for."""

from __future__ import annotations

from assistant.config import Settings
from assistant.extractive import ExtractiveBackend
from assistant.llms import AnswerBackend
from index.embeddings import Encoder


def make_backend(settings: Settings, encoder: Encoder) -> AnswerBackend:
    """`auto` and `extractive` give the extractive backend (generated backends are added by their own modules)."""
    return ExtractiveBackend(encoder)
