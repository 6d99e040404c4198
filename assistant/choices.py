"""Multiple-choice questions: the choices a question offers, and where a text names one of them.

A question may end with its options ("… Choose one of: Owl; Eeyore; Roo; Tigger."), as quizzes about the news do.
The evidence selector then answers with one of the choices, cited to the sentence that names it, instead of a
sentence that may name several.
"""

from __future__ import annotations

import re
import unicodedata

from assistant.text import STOPWORDS

# A trailing list of options, introduced the way people (and the eval harness) write one.
CHOICE_LIST = re.compile(
    r"[\s(]*\b(?:choose (?:one )?(?:of|from)|pick one of|options|choices|answer with one of)\s*:\s*(?P<choices>.+?)[\s).?]*$",
    re.IGNORECASE,
)
SEPARATOR = re.compile(r"\s*;\s*|\s*\|\s*")
MIN_CHOICES, MAX_CHOICES = 2, 8
NEGATED = re.compile(r"\b(not|never|isn't|wasn't|aren't|weren't|doesn't|didn't|except)\b", re.IGNORECASE)


def split_choices(question: str) -> tuple[str, tuple[str, ...]]:
    """The question without its trailing list of options, and the options (none when it offers no list)."""
    found = CHOICE_LIST.search(question)
    if not found:
        return question, ()
    choices = tuple(dict.fromkeys(c.strip(" .\"“”'") for c in SEPARATOR.split(found.group("choices")) if c.strip(" .")))
    if not MIN_CHOICES <= len(choices) <= MAX_CHOICES:
        return question, ()
    return question[: found.start()].rstrip(), choices


def normalized(text: str) -> str:
    """Lower case, accents and punctuation gone, one space between words, padded: " tsai ing wen "."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    plain = re.sub(r"(?<=\d)[,.:](?=\d)", "", plain)  # 1,200 → 1200 on both sides; 12:30 is not 30
    return " " + " ".join(re.sub(r"[^a-z0-9%$]+", " ", plain).split()) + " "


def is_negated(question: str) -> bool:
    """ "Which of the following is not …": the answer is the choice the evidence does not name."""
    return bool(NEGATED.search(question))


def named_choices(text: str, choices: tuple[str, ...]) -> list[int]:
    """The indexes of the choices the text names: as a phrase, or for a name by one of its own capitalised words
    ("Hou" names "Hou Yu-ih", unless another choice has that word too). A choice inside a longer one that is named
    does not count ("Hen" in "Henk")."""
    plain = normalized(text)
    named = [i for i, c in enumerate(choices) if normalized(c).strip() and normalized(c) in plain]
    named = [i for i in named if not any(j != i and normalized(choices[i]) in normalized(choices[j]) for j in named)]
    for i, choice in enumerate(choices):
        if i not in named and any(re.search(rf"\b{re.escape(word)}\b", text) for word in _own_name_words(choice, choices)):
            named.append(i)
    return sorted(named)


def _own_name_words(choice: str, choices: tuple[str, ...]) -> list[str]:
    """The capitalised words of a several-word choice that no other choice has (its surname, say)."""
    words = re.findall(r"[A-Z][\w'’-]+", choice)
    if len(choice.split()) < 2:
        return []
    others = {w.lower() for c in choices if c != choice for w in re.findall(r"[\w'’-]+", c)}
    return [w for w in words if w.lower() not in others and w.lower() not in STOPWORDS]
