"""Where an installed package lives, found with importlib's finders alone: nothing is imported (importing may be
slow or have effects), not even the parents of a dotted name."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path

from index.errors import StoreError


def find_package_dir(package: str) -> Path | None:
    """The folder of an installed package (dotted names too), or None when it is not installed."""
    parts = package.split(".")
    spec = importlib.util.find_spec(parts[0])
    for depth in range(2, len(parts) + 1):
        if spec is None or not spec.submodule_search_locations:
            return None
        # importlib.util.find_spec would import the parent package first; the path finder only looks in its folders.
        spec = importlib.machinery.PathFinder.find_spec(".".join(parts[:depth]), list(spec.submodule_search_locations))
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def package_dir(package: str) -> Path:
    """Like find_package_dir, but a missing package is a StoreError that says how to install it."""
    found = find_package_dir(package)
    if found is None:
        raise StoreError(f"the package {package} is not installed; run the set-up (make setup)")
    return found
