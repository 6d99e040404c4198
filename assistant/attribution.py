"""Who said it, and when: evidence sentences quoted as an answer, each with its article's outlet and date.

When the cited articles carry different dates the sentences are put in date order (older first, undated last) and
a last sentence says which article is the newest, so a reader sees that China denied any talks in one report and
weighed an offer of talks in a later one, instead of two claims side by side with no time between them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from datetime import date

from assistant.backends.base import Claim
from assistant.prompts import (
    DATED_CLAIM,
    DATED_CLAIM_AGAIN,
    INFERRED_DAY,
    NEWEST_ARTICLE,
    UNDATED_CLAIM,
    UNDATED_CLAIM_AGAIN,
)
from assistant.text import STOPWORDS, WEEKDAYS, capitalised_words, mostly_lower_case
from index.metadata import MONTHS
from index.types import ArticleMeta

# Openers that read as lower case after "reported that" (besides stopwords: "In a separate development, …").
CONTRACTION = re.compile(r"'(?:s|re|ll|ve|d|t|m)$", re.IGNORECASE)
SENTENCE_ADVERBS = frozenset(
    "meanwhile however separately additionally earlier later still yet instead although though unlike despite "
    "neither maybe perhaps plus whether whereas unless until because since while overall thus therefore otherwise".split()
)


def spelled_day(iso: str) -> str:
    """2025-07-02 → "Jul 2, 2025"; "" for an undated article."""
    try:
        day = date.fromisoformat(iso)
    except ValueError:
        return ""
    return f"{day:%b} {day.day}, {day.year}"


def article_day(meta: ArticleMeta) -> str:
    """The article's day as an answer says it: "Jul 2, 2025", "Jul 2, 2025 (dated by inference)", or "" undated."""
    day = spelled_day(meta.published)
    return INFERRED_DAY.format(day=day) if day and meta.date_inferred else day


def attributed(claim: str, meta: ArticleMeta, *, again: bool = False, names: AbstractSet[str] = frozenset()) -> str:
    """ "On Jul 2, 2025, Stocktwits reported that …", or "An undated Stocktwits article says that …"; a date the article
    did not give is said as such ("On Jul 2, 2025 (dated by inference), …"). `names`: the words its passage capitalises
    inside a sentence (`text.capitalised_words`), which keep their capital."""
    day = article_day(meta)
    claim = _continuing(claim, names)
    if day:
        template = DATED_CLAIM_AGAIN if again else DATED_CLAIM
        return template.format(day=day, who=meta.source or "an article", claim=claim)
    template = UNDATED_CLAIM_AGAIN if again else UNDATED_CLAIM
    return template.format(outlet=f"{meta.source} " if meta.source else "", claim=claim)


def dated_claims(claims: Sequence[tuple[Claim, ArticleMeta]], context: str = "") -> list[Claim]:
    """Each claim attributed to its article; in date order with a last claim naming the newest article when the
    articles carry two dates or more (else in the order given: best first). `context`: the passages the claims come
    from, whose names keep their capitals."""
    names = capitalised_words(context)  # read once for every claim
    dates = {meta.published for _, meta in claims if meta.published}
    ordered = list(claims)
    if len(dates) > 1:  # sorted is stable: claims of one date keep their order
        ordered.sort(key=lambda pair: (not pair[1].published, pair[1].published))
    said: set[str] = set()
    out: list[Claim] = []
    for claim, meta in ordered:
        out.append(replace(claim, text=attributed(claim.text, meta, again=meta.id in said, names=names)))
        said.add(meta.id)
    if newest := _newest_claim(ordered, len(dates)):
        out.append(newest)
    return out


def _newest_claim(ordered: list[tuple[Claim, ArticleMeta]], date_count: int) -> Claim | None:
    """ "The Stocktwits article of Jul 2, 2025 is the newer one.", cited to it; None unless one article is newest."""
    if date_count < 2:
        return None
    newest = max(meta.published for _, meta in ordered)
    articles: dict[str, tuple[Claim, ArticleMeta]] = {}
    for claim, meta in ordered:
        if meta.published == newest:
            articles.setdefault(meta.id, (claim, meta))  # cited as its first claim is
    if len(articles) != 1:  # two articles of the newest day: neither is "the newest"
        return None
    claim, meta = next(iter(articles.values()))
    text = NEWEST_ARTICLE.format(
        outlet=f"{meta.source} " if meta.source else "",
        day=article_day(meta),
        newest="newer" if date_count == 2 else "newest",
    )
    return Claim(text=text, sources=claim.sources[:1])


def _continuing(sentence: str, names: AbstractSet[str]) -> str:
    """The sentence as it reads after "reported that": a common first word in lower case ("While noting …",
    "Observers believe …"), and as it is a name, a month, an abbreviation ("US"), "I", or a word before another
    capitalised one (a title: "President Trump said …"). `names` (those its passage capitalises inside a sentence)
    tells names that are also words: "Target said …" stays when the passage has "shoppers at Target"."""
    words = sentence.split(maxsplit=2)
    if not words or not words[0][:1].isupper() or words[0][1:2].isupper() or words[0] == "I":
        return sentence
    first = words[0].strip(",;:").replace("’", "'")
    stem = CONTRACTION.sub("", first)  # "That's", "Here's": the word before the contraction
    bare = first.lower()
    if bare in MONTHS or bare in WEEKDAYS:
        return sentence
    common = bare in STOPWORDS or bare in SENTENCE_ADVERBS
    if not common and len(stem) > 1 and stem.lower() not in names:  # "J. Smith": an initial
        title = len(words) > 1 and words[0] == first and words[1][:1].isupper()
        common = not title and mostly_lower_case(stem)
    return sentence[0].lower() + sentence[1:] if common else sentence
