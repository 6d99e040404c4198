"""Errors the index raises; each message is one line a person can act on."""


class IndexingError(Exception):
    """Base of the index package's errors."""


class InputError(IndexingError):
    """A path or file that cannot be ingested: missing, empty, binary, not UTF-8, too large, malformed."""


class StoreError(IndexingError):
    """The data directory or the Chroma server cannot be used: corrupt, unreadable, down."""
