"""Names in a question, and the other words news uses for the same place or government.

News writes a country three ways: by name, by its people's adjective, and by its capital standing for its government
("Tokyo says", "Chinese officials", "Washington's overtures"). A question may use one and the article another, so a
name is found when any word of its alias group is. A question's name is a run of capitalised words ("Yun Sun",
"Foreign Ministry"), found when any of its words is (an article names "Yun Sun" once, then "Sun"). A few verbs that
news uses for one act are aliases of each other too ("told Fox News", "spoke to Fox News").
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from functools import cache

from assistant.text import OUTLET_NAMED_TODAY, SENTENCE_OPENERS, STOPWORDS, part_stems, sentences, spelled_stems, stem

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
# Verbs news uses for one act: "Which officials spoke to Fox News?" is answered by "Rubio told Fox News …" ("said" and
# "says" are stopwords, never looked for).
SAME_ACT_GROUPS = ("tell speak",)
# "U.S." and "US" are one-letter words to content_stems: they name America here.
UNITED_STATES = re.compile(r"\bU\.S\.|\bUS\b|\bUnited States\b|\bUSA\b")
NAME_RUN = re.compile(r"\b[A-Z][a-zA-Z’'\-]+(?:\s+[A-Z][a-zA-Z’'\-]+)*")


@cache
def _alias_index() -> dict[str, frozenset[str]]:
    index: dict[str, frozenset[str]] = {}
    for group in ALIAS_GROUPS + SAME_ACT_GROUPS:
        stems = frozenset(stem(word) for word in group.split())
        for one in stems:
            index[one] = stems
    return index


def aliases(word_stem: str) -> frozenset[str]:
    """The stems that name the same place, or the same act, as `word_stem` (itself included)."""
    return _alias_index().get(word_stem, frozenset((word_stem,)))


def with_aliases(stems: AbstractSet[str]) -> set[str]:
    """`stems` and every alias of them."""
    return set().union(*(aliases(s) for s in stems))


def named_stems(text: str) -> set[str]:
    """The content stems of `text`, compounds also joined (text.spelled_stems), with "america" where it says U.S. (as a
    question's "Washington" may mean)."""
    return spelled_stems(text) | america_named(text)


def america_named(text: str) -> set[str]:
    """The stem of "america" where `text` says U.S., US, USA or United States (one-letter words to content_stems)."""
    return {stem("america")} if UNITED_STATES.search(text) else set()


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


# The places a "which state / which country" question asks for: a sentence that names none (other than those the
# question names) does not answer it ("Which state conducted a Republican primary contest this week?" is not answered
# by "only the caucus results count toward selecting the state's 26 delegates"). Countries and territories as CLDR's
# English names them (Babel), with the names news also uses; "_" joins a name's words.
US_STATES = """
Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida Georgia Hawaii Idaho Illinois Indiana
Iowa Kansas Kentucky Louisiana Maine Maryland Massachusetts Michigan Minnesota Mississippi Missouri Montana Nebraska
Nevada New_Hampshire New_Jersey New_Mexico New_York North_Carolina North_Dakota Ohio Oklahoma Oregon Pennsylvania
Rhode_Island South_Carolina South_Dakota Tennessee Texas Utah Vermont Virginia Washington West_Virginia Wisconsin
Wyoming
"""
COUNTRIES = """
Afghanistan Albania Algeria America American_Samoa Andorra Angola Anguilla Antarctica Antigua_&_Barbuda
Argentina Armenia Aruba Ascension_Island Australia Austria Azerbaijan Bahamas Bahrain Bangladesh Barbados
Belarus Belgium Belize Benin Bermuda Bhutan Bolivia Bosnia_&_Herzegovina Botswana Bouvet_Island Brazil Britain
British_Indian_Ocean_Territory British_Virgin_Islands Brunei Bulgaria Burkina_Faso Burma Burundi Cambodia
Cameroon Canada Canary_Islands Cape_Verde Caribbean_Netherlands Cayman_Islands Central_African_Republic
Ceuta_&_Melilla Chad Chile China Christmas_Island Clipperton_Island Cocos_Islands Colombia Comoros Congo
Cook_Islands Costa_Rica Croatia Cuba Curaçao Cyprus Czech_Republic Czechia Denmark Diego_Garcia Djibouti
Dominica Dominican_Republic Ecuador Egypt El_Salvador England Equatorial_Guinea Eritrea Estonia Eswatini
Ethiopia Falkland_Islands Faroe_Islands Fiji Finland France French_Guiana French_Polynesia
French_Southern_and_Antarctic_Lands Gabon Gambia Gaza Georgia Germany Ghana Gibraltar Greece Greenland Grenada
Guadeloupe Guam Guatemala Guernsey Guinea Guinea-Bissau Guyana Haiti Heard_Island_&_McDonald_Islands Honduras
Hong_Kong Hungary Iceland India Indonesia Iran Iraq Ireland Isle_of_Man Israel Italy Ivory_Coast Jamaica Japan
Jersey Jordan Kazakhstan Kenya Kiribati Kosovo Kuwait Kyrgyzstan Laos Latvia Lebanon Lesotho Liberia Libya
Liechtenstein Lithuania Luxembourg Macao Madagascar Malawi Malaysia Maldives Mali Malta Marshall_Islands
Martinique Mauritania Mauritius Mayotte Mexico Micronesia Moldova Monaco Mongolia Montenegro Montserrat Morocco
Mozambique Myanmar Namibia Nauru Nepal Netherlands New_Caledonia New_Zealand Nicaragua Niger Nigeria Niue
Norfolk_Island North_Korea North_Macedonia Northern_Mariana_Islands Norway Oman Pakistan Palau Palestine Panama
Papua_New_Guinea Paraguay Peru Philippines Pitcairn_Islands Poland Portugal Puerto_Rico Qatar
Republic_of_the_Congo Romania Russia Rwanda Réunion Saint_Kitts_and_Nevis Samoa San_Marino Sark Saudi_Arabia
Scotland Senegal Serbia Seychelles Sierra_Leone Singapore Sint_Maarten Slovakia Slovenia Solomon_Islands Somalia
South_Africa South_Georgia_&_South_Sandwich_Islands South_Korea South_Sudan Spain Sri_Lanka St._Barthélemy
St._Helena,_Ascension_&_Tristan_da_Cunha St._Lucia St._Martin St._Pierre_&_Miquelon St._Vincent_&_Grenadines
Sudan Suriname Svalbard_&_Jan_Mayen Sweden Switzerland Syria São_Tomé_&_Príncipe Taiwan Tajikistan Tanzania
Thailand Timor-Leste Togo Tokelau Tonga Trinidad_&_Tobago Tristan_da_Cunha Tunisia Turkey Turkmenistan
Turks_&_Caicos_Islands Tuvalu Türkiye U.S. U.S._Virgin_Islands Uganda UK Ukraine United_Arab_Emirates
United_Kingdom United_States Uruguay USA Uzbekistan Vanuatu Vatican_City Venezuela Vietnam Wales Wallis_&_Futuna
Western_Sahara Yemen Zambia Zimbabwe Åland_Islands
"""
PLACE_LISTS = {"state": US_STATES, "country": COUNTRIES}


@cache
def _place_pattern(kind: str) -> re.Pattern[str]:
    names = sorted((name.replace("_", " ") for name in PLACE_LISTS[kind].split()), key=len, reverse=True)
    return re.compile(r"(?<![\w.])(?:" + "|".join(re.escape(name) for name in names) + r")(?![\w])")


def places_named(kind: str, text: str) -> set[str]:
    """The US states ("state") or countries ("country") the text names, as written there; the outlet USA Today names no
    country ("… told USA TODAY" answered "Which island nation recently elected a new leader?")."""
    return set(_place_pattern(kind).findall(OUTLET_NAMED_TODAY.sub("", text)))
