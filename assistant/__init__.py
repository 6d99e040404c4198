"""A news Q&A assistant that answers from your articles with citations you can check."""

import os

# Offline by design: no library may reach a model hub or send telemetry. Set before anything imports them.
for _name, _value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_name, _value)

from assistant.answer import Answer, Citation, Passage  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.engine import Assistant  # noqa: E402

__all__ = ["Answer", "Assistant", "Citation", "Passage", "Settings"]
