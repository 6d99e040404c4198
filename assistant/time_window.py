"""Relative time in a question ("last week", "in June", "since Monday") resolved against an as-of date.

One rule table, read top to bottom: each rule is a pattern and the published-date range it means on a given as-of
day. "This week" is the past week, as "over the past week" reads; the calendar weeks of "last week" start on Monday.
A range never runs past the as-of day (nothing published later can be read anyway); a range wholly after it ("in
2027" asked as of 2026) is empty. A year or month named with "in" ("sales in 2023", "in June") says when something
happened, which is reported then or later: a question about a topic reads from the period's start to the as-of day; a
listing of the news ("What happened in June?") reads the period's own articles. "latest" / "most recent" set no
range, only a flag for recency ranking, and so do "current", "currently", "now". A question without any of these
expressions gets no window at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from assistant.prompts import SEARCHED_LINE
from assistant.text import OUTLET_NAMED_TODAY, WEEKDAYS
from index.metadata import MONTH_NAME, MONTHS

WEEKDAY = r"(?P<weekday>" + "|".join(WEEKDAYS) + r")"
YEAR = r"(?P<year>(?:19|20)\d{2})"
DAY = r"(?P<day>0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
NUMBER_WORDS = ("a", "an", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
EXACT_COUNT = r"\d{1,3}|" + "|".join(NUMBER_WORDS)  # "3", "three", "a"
COUNT = rf"(?P<count>(?:a )?few|{EXACT_COUNT})"
FEW = 3  # "the past few days"
UNIT = r"(?P<unit>hour|day|week|month|year)s?"
SPAN_OPENER = r"(?:in|over|during|within|from)"
DAY_FIRST = DAY.replace("<day>", "<first_day>") + " " + MONTH_NAME.replace("<month>", "<first_month>")  # "2 July"
ISO_DAY = r"(?P<iso_year>(?:19|20)\d{2})-(?P<iso_month>0[1-9]|1[0-2])-(?P<iso_day>0[1-9]|[12]\d|3[01])"
PUBLICATION_WORDS = ("published", "report", "reported", "news", "articles", "stories", "headlines", "coverage")

Range = tuple[date, date]  # first and last day, inclusive


@dataclass(frozen=True)
class TimeWindow:
    """What a question's time expressions ask for, on its as-of day."""

    as_of: date
    since: date | None  # None (with until None): no hard range, only the latest flag
    until: date | None
    expressions: tuple[str, ...]  # the words of the question it came from, as written
    latest: bool = False  # "latest", "most recent", "currently": for ranking newer articles higher, never a filter

    @property
    def hard(self) -> bool:
        """A published-date range to filter by (not just the latest flag)."""
        return self.since is not None and self.until is not None

    @property
    def empty(self) -> bool:
        """The range holds no day on or before the as-of day."""
        return self.since is not None and self.until is not None and self.since > self.until

    @property
    def quoted(self) -> str:
        return ", ".join(f"“{e}”" for e in self.expressions)

    @property
    def span(self) -> str:
        """The range in words: "between 2025-06-30 and 2025-07-06", "on 2025-07-01"; "" without a range."""
        if not self.hard:
            return ""
        return f"on {self.since}" if self.since == self.until else f"between {self.since} and {self.until}"

    def describe(self) -> str:
        """The line an answer starts with: "Searched articles published between 2025-06-30 and 2025-07-06." """
        return SEARCHED_LINE.format(span=self.span) if self.hard and not self.empty else ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "expressions": list(self.expressions),
            "latest": self.latest,
            "text": self.describe(),
        }


@dataclass(frozen=True)
class TimeRule:
    pattern: re.Pattern[str]
    days: Callable[[re.Match[str], date], Range] | None  # None: the latest flag, no range
    happened: bool = False  # names when something happened ("in 2023"), not when it was reported


def _rule(pattern: str, days: Callable[[re.Match[str], date], Range] | None, *, happened: bool = False) -> TimeRule:
    # a hyphen joins words: "latest-night" is no "latest"
    # "this year's title", "today's headlines": the possessive goes with the expression
    return TimeRule(re.compile(rf"(?<![\w-]){pattern}(?:['’]s)?(?![\w-])", re.IGNORECASE), days, happened)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _month(year: int, month: int) -> Range:
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def _month_named(found: re.Match[str]) -> int:
    return MONTHS[found.group("month").lower()]


def _latest_month(found: re.Match[str], as_of: date) -> Range:
    """The most recent such month that began on or before the as-of day."""
    month = _month_named(found)
    return _month(as_of.year if month <= as_of.month else as_of.year - 1, month)


def _last_month(as_of: date) -> Range:
    first_of_this = as_of.replace(day=1)
    before = first_of_this - timedelta(days=1)
    return _month(before.year, before.month)


