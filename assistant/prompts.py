"""Every text the assistant says on its own or sends to a model, as constants."""

REFUSAL_TEXT = "The articles I have don't answer this question."

EMPTY_QUESTION = "the question is empty; ask something about the articles"
