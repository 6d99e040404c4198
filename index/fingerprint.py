"""What built an index: any change here gives new collections, so old and new chunks never mix."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from index.cleaning import CLEANER_VERSION

CHUNKER_VERSION = "1"


@dataclass(frozen=True)
class IndexFingerprint:
    encoder: str
    chunk_tokens: int
    chunk_overlap: int
    embed_max_tokens: int
    chunk_chars: int
    cleaner: str = CLEANER_VERSION
    chunker: str = CHUNKER_VERSION

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:12]

    def as_metadata(self) -> dict[str, str | int]:
        return {f"built_with_{key}": value for key, value in asdict(self).items()}
