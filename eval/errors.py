"""The eval harness's one error type: a bad set, corpus, option or output folder, said in one line."""

from assistant.errors import AssistantError


class EvalError(AssistantError):
    """A gold set, corpus, option or output folder the eval cannot use; the message names what and where."""
