"""Answers on the real index: citations point at exact text, refusals, filters, hybrid retrieval."""

from itertools import pairwise

import pytest

from assistant import Answer, Assistant
from assistant.errors import AssistantError
from tests.conftest import AKAZAWA_ARTICLE, DENIAL_ARTICLE


def assert_citations_exact(bot: Assistant, answer) -> None:
    assert [c.number for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for citation in answer.citations:
        article = bot.article(citation.meta.id)
        assert article is not None
        assert article.text[citation.start : citation.end] == citation.quote
        assert f"[{citation.number}]" in answer.text


def test_chief_negotiator_is_cited_from_the_akazawa_article(seeded: Assistant) -> None:
    answer = seeded.ask("Who is Japan's chief negotiator?")
    assert not answer.refused
    assert "Akazawa" in answer.text
    first = answer.citations[0]
    assert first.meta.id == AKAZAWA_ARTICLE and "Akazawa" in first.quote
    assert (
        first.meta.source == "Stocktwits"
        and first.meta.published == "2025-07-02"
        and first.meta.location.endswith(AKAZAWA_ARTICLE)
    )
    assert answer.text.count("[1]") >= 1
    assert_citations_exact(seeded, answer)
    assert len(answer.passages) >= len(answer.citations)


@pytest.mark.parametrize(
    "question",
    [
        "Who won the 2024 Super Bowl?",
        "What is the capital of Australia?",
        "How many goals did Messi score in 2023?",
        "What is the recipe for banana bread?",
    ],
)
def test_questions_the_articles_cannot_answer_are_refused(seeded: Assistant, question: str) -> None:
    answer = seeded.ask(question)
    assert answer.refused
    assert answer.citations == []
    assert "don't answer" in answer.text


@pytest.mark.parametrize(
    ("question", "article_id", "needle"),
    [
        ("What did China's Foreign Ministry say about negotiations?", DENIAL_ARTICLE, "NOT having any consultation"),
        ("Who is Yun Sun?", DENIAL_ARTICLE, "Stimson Center"),
        ("When does Japan hope to reach a trade deal with the U.S.?", AKAZAWA_ARTICLE, "June"),
        ("How many major trading partners is the U.S. working to strike pacts with?", AKAZAWA_ARTICLE, "17"),
    ],
)
def test_answers_quote_the_right_article(seeded: Assistant, question: str, article_id: str, needle: str) -> None:
    answer = seeded.ask(question)
    assert not answer.refused, answer.text
    assert any(c.meta.id == article_id and needle in c.quote for c in answer.citations), answer.citations
    assert_citations_exact(seeded, answer)


def test_filters_restrict_the_passages(seeded: Assistant) -> None:
    only_stocktwits = seeded.retrieve("China trade talks", k=10, sources=["Stocktwits"])
    assert only_stocktwits and {p.meta.id for p in only_stocktwits} == {AKAZAWA_ARTICLE}
    dated = seeded.retrieve("China trade talks", k=10, since="2025-07-01", until="2025-07-31")
    assert {p.meta.id for p in dated} == {AKAZAWA_ARTICLE}  # the other article carries no date
    assert seeded.retrieve("China trade talks", k=10, since="2026-01-01") == []
    answer = seeded.ask("What did the Foreign Ministry post on X?", sources=["Stocktwits"])
    assert all(c.meta.id == AKAZAWA_ARTICLE for c in answer.citations)


def test_hybrid_fuses_both_retrievers(seeded: Assistant) -> None:
    question = "Guo Jiakun fake news"
    dense = seeded.retrieve(question, k=3, mode="dense")
    keyword = seeded.retrieve(question, k=3, mode="keyword")
    hybrid = seeded.retrieve(question, k=3)
    assert dense and keyword and hybrid
    assert all(p.keyword_score is None for p in dense) and all(p.keyword_score for p in keyword)
    assert hybrid[0].keyword_score and hybrid[0].dense_score is not None
    assert [p.rank for p in hybrid] == [1, 2, 3]
    assert all(a.score >= b.score for a, b in pairwise(hybrid))


def test_follow_up_resolves_the_pronoun(seeded: Assistant) -> None:
    first = seeded.ask("Who is Japan's chief negotiator?")
    follow = seeded.chat("When does he want a deal?", history=[(first.question, first.text)])
    assert follow.standalone_question and "Akazawa" in follow.standalone_question
    assert "June" in follow.text


def test_streaming_yields_text_then_the_answer(seeded: Assistant) -> None:
    items = list(seeded.stream("Who is Japan's chief negotiator?"))
    *deltas, final = items
    assert deltas and all(isinstance(d, str) for d in deltas) and isinstance(final, Answer)
    assert "".join(map(str, deltas)) == final.text  # what was streamed is the answer as it reads: markers and all
    assert set(final.timings) == {"retrieval", "first_token", "total"}


@pytest.mark.parametrize("question", ["", "   ", "x" * 5000])
def test_bad_questions_are_clear_errors(seeded: Assistant, question: str) -> None:
    with pytest.raises(AssistantError):
        seeded.ask(question)


def test_a_bad_date_is_a_clear_error(seeded: Assistant) -> None:
    with pytest.raises(AssistantError, match="not a date"):
        seeded.ask("Who is Japan's chief negotiator?", since="last week")
