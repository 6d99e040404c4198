"""A news Q&A assistant that answers from your articles with citations you can check."""

# The offline environment (no model hub, no telemetry) is set when `index` is imported: index/offline.py.
from assistant.answer import Answer, Citation, Passage
from assistant.config import Settings
from assistant.engine import Assistant

__all__ = ["Answer", "Assistant", "Citation", "Passage", "Settings"]
