"""Answer backends: one interface (base), a registry by name, and the strategies (extractive, local, openai)."""

from assistant.backends.base import (
    AnswerBackend,
    Claim,
    Draft,
    Source,
    backend_names,
    create_backend,
    register_backend,
    resolve_backend,
)

__all__ = [
    "AnswerBackend",
    "Claim",
    "Draft",
    "Source",
    "backend_names",
    "create_backend",
    "register_backend",
    "resolve_backend",
]
