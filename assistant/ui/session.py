"""What the web UI keeps between events: assistants per setting, the turns of a chat, uploaded articles."""

from __future__ import annotations

import shutil
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from threading import Lock

from assistant.answer import Answer
from assistant.engine import Assistant
from index.errors import InputError
from index.loaders import SUPPORTED_NAMES, SUPPORTED_SUFFIXES, expand_paths, iter_articles, suffix_of
from index.pipeline import IngestReport, Progress


@dataclass(frozen=True)
class Turn:
    """One question of a chat and what came of it: an Answer, or the one-line error it ended in."""

    question: str
    answer: Answer | None
    error: str = ""


def history_of(turns: Sequence[Turn]) -> list[tuple[str, str]]:
    """The (question, answer text) pairs Assistant.chat resolves follow-ups against; failed turns are left out."""
    return [(t.question, t.answer.text) for t in turns if t.answer is not None]


class AssistantPool:
    """One Assistant per (backend, top-k) chosen in the settings area, sharing the encoder and the data directory.

    Settings are fixed per Assistant (its backend loads a model once), so each combination gets its own;
    the few most recently used are kept.
    """

    def __init__(self, base: Assistant, keep: int = 4) -> None:
        self.base = base
        self.keep = keep
        self._made: OrderedDict[tuple[str, int], Assistant] = OrderedDict()
        self._made[(base.settings.llm, base.settings.top_k)] = base
        self._lock = Lock()

    def get(self, llm: str | None = None, top_k: int | None = None) -> Assistant:
        key = (llm or self.base.settings.llm, int(top_k or self.base.settings.top_k))
        with self._lock:
            bot = self._made.get(key)
            if bot is None:
                settings = self.base.settings.model_copy(update={"llm": key[0], "top_k": key[1]})
                bot = Assistant(settings, encoder=self.base.encoder)
                self._made[key] = bot
            self._made.move_to_end(key)
            while len(self._made) > self.keep:
                oldest = next(iter(self._made))
                if self._made[oldest] is self.base:
                    self._made.move_to_end(oldest)
                    continue
                del self._made[oldest]
            return bot


def add_uploads(bot: Assistant, uploads: Sequence[str | Path], progress: Progress | None = None) -> IngestReport:
    """Index uploaded article files: checked where they are, then kept under the data directory and ingested.

    A bad file (wrong type, binary, not UTF-8, malformed JSONL) stops the upload before anything is copied or indexed.
    """
    files = [Path(u) for u in uploads]
    if not files:
        raise InputError(f"no files to add: choose {SUPPORTED_NAMES} articles")
    for path in files:
        if suffix_of(path) not in SUPPORTED_SUFFIXES:
            raise InputError(f"{path.name}: unsupported file type (use {SUPPORTED_NAMES})")
    max_bytes = int(bot.settings.max_file_mb * 1e6)
    try:
        for _ in iter_articles(expand_paths(files), max_bytes=max_bytes):
            pass
    except InputError as err:  # name the file as the user knows it, not by its temporary path
        message = str(err)
        for path in files:
            message = message.replace(str(path), path.name)
        raise InputError(message) from None
    target_dir = uploads_dir(bot)
    target_dir.mkdir(parents=True, exist_ok=True)
    kept = []
    for path in files:
        target = target_dir / path.name
        shutil.copyfile(path, target)
        kept.append(target)
    return bot.ingest(kept, progress=progress)


def uploads_dir(bot: Assistant) -> Path:
    """Where uploaded articles are kept, so their location stays valid after the browser's upload is gone."""
    return bot.settings.home / "uploads"
