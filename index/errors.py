"""Errors the index raises; each message is one line a person can act on."""

import errno


class IndexingError(Exception):
    """Base of the index package's errors."""


class InputError(IndexingError):
    """A path or file that cannot be ingested: missing, empty, binary, not UTF-8, too large, malformed."""


class StoreError(IndexingError):
    """The data directory or the Chroma server cannot be used: corrupt, unreadable, down."""


DISK_FULL_HINTS = ("no space left", "disk is full", "database or disk is full", "quota exceeded")


def is_disk_full(err: BaseException) -> bool:
    """ENOSPC from our own writes, or the same failure reported as text by sqlite or Chroma's Rust core."""
    if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(err).lower()
    return any(hint in text for hint in DISK_FULL_HINTS)


def storage_error(err: BaseException, where: object) -> StoreError:
    """One line for a failed write into the data directory; a full disk is named as such."""
    detail = str(err).splitlines()[0][:160] if str(err) else type(err).__name__
    if is_disk_full(err):
        return StoreError(f"disk full: no space left to write {where}; free some space and run it again")
    return StoreError(f"cannot write {where} ({detail})")
