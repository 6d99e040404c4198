"""Marker validation, renumbering, clause-level support and streamed renumbering, on fixed strings."""

from __future__ import annotations

import re

from assistant.answer import Passage
from assistant.backends import Claim, Source
from assistant.citations import CheckedText, MarkerStream, SupportCheck, check_citations, parse_claims, with_markers
from tests.fakes import make_passage as passage

PASSAGES = [
    passage(1, "Ryosei Akazawa is Japan's chief negotiator. He wants a deal in June."),
    passage(2, "China said it was evaluating a U.S. proposal for talks."),
    passage(3, "China's Foreign Ministry said no talks are taking place."),
]


def words_overlap(claim: str, p: Passage) -> bool:
    """A stand-in support check: every word of four letters or more is in the passage."""
    return all(w.strip(".,").lower() in p.text.lower() for w in claim.split() if len(w.strip(".,")) >= 4)


def check(text: str, passages: list[Passage], supports: SupportCheck | None = None) -> CheckedText:
    return check_citations(parse_claims(text), passages, supports)


def test_out_of_range_markers_are_removed_and_the_rest_renumbered_by_first_appearance() -> None:
    checked = check("China is weighing talks [3]. Akazawa leads for Japan [7] [1].", PASSAGES)
    assert checked.text == "China is weighing talks [1]. Akazawa leads for Japan [2]."
    assert [(c.number, c.meta.id) for c in checked.citations] == [(1, "a3"), (2, "a1")]
    assert checked.supported_claims == 2


def test_comma_lists_and_markers_after_the_full_stop_belong_to_the_sentence() -> None:
    claims = parse_claims("Talks are disputed. [2, 3] Akazawa wants June.[1]")
    assert [(c.text, [s.rank for s in c.sources]) for c in claims] == [
        ("Talks are disputed.", [2, 3]),
        ("Akazawa wants June.", [1]),
    ]


def test_a_marker_after_a_sentence_ending_in_an_abbreviation_keeps_its_full_stop() -> None:
    checked = check("China said it was evaluating a proposal of the U.S. [2] Akazawa wants June. [1]", PASSAGES)
    assert checked.text == "China said it was evaluating a proposal of the U.S. [1] Akazawa wants June [2]."


def test_quotes_are_exact_offsets_into_the_article() -> None:
    checked = check("Akazawa wants a deal in June [1].", PASSAGES)
    citation = checked.citations[0]
    text = PASSAGES[0].text
    assert citation.quote == text[citation.start - 100 : citation.end - 100]
    assert "June" in citation.quote


def test_an_unsupported_citation_is_dropped_and_flagged() -> None:
    checked = check("Akazawa wants a deal in June [2].", PASSAGES, words_overlap)
    assert checked.citations == [] and checked.supported_claims == 0
    assert checked.flagged == ["Akazawa wants a deal in June."]


def test_a_wrongly_numbered_claim_loses_its_citation_and_is_not_recited() -> None:
    checked = check("Akazawa wants a deal in June [2]. The Chiefs won the Super Bowl [1].", PASSAGES, words_overlap)
    assert checked.supported_claims == 0 and checked.citations == []
    assert checked.flagged == ["Akazawa wants a deal in June.", "The Chiefs won the Super Bowl."]


def test_each_half_of_a_sentence_is_checked_against_its_own_marker() -> None:
    text = "China said it was evaluating a proposal for talks [2], but the Foreign Ministry said no talks are taking place [3]."
    checked = check(text, PASSAGES, words_overlap)
    assert [c.meta.id for c in checked.citations] == ["a2", "a3"]
    assert checked.flagged == []


def test_the_stream_renumbers_markers_split_across_deltas() -> None:
    stream = MarkerStream(passage_count=3)
    deltas = ["China talks [", "3", "]. Japan [9] leads [", "1]", " and [3", "]."]
    shown = "".join(stream.feed(d) for d in deltas) + stream.flush()
    assert shown == "China talks [1]. Japan leads [2] and [1]."


def test_an_unclosed_bracket_is_released_at_the_end() -> None:
    stream = MarkerStream(passage_count=2)
    assert stream.feed("a list [x") == "a list "
    assert stream.flush() == "[x"


def test_a_bare_marker_is_not_a_supported_claim() -> None:
    checked = check("[1]", PASSAGES, words_overlap)
    assert checked.supported_claims == 0 and checked.citations == [] and checked.text == ""


def test_a_claim_that_knows_its_span_is_quoted_exactly_there() -> None:
    text = PASSAGES[0].text
    start = text.index("He wants")
    claim = Claim(text="He wants a deal in June.", sources=(Source(1, (start, len(text))),))
    citation = check_citations([claim], PASSAGES).citations[0]
    assert citation.quote == "He wants a deal in June."
    assert (citation.start, citation.end) == (100 + start, 100 + len(text))


def test_the_stream_and_the_final_answer_number_alike() -> None:
    reply = "China denies talks [3]. Akazawa leads [1]. Beijing weighs talks [2] and denies them [3]."
    stream = MarkerStream(passage_count=3)
    shown = stream.feed(reply) + stream.flush()
    final = check(reply, PASSAGES).text  # markers gathered at each sentence's end, numbered the same

    def numbers_by_sentence(text: str) -> list[set[str]]:
        return [set(re.findall(r"\[(\d+)\]", sentence)) for sentence in text.split(". ")]

    assert numbers_by_sentence(shown) == numbers_by_sentence(final) == [{"1"}, {"2"}, {"3", "1"}]


def test_markers_go_before_the_full_stop_after_an_abbreviation_and_a_stop_follows_a_line_without_one() -> None:
    assert with_markers("Japan aims for a deal in June.", [1]) == "Japan aims for a deal in June [1]."
    assert with_markers("Talks are with the U.S.", [1, 2]) == "Talks are with the U.S. [1] [2]"
    # a subhead quoted as a claim: "… if he is convicted [1] On Jun 11, …" would run into the next claim
    assert with_markers("Joe Biden says he wouldn't pardon his son", [1]) == "Joe Biden says he wouldn't pardon his son [1]."
    assert with_markers("He called it 'fake news.'", [1]) == "He called it 'fake news.' [1]"  # ended: no second stop
    assert with_markers("He called it “fake news.”", [1]) == "He called it “fake news.” [1]"  # not inside the quote
    assert with_markers("He called it “fake news”.", [1]) == "He called it “fake news” [1]."
    assert with_markers("QQQ ended up 0.71% and 1.31%, respectively,", [1]) == "QQQ ended up 0.71% and 1.31%, respectively [1]."
