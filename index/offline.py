"""Offline by design: no library may reach a model hub or send telemetry.

`set_offline_environment()` runs once, when the `index` package is imported; every entry point (the assistant,
the eval harness, the benchmarks) imports it before anything that reads these variables. Values already set in
the environment win. Nothing is read or imported here beyond importlib's finders.
"""

from __future__ import annotations

import os

from index.packages import find_package_dir

OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",  # Chroma
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
    # ONNX Runtime's telemetry, on by default in its Linux builds since 1.29: the variable 1.31 reads (it must be
    # set before the runtime starts; no call needed), and the name later releases read instead.
    "ORT_DISABLE_TELEMETRY": "1",
    "ORT_TELEMETRY_DISABLED": "1",
}


def set_offline_environment() -> None:
    for name, value in OFFLINE_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    llama_index_core = find_package_dir("llama_index.core")
    if llama_index_core is not None:  # it bundles cl100k_base and o200k_base: tiktoken reads them, never downloads
        os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(llama_index_core / "_static" / "tiktoken_cache"))
