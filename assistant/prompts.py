"""Every text the assistant says on its own or sends to a model, as constants."""

REFUSAL_TEXT = "The articles I have don't answer this question."

EMPTY_QUESTION = "the question is empty; ask something about the articles"

# The system prompt never changes between questions, so llama.cpp keeps its KV state (a stable prefix).
# Tried on the seeds with Qwen2.5-Coder-1.5B: worked examples, or "if the passages do not contain the answer",
# made it refuse every question; "about something else entirely" refuses less, but still refuses answerable
# questions when the passages are long, which is why assistant.backends.generated asks again without the option.
_ANSWER_RULES = """You answer questions about news articles using only the numbered passages the user gives you.
Answer in one to three short sentences, and end each sentence with the number of the passage that says it, like [1].
When the question asks when, give the date or time the passage gives; each passage shows its published date.
If passages disagree, say so and cite each side."""
ANSWER_SYSTEM = f"""{_ANSWER_RULES}
If the passages are about something else entirely, reply with exactly: {REFUSAL_TEXT}"""
# Asked again without the refusal option when the model refused passages that plainly cover the question.
# (Asking for "full sentences in your own words" instead made it add "this can be seen in passage [1]" asides.)
ANSWER_ONLY_SYSTEM = _ANSWER_RULES

# When the answer leaves out an article that, asked alone, answers differently: does it contradict the answer?
CONFLICT_SYSTEM = """You compare two statements taken from news articles.
Reply with one word: yes if they contradict each other, no if they do not."""

CONFLICT_USER = """Statement A: {first}
Statement B: {second}
Do A and B contradict each other?"""

DISAGREEMENT_LEAD = "Another article disagrees."

PASSAGE_HEADER = "[{number}] Title: {title} | Source: {source} | Published: {published}"

ANSWER_USER = """{passages}
Question: {question}
Answer:"""

# Rewriting a follow-up into a question that stands on its own, for retrieval.
CONDENSE_SYSTEM = """You rewrite a follow-up question so that it can be understood without the conversation.
Replace pronouns such as he, she, it, they and this with the names or things they refer to in the conversation.
Keep the meaning. Do not answer the question. Reply with the rewritten question only, on one line."""

CONDENSE_USER = """Conversation:
{history}

Follow-up question: {question}
Rewritten question:"""
