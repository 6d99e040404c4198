"""Small text tools shared by answering and citation checking: sentences, content words, stems."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date
from functools import lru_cache

from index.chunking import sentence_spans, tiktoken_encoding
from index.keyword import with_joined_compounds
from index.metadata import ABBREVIATED_MONTHS, FULL_MONTHS, MONTHS

# How much earlier a word's lower-case token must come (mostly_lower_case), set by looking at the capitalised
# sentence openers of 400 RealTime QA articles: names that are also words fall below it ("Sun" 1.1x, "Bill" 2.1x,
# "Mark" 2.4x), common openers above ("While" 4.3x, "Officials" 8.6x); a few words below it keep their capital
# ("Police" 2.3x), the safe side.
LOWER_CASE_LEAD = 3.0
STOPWORDS = frozenset(
    (
        "a an the and or but if of to in on at by for with from as is are was were be been being this that these those "
        "it its it's he she they them his her their there here what which who whom whose when where why how do does did "
        "done not no yes so than then too very can could should would will shall may might must have has had having "
        "about into over after before under between through during against up down out off again further once all any "
        "both each few more most other some such only own same just also now i me my we our you your us one ones "
        "said says say according week year years day days new news article articles following"
    ).split()
)
WORD = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9'’\-]|[.,](?=\d))*")  # "7.4", "40,000" and "$1.3" are one word each
NUMBER = re.compile(r"\b\d[\d,.]*\b")
# A point in time a "when" question can be answered with. Month names that are also words count only capitalised
# or in capitals ("may", "march"), an abbreviation only before a day ("Jan. 5"), and "today" not in the outlet "USA Today", whose
# name a sentence of its own reporting often holds ("… told USA TODAY a realistic sentence …").
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")  # in Python's order
_MONTHS = "|".join(name.capitalize() for name in FULL_MONTHS.values())
_UNAMBIGUOUS_MONTHS = _MONTHS.replace("|May", "").replace("|March", "")  # "TRUMP MAY RAISE TARIFFS"
_PERIODS = "week|weekend|month|year|decade|century|morning|afternoon|evening|night|spring|summer|fall|autumn|winter"
TIME_EXPRESSION = re.compile(
    rf"\b(?:(?:{ABBREVIATED_MONTHS})\.? (?=\d)|(?:{_MONTHS}|{_UNAMBIGUOUS_MONTHS.upper()}|"
    r"(?:19|20)\d{2}s?|"
    rf"(?i:{_UNAMBIGUOUS_MONTHS}|"  # "june 5", "JUNE 5"; "may" and "march" only as "May", "March"
    rf"{'|'.join(WEEKDAYS)}|today|tonight|yesterday|tomorrow|"
    rf"(?:mid|early|late)[- ](?:{_MONTHS.lower()}|{_PERIODS}|(?:19|20)\d{{2}}s?)|"
    rf"(?:last|next|this|coming|past) (?:{_PERIODS}|quarter|season|day|hour)s?|\d{{1,2}}(?::\d{{2}})? ?[ap]\.?m))\b)"
)
# A month named in full, or abbreviated as AP style does before a day ("Aug. 23"): what a "which month" question
# asks for. Capitalised only, so that the verb "may" and a "march" are no months.
MONTH_NAMED = re.compile(rf"\b(?:{_MONTHS}|(?:{ABBREVIATED_MONTHS})\.)(?!\w)")
OUTLET_NAMED_TODAY = re.compile(r"\bUSA\s+Today\b", re.IGNORECASE)
CAPITALISED = re.compile(r"\b[A-Z][a-zA-Z’'\-]+\b")
SENTENCE_OPENERS = " \t\n“”‘’\"'([«"


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]  # PyStemmer ships no type hints
    import Stemmer

    return Stemmer.Stemmer("english")


# Irregular past forms and participles, read as their verb: the stemmer leaves "told" and "tell" apart, so "What did
# Akazawa tell reporters?" did not match "Akazawa told reporters". Forms that are also common other words ("found",
# "left", "lay", "saw", "wound") are left out. Each group is verb:form,form.
IRREGULAR_VERBS = """
arise:arose,arisen bear:bore,borne beat:beaten begin:began,begun bend:bent bite:bit,bitten bleed:bled
blow:blew,blown break:broke,broken breed:bred bring:brought build:built buy:bought catch:caught
choose:chose,chosen come:came creep:crept deal:dealt dig:dug draw:drew,drawn drink:drank,drunk
drive:drove,driven eat:ate,eaten fall:fell,fallen feed:fed feel:felt fight:fought flee:fled fly:flew,flown
forbid:forbade,forbidden forget:forgot,forgotten forgive:forgave,forgiven freeze:froze,frozen get:got,gotten
give:gave,given go:went,gone grow:grew,grown hang:hung hear:heard hide:hid,hidden hold:held keep:kept
know:knew,known lead:led lose:lost make:made mean:meant meet:met mistake:mistook,mistaken
overtake:overtook,overtaken pay:paid ride:rode,ridden ring:rang,rung rise:rose,risen run:ran say:said
see:seen seek:sought sell:sold send:sent shake:shook,shaken shine:shone shoot:shot shrink:shrank,shrunk
sing:sang,sung sink:sank,sunk sit:sat sleep:slept slide:slid speak:spoke,spoken speed:sped spend:spent
spin:spun spring:sprang,sprung stand:stood steal:stole,stolen stick:stuck sting:stung strike:struck,stricken
strive:strove,striven swear:swore,sworn sweep:swept swim:swam,swum swing:swung take:took,taken teach:taught
tear:tore,torn tell:told think:thought throw:threw,thrown understand:understood
undertake:undertook,undertaken wake:woke,woken wear:wore,worn weep:wept win:won withdraw:withdrew,withdrawn
write:wrote,written
"""
IRREGULAR_FORMS = {
    form: verb for group in IRREGULAR_VERBS.split() for verb, forms in [group.split(":")] for form in forms.split(",")
}


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    bare = word.lower().replace("’", "'").removesuffix("'s")
    return str(_stemmer().stemWord(IRREGULAR_FORMS.get(bare, bare)))


def words(text: str) -> list[str]:
    return WORD.findall(text)


def content_stems(text: str) -> set[str]:
    """Stems of the words that carry meaning (no stopwords, no one-letter words)."""
    return {stem(w) for w in words(text) if len(w) > 1 and w.lower() not in STOPWORDS}


def part_stems(text: str) -> set[str]:
    """Content stems with hyphenated compounds taken apart ("US-China talks" → china, talk), for what one text must
    mention of another that may join the same names otherwise ("U.S.-China", "China-U.S.", "China's")."""
    return content_stems(text.replace("-", " "))


def spelled_stems(text: str) -> set[str]:
    """Content stems with each compound of letters also written as one word: outlets write "cease-fire" and
    "ceasefire", "anti-Semitism" and "antisemitism" (names.word_found finds a question's compound by its joined form)."""
    return content_stems(with_joined_compounds(text))


def offered_stems(text: str) -> set[str]:
    """The stems a text offers a question's words: `spelled_stems`, and every compound's parts ("U.S.-China" offers
    "China")."""
    return spelled_stems(text) | part_stems(text)


@lru_cache(maxsize=1024)
def sentences(text: str) -> tuple[tuple[int, int], ...]:
    """Sentence spans, the same splitter the chunker uses. Kept for the last passages split: answering one question
    reads the same few passages' sentences many times (each candidate with the sentences before it, each claim)."""
    return tuple(sentence_spans(text))


def has_number(text: str) -> bool:
    return bool(NUMBER.search(text))


def numbers_in(text: str) -> set[str]:
    """The numbers written in digits ("2024", "7.4", "40,000")."""
    return set(NUMBER.findall(text))


def has_time_expression(text: str) -> bool:
    return bool(TIME_EXPRESSION.search(OUTLET_NAMED_TODAY.sub("", text)))


def months_named(text: str) -> set[str]:
    """The months the text names, each as its number ("Aug." and "August" are one month)."""
    return {str(MONTHS[found.rstrip(".").lower()]) for found in MONTH_NAMED.findall(text)}


def capitalised_words(text: str) -> set[str]:
    """Capitalised words not at a sentence start (an opening quote or bracket before it still counts as the start:
    “They want to meet …”): a cheap stand-in for names."""
    return {word for word, first in _capitalised(text) if not first}


def mostly_lower_case(word: str) -> bool:
    """Is the word written in lower case far more often than capitalised ("While", "Observers"; not "China", "Sun",
    "Akazawa")? Read from cl100k_base, whose BPE numbers its tokens in the order it merged them, commonest first:
    " while" is token 1418 and " While" 6104. The lower case must come LOWER_CASE_LEAD times earlier, so names that
    are also words ("Sun" 8219 / " sun" 7160, "Bill", "Mark", "White") keep their capitals; a word whose lower case
    is no token of its own is taken for a name."""
    codec = tiktoken_encoding("cl100k_base")
    try:
        lower = codec.encode_single_token(" " + word.lower())
    except KeyError:
        return False
    try:
        return bool(lower * LOWER_CASE_LEAD <= codec.encode_single_token(" " + word))
    except KeyError:  # only the lower case is a token of its own ("observers")
        return True


def names_in(text: str) -> set[str]:
    """`capitalised_words`, and a sentence's capitalised first word too when it is not a stopword: "Greece has
    legalized …" names Greece, "The ministry said …" names no one."""
    return {word for word, first in _capitalised(text) if not first or word not in STOPWORDS}


CALENDAR_WORDS = frozenset(WEEKDAYS) | frozenset(_MONTHS.lower().split("|"))


def proper_names(words: Iterable[str]) -> set[str]:
    """Capitalised words (lower-cased) as the names of someone or something: "Mexico's" is Mexico, and a weekday or
    month names no one ("Mexico made history on Sunday …" does not say who won)."""
    bare = (word.removesuffix("'s").removesuffix("’s") for word in words)
    return {word for word in bare if word not in CALENDAR_WORDS}


def _capitalised(text: str) -> Iterator[tuple[str, bool]]:
    """Each capitalised word, lower-cased, and whether it starts its sentence."""
    for start, end in sentence_spans(text) or [(0, len(text))]:
        for match in CAPITALISED.finditer(text, start, end):
            yield match.group().lower(), not text[start : match.start()].strip(SENTENCE_OPENERS)


def date_forms(iso: str) -> list[str]:
    """2025-07-02 → ["July 2, 2025", "Jul 02, 2025"]: how people (and models) write a stored date; [] if not a date."""
    try:
        day = date.fromisoformat(iso)
    except ValueError:
        return []
    return [f"{day.strftime('%B')} {day.day}, {day.year}", day.strftime("%b %d, %Y")]
