"""The support check on fixed strings, with the real MiniLM encoder."""

from __future__ import annotations

import pytest

from assistant.support import SupportChecker, names_and_numbers, names_found
from tests.fakes import make_passage as passage

AKAZAWA = passage(
    1,
    "In a separate development, Japan’s chief negotiator, Ryosei Akazawa, said Japan aims to reach a trade deal "
    "with the U.S. in June, and bilateral negotiations are likely to gain speed in mid-May. Treasury Secretary "
    "Scott Bessent said the U.S. was working to strike pacts with 17 of its 18 major trading partners.",
    article_id="000_1a37bf94d89fa01f.txt",
    title="Trump Trade Talks",
    source="Stocktwits",
    location="seeds/000_1a37bf94d89fa01f.txt",
    start=0,
)


@pytest.fixture(scope="module")
def checker(encoder) -> SupportChecker:
    return SupportChecker(encoder)


@pytest.mark.parametrize(
    "claim",
    [
        "Japan's chief negotiator is Ryosei Akazawa.",
        "Akazawa wants to reach a trade deal with the U.S. in June.",
        "The U.S. is working on pacts with 17 of its 18 major trading partners.",
        "Akazawa hopes to close a trade agreement by June.",  # paraphrase: carried by meaning
    ],
)
def test_claims_the_passage_states_are_supported(checker: SupportChecker, claim: str) -> None:
    assert checker(claim, AKAZAWA)


@pytest.mark.parametrize(
    "claim",
    [
        "Japan's chief negotiator is Shigeru Ishiba.",  # a swapped name
        "The U.S. is working on pacts with 12 of its 18 major trading partners.",  # a swapped number
        "The Kansas City Chiefs won the 2024 Super Bowl.",  # another topic
        "Apple's quarterly revenue beat expectations.",
    ],
)
def test_claims_the_passage_does_not_state_are_not_supported(checker: SupportChecker, claim: str) -> None:
    assert not checker(claim, AKAZAWA)


def test_names_and_numbers_skip_sentence_starts_and_count_what_is_found() -> None:
    assert names_and_numbers("The talks with Akazawa began in 2025.") == {"akazawa", "2025"}
    assert names_found("Akazawa met Bessent.", AKAZAWA) == 1.0
    assert names_found("They said Akazawa met Lutnick.", AKAZAWA) == 0.5


def test_scores_are_reported_for_each_measure(checker: SupportChecker) -> None:
    scores = checker.scores("Akazawa wants a deal in June.", AKAZAWA)
    assert scores.names == 1.0 and scores.lexical >= 0.75 and 0.3 < scores.semantic <= 1.0


def test_a_place_the_question_names_is_supported_by_its_other_names_and_no_other_place_is() -> None:
    tokyo = names_and_numbers("Who is leading the trade talks for Tokyo?")
    assert names_found("So Akazawa leads the talks for Tokyo.", AKAZAWA, tokyo) == 1.0  # the passage says Japan
    assert names_found("So Akazawa leads the talks for Tokyo.", AKAZAWA) == 0.5  # asked without it: Tokyo is not there
    assert names_found("The meeting was held in Tokyo.", AKAZAWA, names_and_numbers("Where was the meeting held?")) == 0.0
    washington = names_and_numbers("What does Washington want?")
    assert names_found("Washington wants pacts with 18 partners.", AKAZAWA, washington) == 1.0


def test_a_number_is_supported_only_with_the_unit_the_passage_gives_it() -> None:
    fund = passage(1, "The Invesco QQQ Trust ended Thursday's session up 1.31%, on $2 bn of trades.")
    assert names_found("So the QQQ Trust rose 1.31% on Thursday.", fund) == 1.0
    assert names_found("So the QQQ Trust rose 1.31 on Thursday.", fund) == 1.0  # the unit left out
    assert names_found("So the QQQ Trust traded 1.31 million shares.", fund) == pytest.approx(2 / 3)  # not 1.31 million
    assert names_found("It saw 2 billion dollars of trades.", fund) == 1.0


def test_a_month_is_supported_however_the_passage_writes_it_and_no_other_month_is() -> None:
    eclipse = passage(1, "The next total solar eclipse visible from the contiguous U.S. will happen Aug. 23, 2044.")
    assert names_found("The next one will happen on August 23, 2044.", eclipse) == 1.0  # the passage says "Aug."
    assert names_found("The next one will happen on September 23, 2044.", eclipse) == pytest.approx(2 / 3)
    written_out = passage(1, "The eclipse will happen on August 23, 2044.")
    assert names_found("The next one will happen on Aug. 23, 2044.", written_out) == 1.0
