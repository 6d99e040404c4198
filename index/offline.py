"""Offline by design: no library may reach a model hub or send telemetry.

`set_offline_environment()` runs once, when the `index` package is imported; every entry point (the assistant,
the eval harness, the benchmarks) imports it before anything that reads these variables. Telemetry is switched off
whatever the environment says (a shell with ORT_DISABLE_TELEMETRY=0 made onnxruntime write a device id and an event
database under ~/.cache and queue uploads); for the other variables, values already set in the environment win.
Nothing is read or imported here beyond importlib's finders. tests/test_offline.py watches the real processes.
"""

from __future__ import annotations

import os

from index.packages import find_package_dir

OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
}
TELEMETRY_OFF = {  # forced: no setting of ours may send anything anywhere
    "ANONYMIZED_TELEMETRY": "False",  # Chroma
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    # ONNX Runtime's telemetry, on by default in its Linux builds since 1.29: the variable 1.31 reads (it must be
    # set before the runtime starts; no call needed), and the name later releases read instead.
    "ORT_DISABLE_TELEMETRY": "1",
    "ORT_TELEMETRY_DISABLED": "1",
}


def set_offline_environment() -> None:
    for name, value in OFFLINE_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    os.environ.update(TELEMETRY_OFF)
    llama_index_core = find_package_dir("llama_index.core")
    if llama_index_core is not None:  # it bundles cl100k_base and o200k_base: tiktoken reads them, never downloads
        os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(llama_index_core / "_static" / "tiktoken_cache"))
