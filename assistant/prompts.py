"""Every text the assistant says on its own or sends to a model, as constants."""

REFUSAL_TEXT = "The articles I have don't answer this question."

# A question's own time expression ("last week", "in 2023") is a published-date window: the answer says which.
SEARCHED_LINE = "Searched articles published {span}."
NOTHING_IN_WINDOW = (
    "No indexed article was published {span} ({expressions}, as of {as_of}), so the articles I have don't answer this question."
)
WINDOW_AFTER_AS_OF = (
    "{expressions} is after {as_of}, the day this question is answered as of, so the articles I have don't answer it."
)

# Who said it and when, around an evidence sentence quoted as an answer (assistant/attribution.py).
DATED_CLAIM = "On {day}, {who} reported that {claim}"
DATED_CLAIM_AGAIN = "On {day}, {who} also reported that {claim}"
UNDATED_CLAIM = "An undated {outlet}article says that {claim}"
UNDATED_CLAIM_AGAIN = "The same undated {outlet}article also says that {claim}"
NEWEST_ARTICLE = "The {outlet}article of {day} is the {newest} one."
INFERRED_DAY = "{day} (dated by inference)"  # a date read from the article's dateline or guessed from its page

# The CLI streams a model's answer before the support check reads it whole; when the check changed it, this follows.
CHECKED_ANSWER = "\nChecked against the passages, the answer reads:\n{text}"

EMPTY_QUESTION = "the question is empty; ask something about the articles"

# The system prompt never changes between questions, so llama.cpp keeps its KV state (a stable prefix). Whether to
# answer is decided before the model is asked (assistant/evidence.py), so the prompt offers no refusal: the model
# only writes from evidence that answers, and a grammar makes every sentence end with an evidence number.
ANSWER_SYSTEM = """You answer a question about the news using only the numbered evidence sentences you are given.
Answer in one or two short sentences, and end each sentence with the number of the evidence it comes from, like [2].
Name the person, place, number or date the question asks for, and keep the evidence's own words for what was said.
If the evidence sentences disagree, say so and cite each side."""

EVIDENCE_LINE = "[{number}] ({source}, {published}) {text}"

# Asked of the local model before it writes, under the same system prompt and after the same evidence and question,
# so that the answer's prompt reuses what this one read (llama.cpp keeps the longest common token prefix). Only the
# probability of the first word is read (assistant/backends/local.py).
ANSWER_CHECK_USER = """Evidence:
{evidence}

Question: {question}
Do these evidence sentences state the answer to the question? Reply yes or no."""

ANSWER_USER = """Evidence:
{evidence}

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

# A multiple-choice question read by the local model (assistant/choice_reader.py): only its first token is scored,
# over the letters, so the reply format is all the prompt has to fix.
CHOICE_SYSTEM = """You answer a multiple-choice question about the news using only the numbered excerpts you are given.
Reply with the letter of the right choice and nothing else. If the excerpts do not say which choice is right,
reply with the letter of "The excerpts do not say"."""

CHOICE_USER = """Excerpts:
{excerpts}

Question: {question}
{options}
Answer with one letter."""

CHOICE_OPTION = "{letter}. {text}"
NOT_STATED = "The excerpts do not say"