def _count(found: re.Match[str]) -> int:
    """ "3", "three", "a" → 3, 3, 1; absent ("the past week") → 1."""
    count = found.groupdict().get("count")
    if not count:
        return 1
    if count.lower().endswith("few"):
        return FEW
    return int(count) if count.isdigit() else max(1, NUMBER_WORDS.index(count.lower()) - 1)


def _months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (the month's last day when it has fewer days)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    last = _month(year, month + 1)[1]
    return day.replace(year=year, month=month + 1, day=min(day.day, last.day))


def _back(count: int, unit: str, as_of: date) -> date:
    """The day `count` units before the as-of day (an hour counts as part of a day: "the past 48 hours" is 2 days)."""
    unit = unit.lower()
    if unit == "hour":
        return as_of - timedelta(days=-(-count // 24))
    if unit in ("day", "week"):
        return as_of - timedelta(days=count * (7 if unit == "week" else 1))
    return _months_before(as_of, count * (12 if unit == "year" else 1))


def _rolling(found: re.Match[str], as_of: date) -> Range:
    """ "the past 3 days", "the last month": from that many units back to the as-of day, both included."""
    return _back(_count(found), found.group("unit") or found.group("one"), as_of), as_of


def _ago(found: re.Match[str], as_of: date) -> Range:
    """ "two days ago" is that day, "two weeks ago" the week it fell in, each with the day after (what happened then
    is often reported the next day); "a month ago" is the month it fell in; "three hours ago" the hours back to now."""
    unit = found.group("unit").lower()
    day = _back(_count(found), unit, as_of)
    if unit == "hour":
        return day, as_of
    if unit == "month":
        return _month(day.year, day.month)
    first = _monday(day) if unit == "week" else day
    last = first + timedelta(days=6 if unit == "week" else 0)
    return first, last + timedelta(days=1)


def _day_in(year: int | None, month: int, number: int, as_of: date) -> date:
    """The day `number` of `month`: in `year` when given, else the most recent such day on or before the as-of day
    ("February 29" asked in 2025: 2024's). A day no month has ("February 30") is the month's last."""
    if year is not None:
        return date(year, month, min(number, _month(year, month)[1].day))
    for back in range(9):  # a February 29 is at most eight years back
        candidate = as_of.year - back
        if number <= _month(candidate, month)[1].day and date(candidate, month, number) <= as_of:
            return date(candidate, month, number)
    return _day_in(as_of.year - ((month, number) > (as_of.month, as_of.day)), month, number, as_of)


def _since_date(found: re.Match[str], as_of: date) -> Range:
    """ "since June", "since June 20", "since June 2024": from that month or day (the most recent such one on or
    before the as-of day, unless a year is given) to the as-of day."""
    groups = found.groupdict()
    year = int(groups["year"]) if groups.get("year") else None
    return _day_in(year, _month_named(found), int(groups["day"] or 1), as_of), as_of


def _named_day(found: re.Match[str], as_of: date) -> Range:
    """ "July 2", "2 July", "July 2, 2025", "2025-07-02": that day; without a year, the most recent one on or before
    the as-of day."""
    groups = found.groupdict()
    if groups.get("iso_year"):
        day = _day_in(int(groups["iso_year"]), int(groups["iso_month"]), int(groups["iso_day"]), as_of)
    else:
        year = int(groups["year"]) if groups.get("year") else None
        month = MONTHS[(groups["month"] or groups["first_month"]).lower()]
        day = _day_in(year, month, int(groups["day"] or groups["first_day"]), as_of)
    return day, day


def _since_weekday(found: re.Match[str], as_of: date) -> Range:
    """From the most recent such weekday on or before the as-of day (the day itself when it is one)."""
    back = (as_of.weekday() - WEEKDAYS.index(found.group("weekday").lower())) % 7
    return as_of - timedelta(days=back), as_of


# Read in order: a longer expression comes before the shorter one inside it ("in June 2024" before "in June").
RULES: tuple[TimeRule, ...] = (
    # rolling, before the calendar's "last week" / "last month" inside them: "in the last month" is the past 30 days
    # or so. Only after "in", "over", "during", "within" or "from": "has lived there for the past three years" is how
    # long, not when it was published; and no "of" after it ("in the last week of June" is a week of June).
    _rule(rf"{SPAN_OPENER} (?:the (?:past|last)|past) (?:{COUNT} {UNIT}|(?P<one>hour|day|week|month|year))(?! of\b)", _rolling),
    # not "years ago": "founded two years ago" dates the founding, and is read in this year's articles
    _rule(rf"(?P<count>{EXACT_COUNT}) (?P<unit>hour|day|week|month)s? ago", _ago),
    _rule("(?:today|this morning)", lambda _, as_of: (as_of, as_of)),
    _rule("yesterday", lambda _, as_of: (as_of - timedelta(days=1),) * 2),
    # what happened last night was reported that night or this morning
    _rule("last night", lambda _, as_of: (as_of - timedelta(days=1), as_of)),
    # the Saturday and Sunday before this week's Monday, and what Monday reported of them
    _rule("last weekend", lambda _, as_of: (_monday(as_of) - timedelta(days=2), _monday(as_of))),
    # the past week: asked on a Friday or a Monday, the week's news began before its Monday
    _rule("this week", lambda _, as_of: (_back(1, "week", as_of), as_of)),
    _rule("last week(?! of\\b)", lambda _, as_of: (_monday(as_of) - timedelta(days=7), _monday(as_of) - timedelta(days=1))),
    _rule("this month", lambda _, as_of: (as_of.replace(day=1), as_of)),
    _rule("last month(?! of\\b)", lambda _, as_of: _last_month(as_of)),
    # a day named as the day of publication ("news from July 2", "reported on 2 July"): the day an event happened is
    # often reported the day after, so "What happened on July 2?" sets no window
    *(
        _rule(rf"(?<={word} )(?:on|from) (?:{MONTH_NAME} {DAY}|{DAY_FIRST}|{ISO_DAY})(?:,? {YEAR})?", _named_day)
        for word in PUBLICATION_WORDS
    ),
    _rule(
        rf"in {MONTH_NAME},? (?:of )?{YEAR}",
        lambda found, _: _month(int(found.group("year")), _month_named(found)),
        happened=True,
    ),
    _rule(rf"in {MONTH_NAME}", _latest_month, happened=True),
    _rule(rf"since {WEEKDAY}", _since_weekday),
    _rule(rf"since {MONTH_NAME}(?: {DAY})?(?:,? {YEAR})?", _since_date),
    _rule(rf"since {YEAR}", lambda found, as_of: (date(int(found.group("year")), 1, 1), as_of)),
    _rule(
        rf"in {YEAR}",
        lambda found, _: (date(int(found.group("year")), 1, 1), date(int(found.group("year")), 12, 31)),
        happened=True,
    ),
    _rule("this year", lambda _, as_of: (date(as_of.year, 1, 1), as_of)),
    _rule(r"(?:the )?(?:latest|most recent|newest)", None),
    _rule(r"(?:currently|current|right now|now)", None),  # the current state: the latest too
)


def _matches(question: str) -> list[tuple[re.Match[str], TimeRule]]:
    """Each time expression of the question once, by the first rule that reads it, in the order of the question. The
    outlet USA TODAY is blanked first (same length, so every span still points into the question): it is no "today"."""
    read = OUTLET_NAMED_TODAY.sub(lambda outlet: " " * len(outlet[0]), question)
    taken: list[tuple[int, int]] = []
    found: list[tuple[re.Match[str], TimeRule]] = []
    for rule in RULES:
        for match in rule.pattern.finditer(read):
            if all(match.end() <= start or match.start() >= end for start, end in taken):
                taken.append(match.span())
                found.append((match, rule))
    return sorted(found, key=lambda pair: pair[0].start())


def resolve(question: str, as_of: date, *, listing: bool = False) -> TimeWindow | None:
    """The date window the question's time expressions ask for on `as_of` (several are intersected), or None.
    listing: the question asks for the news itself, so a named period is the articles published in it."""
    matches = _matches(question)
    if not matches:
        return None
    since: date | None = None
    until: date | None = None
    for match, rule in matches:
        if rule.days is None:
            continue
        first, last = rule.days(match, as_of)
        if rule.happened and not listing and first <= as_of:
            last = as_of  # reported then or later: "sales in 2023" were published in January 2024
        since = first if since is None else max(since, first)
        until = last if until is None else min(until, last)
    if until is not None:
        until = min(until, as_of)
    return TimeWindow(
        as_of=as_of,
        since=since,
        until=until,
        expressions=tuple(match.group(0) for match, _ in matches),
        latest=any(rule.days is None for _, rule in matches),
    )


def without_time_expressions(question: str) -> str:
    """The question with its time expressions taken out: once they are a date filter, their words ("yesterday",
    "June") only match articles by chance, and would count against the evidence as words no passage holds."""
    kept = question
    for match, _ in sorted(_matches(question), key=lambda pair: -pair[0].start()):
        kept = kept[: match.start()] + kept[match.end() :]
    kept = re.sub(r"\s+([?.!,;:])", r"\1", " ".join(kept.split())).lstrip(" ,;:")
    return kept[:1].upper() + kept[1:] if re.search(r"\w{3}", kept) else question
