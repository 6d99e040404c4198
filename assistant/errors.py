"""Errors of the answering side; like the index's errors, each message is one line a person can act on."""

from index.errors import IndexingError


class AssistantError(Exception):
    """A question or setting that cannot be served: empty question, bad date, unreachable answer server."""


USER_ERRORS: tuple[type[Exception], ...] = (AssistantError, IndexingError)
