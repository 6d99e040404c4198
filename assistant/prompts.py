"""Every text the assistant says on its own or sends to a model, as constants."""

REFUSAL_TEXT = "The articles I have don't answer this question."

EMPTY_QUESTION = "the question is empty; ask something about the articles"

# The system prompt never changes between questions, so llama.cpp keeps its KV state (a stable prefix).
# Wording tried on the seeds with Qwen2.5-Coder-1.5B: "if the passages do not contain the answer" and worked
# examples made it refuse even questions the passages answer; "about something else entirely" does not.
ANSWER_SYSTEM = f"""You answer questions about news articles using only the numbered passages the user gives you.
Answer in one to three short sentences, and end each sentence with the number of the passage that says it, like [1].
Each passage shows its published date: when the question asks when, give the date or time the passage gives.
If passages disagree, say so and cite each side.
If the passages are about something else entirely, reply with exactly: {REFUSAL_TEXT}"""

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
