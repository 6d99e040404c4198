"""Names in a question, and the other words news uses for the same place or government.

News writes a country three ways: by name, by its people's adjective, and by its capital standing for its government
("Tokyo says", "Chinese officials", "Washington's overtures"). A question may use one and the article another, so a
name is found when any word of its alias group is. A question's name is a run of capitalised words ("Yun Sun",
"Foreign Ministry"), found when any of its words is (an article names "Yun Sun" once, then "Sun").
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from functools import cache

from assistant.text import SENTENCE_OPENERS, STOPWORDS, part_stems, sentences, spelled_stems, stem

# Country (or union), its people's adjective, and its capital used for its government; lower case, one word each.
ALIAS_GROUPS = (
    "china chinese beijing",
    "japan japanese tokyo",
    "america american americans washington",
    "russia russian russians moscow kremlin",
    "britain british uk london",
    "france french paris",
    "germany german germans berlin",
    "india indian indians delhi",
    "korea korean koreans seoul",
    "ukraine ukrainian ukrainians kyiv",
    "israel israeli israelis jerusalem",
    "iran iranian iranians tehran",
    "taiwan taiwanese taipei",
    "canada canadian canadians ottawa",
    "mexico mexican mexicans",
    "europe european eu brussels",
    "italy italian rome",
    "spain spanish madrid",
    "turkey turkish ankara",
    "brazil brazilian brasilia",
    "australia australian canberra",
    "vietnam vietnamese hanoi",
    "pakistan pakistani islamabad",
    "egypt egyptian cairo",
    "saudi riyadh",
)
# "U.S." and "US" are one-letter words to content_stems: they name America here.
UNITED_STATES = re.compile(r"\bU\.S\.|\bUS\b|\bUnited States\b|\bUSA\b")
NAME_RUN = re.compile(r"\b[A-Z][a-zA-Z’'\-]+(?:\s+[A-Z][a-zA-Z’'\-]+)*")


@cache
def _alias_index() -> dict[str, frozenset[str]]:
    index: dict[str, frozenset[str]] = {}
    for group in ALIAS_GROUPS:
        stems = frozenset(stem(word) for word in group.split())
        for one in stems:
            index[one] = stems
    return index


def aliases(word_stem: str) -> frozenset[str]:
    """The stems that name the same place as `word_stem` (itself included)."""
    return _alias_index().get(word_stem, frozenset((word_stem,)))


def with_aliases(stems: AbstractSet[str]) -> set[str]:
    """`stems` and every alias of them."""
    return set().union(*(aliases(s) for s in stems))


def named_stems(text: str) -> set[str]:
    """The content stems of `text`, compounds also joined (text.spelled_stems), with "america" where it says U.S. (as a
    question's "Washington" may mean)."""
    return spelled_stems(text) | ({stem("america")} if UNITED_STATES.search(text) else set())


def name_groups(question: str) -> list[frozenset[str]]:
    """The question's names, each a run of capitalised words not at a sentence start, as stems (stopwords out: "The
    Hill" is "hill")."""
    groups = []
    for start, end in sentences(question) or [(0, len(question))]:
        for match in NAME_RUN.finditer(question, start, end):
            run = match.group().split()
            if not question[start : match.start()].strip(SENTENCE_OPENERS):
                run = run[1:]  # the sentence's first word is capitalised anyway
            stems = frozenset(stem(w) for w in run if w.lower() not in STOPWORDS and len(w) > 1)
            if stems:
                groups.append(stems)
    return groups


def found(group: frozenset[str], stems: AbstractSet[str]) -> bool:
    """Whether `stems` name the group: any of its words, or an alias of one."""
    return any(word_found(word, stems) for word in group)


# A people's adjective that ALIAS_GROUPS does not list is found by the place it is made from: Botswanan, Haitian,
# Palestinian are Botswana, Haiti, Palestin(e). A root must keep four letters ("Iran" is not "Ira").
DEMONYM_ENDINGS = ("n", "an", "ian")
MIN_ROOT = 4


def place_roots(word_stem: str) -> list[str]:
    """The stems of the places a people's adjective may be made from: "botswanan" -> "botswana", "botswan"."""
    return [word_stem[: -len(e)] for e in DEMONYM_ENDINGS if word_stem.endswith(e) and len(word_stem) - len(e) >= MIN_ROOT]


def word_found(word_stem: str, stems: AbstractSet[str]) -> bool:
    """Whether `stems` hold the word, an alias of it, the place it names its people by, or, for a hyphenated compound,
    the compound written as one word or every part of it: a question's "cease-fire" is an article's "ceasefire", and
    its "US-China talks" are the articles' "U.S.-China talks" or "talks between China and the U.S."."""
    if aliases(word_stem) & stems or any(root in stems for root in place_roots(word_stem)):
        return True
    if "-" in word_stem and stem(word_stem.replace("-", "")) in stems:
        return True
    pieces = [piece for piece in word_stem.split("-") if piece]
    if len(pieces) < 2 or min(len(piece) for piece in pieces) < 2:
        return False  # no compound, or a word of its own with a letter for a part ("K-pop", "X-ray")
    parts = part_stems(word_stem)
    return bool(parts) and all(aliases(part) & stems for part in parts)
