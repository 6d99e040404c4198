"""Which answer backend a Settings asks for; `auto` is `local` when its model is installed, else `extractive`."""

from __future__ import annotations

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.llms import AnswerBackend
from assistant.model_files import DEFAULT_MODEL
from index.embeddings import Encoder


def resolve_backend(settings: Settings) -> str:
    """The backend name `settings.llm` stands for (resolving `auto`)."""
    if settings.llm != "auto":
        return settings.llm
    return "local" if settings.local_model_path or DEFAULT_MODEL.installed() else "extractive"


def make_backend(settings: Settings, encoder: Encoder) -> AnswerBackend:
    name = resolve_backend(settings)
    if name == "local":
        from assistant.local_llm import LocalBackend

        return LocalBackend(settings, encoder)
    if name == "openai":
        from assistant.openai_llm import OpenAIBackend

        return OpenAIBackend(settings, encoder)
    if name == "extractive":
        from assistant.extractive import ExtractiveBackend

        return ExtractiveBackend(encoder)
    raise AssistantError(f"unknown answer backend {name!r}; use extractive, local or openai")
