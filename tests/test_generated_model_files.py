"""Joining a packaged GGUF from its part packages: hash verified, mismatches refused, damage repaired; and which
backend `auto` resolves to."""

from __future__ import annotations

import hashlib
import importlib
from pathlib import Path

import pytest

from assistant.backends import resolve_backend
from assistant.backends.base import measured_accuracy
from assistant.backends.model_files import DEFAULT_MODEL, ModelFileError, PackagedModel, ensure_model

PARTS = [b"GGUF" + b"a" * 1000, b"b" * 777, b"c" * 5]


@pytest.fixture
def part_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, ...]:
    """Three installed-looking part packages on sys.path, each with one data/*.bin file."""
    site = tmp_path / "site"
    names = []
    for i, data in enumerate(PARTS, start=1):
        package = site / f"fake_gguf_part{i}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("raise RuntimeError('part packages must not be imported')\n")
        (package / "data" / f"part{i:02d}.bin").write_bytes(data)
        names.append(package.name)
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    return tuple(names)


def model(parts: tuple[str, ...], sha256: str) -> PackagedModel:
    return PackagedModel(name="fake", filename="fake.gguf", parts=parts, sha256=sha256, install_hint="pip install fake")


def test_parts_are_joined_once_and_verified(part_packages: tuple[str, ...], tmp_path: Path) -> None:
    good = model(part_packages, hashlib.sha256(b"".join(PARTS)).hexdigest())
    path = ensure_model(good, tmp_path / "models")
    assert path.read_bytes() == b"".join(PARTS)
    mtime = path.stat().st_mtime_ns
    assert ensure_model(good, tmp_path / "models") == path and path.stat().st_mtime_ns == mtime  # not joined again


def test_a_hash_mismatch_is_refused_and_leaves_nothing(part_packages: tuple[str, ...], tmp_path: Path) -> None:
    bad = model(part_packages, "0" * 64)
    with pytest.raises(ModelFileError, match="refusing to load it"):
        ensure_model(bad, tmp_path / "models")
    assert list((tmp_path / "models").iterdir()) == []


def test_a_damaged_joined_file_is_joined_again(part_packages: tuple[str, ...], tmp_path: Path) -> None:
    good = model(part_packages, hashlib.sha256(b"".join(PARTS)).hexdigest())
    path = ensure_model(good, tmp_path / "models")
    path.write_bytes(b"GGUF" + b"x" * 10)
    assert ensure_model(good, tmp_path / "models").read_bytes() == b"".join(PARTS)


def test_missing_parts_say_how_to_install_them(tmp_path: Path) -> None:
    missing = model(("no_such_part_package_1",), "0" * 64)
    with pytest.raises(ModelFileError, match="not installed; run `pip install fake`"):
        ensure_model(missing, tmp_path / "models")


def test_auto_is_local_only_when_its_model_is_there_and_measures_at_least_as_accurate(make_settings, tmp_path: Path) -> None:
    better, worse = {"extractive": 0.8, "local": 0.9}, {"extractive": 0.8, "local": 0.7}
    installed = "local" if DEFAULT_MODEL.installed() else "extractive"
    assert resolve_backend(make_settings(llm="auto"), better) == installed
    assert resolve_backend(make_settings(llm="auto", local_model_path=tmp_path / "m.gguf"), better) == "local"
    assert resolve_backend(make_settings(llm="auto", local_model_path=tmp_path / "m.gguf"), worse) == "extractive"
    assert resolve_backend(make_settings(llm="extractive"), better) == "extractive"
    measured = measured_accuracy()
    expected = installed if measured["local"] >= measured["extractive"] else "extractive"
    assert resolve_backend(make_settings(llm="auto")) == expected  # the shipped figures decide
