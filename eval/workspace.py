"""Where an eval run keeps its index: its own data directory, named by what built it, reused next time.

The directory is <home>/eval/<digest>, the digest hashing the corpus files' names and bytes and the
settings that shape an index (encoder, chunk size, overlap). It never touches the user's own index; only
the model files are shared (a `models` link to the user's), so the GGUF model and the exported encoder are
not made again for every eval folder.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from assistant import Settings
from eval.errors import EvalError

MARKER = "eval-corpus.json"
BLOCK = 1 << 20


def corpus_files(paths: Sequence[Path]) -> list[Path]:
    """The files under each path (folders recursively, hidden ones skipped), in a stable order."""
    files: list[Path] = []
    for path in paths:
        if not path.exists():
            raise EvalError(f"corpus {path}: no such file or folder")
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.is_file() and not any(s.startswith(".") for s in p.relative_to(path).parts)
            )
            if not found:
                raise EvalError(f"corpus {path}: the folder is empty")
            files.extend(found)
        else:
            files.append(path)
    return files


def corpus_digest(paths: Sequence[Path], settings: Settings) -> str:
    """A hash of the corpus (file names and contents) and of the settings that shape the index."""
    digest = hashlib.sha256()
    for field in ("encoder", "chunk_tokens", "chunk_overlap"):
        digest.update(f"{field}={getattr(settings, field)}\n".encode())
    for path in paths:
        for file in corpus_files([path]):
            name = file.relative_to(path) if path.is_dir() else Path(file.name)
            digest.update(f"{name}\n".encode())
            with file.open("rb") as handle:
                while block := handle.read(BLOCK):
                    digest.update(block)
    return digest.hexdigest()


def eval_settings(base: Settings, index_dir: Path) -> Settings:
    """`base` pointed at the eval's own data directory: embedded Chroma there, and no seeding of an empty index."""
    index_dir.mkdir(parents=True, exist_ok=True)
    _share_models(base.models_dir, index_dir / "models")
    return base.model_copy(update={"home": index_dir, "chroma_url": None, "seeds_dir": index_dir / "no-seeds"})


def is_ingested(index_dir: Path, digest: str) -> bool:
    try:
        return bool(json.loads((index_dir / MARKER).read_text()).get("corpus_digest") == digest)
    except (OSError, ValueError, AttributeError):
        return False


def mark_ingested(index_dir: Path, digest: str, paths: Sequence[Path]) -> None:
    record = {"corpus_digest": digest, "corpus": [str(p.resolve()) for p in paths]}
    (index_dir / MARKER).write_text(json.dumps(record, indent=2))


def _share_models(user_models: Path, link: Path) -> None:
    """The packaged model is joined once into the user's models folder; the eval directory links to it."""
    if link.is_symlink() or link.exists():
        return
    user_models = user_models.resolve()
    try:
        user_models.mkdir(parents=True, exist_ok=True)
        link.symlink_to(user_models, target_is_directory=True)
    except OSError as err:
        raise EvalError(f"cannot link {link} to the model folder {user_models}: {err.strerror}") from None
