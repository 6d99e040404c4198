"""The metric functions on hand-worked examples."""

from __future__ import annotations

import pytest

from eval.datasets import GoldItem
from eval.metrics import (
    aggregate,
    answer_rank,
    answer_sentences,
    citation_coverage,
    content_words,
    exact_match,
    is_correct,
    known_metric_names,
    mentions_answer,
    names_wrong_choice,
    normalize,
    percentile,
    primary_metric,
    recall_metrics,
    refusal_metrics,
    source_rank,
    supports,
    token_f1,
)
from eval.scoring import score_record


def test_normalize_drops_case_punctuation_articles_and_markers() -> None:
    assert normalize("The U.S. said: “An Offer!” [1][2, 3]") == "u s said offer"
    assert normalize("Denmark’s Queen") == normalize("denmark's queen")


def test_a_month_abbreviated_before_a_day_is_the_month_written_out() -> None:
    assert is_correct("The next one will happen on August 23, 2044 [1].", [("Aug. 23, 2044",)])
    assert is_correct("It is due Sept. 5.", [("September 5",)])
    # an answer's own dateline ("On Jul 2, 2025, … reported") is not an article's "July 2"
    assert not is_correct("On Jul 2, 2025, Stocktwits reported that talks began [1].", [("July 2",)])
    assert normalize("Dr. No met Mar. 3") == "dr no met march 3"


def test_correct_means_a_gold_answer_and_no_wrong_choice() -> None:
    gold = [("Luke Humphries",)]
    choices = ["Rob Cross", "Luke Humphries", "Michael van Gerwen"]
    assert is_correct("Luke Humphries won the final [1].", gold, choices)
    assert not is_correct("Humphries won.", gold, choices)  # the whole answer string is needed
    assert not is_correct("Luke Humphries or Rob Cross won.", gold, choices)  # hedging between choices
    assert not is_correct("Rob Cross won.", gold, choices)
    assert is_correct("Storm Henk hit Britain.", [("Henk",)], ["Hen", "Henk"])  # a wrong choice inside the right one
    assert not is_correct("Henk and Hen both.", [("Henk",)], ["Hen", "Henk"])
    both = [("evaluating", "not having")]
    assert is_correct("Talks: China is evaluating; the ministry says NOT having any consultation.", both)
    assert not is_correct("China is evaluating.", [("evaluating", "not having")])
    assert not is_correct("anything", [])


def test_exact_match_and_token_f1() -> None:
    assert exact_match("The Fake News.", ["fake news"]) == 1.0
    assert exact_match("it was fake news", ["fake news"]) == 0.0
    assert token_f1("it was fake news", ["fake news"]) == pytest.approx(2 * 0.5 * 1.0 / 1.5)
    assert token_f1("nothing shared", ["fake news"]) == 0.0
    assert token_f1("fake", ["fake news", "fake"]) == 1.0


def test_answer_and_source_ranks() -> None:
    passages = ["China is evaluating this.", "Nothing here.", "They are NOT having any consultation."]
    assert answer_rank(passages, [("evaluating",)]) == 1
    assert answer_rank(passages, [("evaluating", "not having")]) == 3  # both parts are in by rank 3
    assert answer_rank(passages, [("absent",), ("consultation",)]) == 3
    assert answer_rank(passages, [("absent",)]) is None
    names = [["a1", "a.txt"], ["b1", "b.txt"], ["a1", "a.txt"]]
    assert source_rank(names, ["b.txt"]) == 2
    assert source_rank(names, ["A.TXT", "b1"]) == 2
    assert source_rank(names, ["c"]) is None


def test_recall_and_refusal_aggregates() -> None:
    got = recall_metrics([1, 3, None, 12], "hybrid.answer_recall")
    assert got["hybrid.answer_recall@1"] == 0.25
    assert got["hybrid.answer_recall@3"] == 0.5
    assert got["hybrid.answer_recall@10"] == 0.5
    assert got["hybrid.answer_mrr@10"] == pytest.approx((1 + 1 / 3) / 4)
    refusals = refusal_metrics(refused=[True, True, False, False, True], answerable=[False, True, True, False, False])
    assert refusals == {"refusal_precision": 2 / 3, "refusal_recall": 2 / 3, "wrong_refusal_rate": 0.5}
    assert refusal_metrics([False], [True])["refusal_precision"] is None


def test_sentences_and_citation_coverage() -> None:
    text = "U.S. stock futures gained ground [1]. Mr. Rubio spoke to Fox News. [2] Then nothing more was said."
    assert answer_sentences(text) == [
        "U.S. stock futures gained ground [1].",
        "Mr. Rubio spoke to Fox News. [2]",
        "Then nothing more was said.",
    ]
    assert citation_coverage(text) == pytest.approx(2 / 3)
    assert citation_coverage("Akazawa said the talks went well. [1]") == 1.0
    assert citation_coverage("") == 0.0


def test_support_by_answer_or_evidence() -> None:
    evidence = ["Henk was the eighth named storm in three months."]
    assert supports("Storm Henk brought floods.", [("Henk",)], evidence)
    assert supports("It was the eighth named storm in three months, forecasters said.", [("Hank",)], evidence)
    assert not supports("Rain fell.", [("Henk",)], evidence)
    assert not supports("It was in the news, they said.", [], ["It was in one of the storms."])  # shares only stopwords
    assert content_words("The 3 storms were in 2024, a year of records") == {"3", "storms", "2024", "year", "records"}


def test_percentiles() -> None:
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([0.0, 10.0], 95) == pytest.approx(9.5)
    assert percentile([], 50) is None


def _score(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "category": "c",
        "answerable": True,
        "has_answers": True,
        "has_sources": False,
        "retrieval": {"hybrid": {"answer_rank": 1, "source_rank": None, "seconds": 0.01}},
    }
    return base | fields


def test_aggregate_counts_each_metric_over_the_right_items() -> None:
    cited = [{"passage_supports": True, "quote_supports": False}]
    scores = [
        _score(refused=False, correct=True, exact_match=1.0, f1=1.0, coverage=1.0, citations=cited, latency=1.0, tokens=10),
        _score(refused=True, correct=False, exact_match=0.0, f1=0.0, coverage=0.0, citations=[], latency=3.0, tokens=0),
        _score(
            answerable=False,
            has_answers=False,
            refused=True,
            correct=False,
            exact_match=0.0,
            f1=0.0,
            coverage=0.0,
            citations=[],
            latency=2.0,
            tokens=0,
        ),
    ]
    metrics = aggregate(scores, ["hybrid"])
    assert metrics["accuracy"] == 0.5  # over the two answerable items
    assert metrics["wrong_refusal_rate"] == 0.5
    assert metrics["refusal_recall"] == 1.0
    assert metrics["refusal_precision"] == 0.5
    assert metrics["citation_precision"] == 1.0
    assert metrics["citation_quote_precision"] == 0.0
    assert metrics["latency_p50"] == 2.0
    assert metrics["tokens_per_answer"] == 10.0
    assert metrics["hybrid.answer_recall@1"] == 1.0
    assert primary_metric(metrics) == "accuracy"
    retrieval_only = aggregate([_score()], ["hybrid"])
    assert "accuracy" not in retrieval_only
    assert primary_metric(retrieval_only) == "hybrid.answer_recall@5"
    assert set(metrics) <= set(known_metric_names(["hybrid"]))


def test_a_counterfactual_passage_is_one_that_mentions_any_part_of_an_answer() -> None:
    assert mentions_answer("Japan's negotiator, Ryosei Akazawa, said.", [("Ryosei Akazawa",), ("Akazawa",)])
    assert mentions_answer("The Commerce Department said.", [("Commerce", "Foreign Ministry")])  # half an answer
    assert not mentions_answer("The Commerce Department said.", [("Commerce Secretary",)])
    assert not mentions_answer("Storm Hen.", [("Henk",)])  # whole words only


def test_naming_a_wrong_choice() -> None:
    gold, choices = [("Henk",)], ["Hen", "Henk", "Isha"]
    assert not names_wrong_choice("Storm Henk hit Britain.", gold, choices)  # "Hen" inside the right "Henk"
    assert names_wrong_choice("Storm Isha hit Britain.", gold, choices)
    assert names_wrong_choice("Henk, or maybe Hen.", gold, choices)
    assert not names_wrong_choice("A storm hit Britain.", gold, choices)
    assert not names_wrong_choice("Storm Isha hit Britain.", gold, [])


def test_counterfactual_refusal_and_wrong_choice_rates() -> None:
    choices = ("Rob Cross", "Luke Humphries", "Michael van Gerwen")
    gold = (("Luke Humphries",),)
    items = [
        GoldItem(id="wrong-choice", question="Who won?", answers=gold, choices=choices),
        GoldItem(id="right-choice", question="Who won?", answers=gold, choices=choices),
        GoldItem(id="refused", question="Who won?", answers=gold, choices=choices),
        GoldItem(id="no-choices", question="Who negotiates?", answers=(("Akazawa",),)),
        GoldItem(id="unanswerable", question="How old is he?", answers=(), answerable=False),
    ]
    said = {
        "wrong-choice": "Rob Cross won the final [1].",
        "right-choice": "Luke Humphries won the final [1].",  # answered without its passages, but no wrong choice
        "refused": None,
        "no-choices": "Someone else [1].",
    }

    def answer(text: str | None) -> dict[str, object]:
        return {"refused": text is None, "text": text or "I could not find that.", "citations": [], "passages": []}

    records = [{"answer": answer(None), "counterfactual": answer(said[i.id]) if i.id in said else None} for i in items]
    scores = [score_record(item, record, ["hybrid"]) for item, record in zip(items, records, strict=True)]
    assert [s["counterfactual"] for s in scores] == [
        {"refused": False, "wrong_choice": True},
        {"refused": False, "wrong_choice": False},
        {"refused": True, "wrong_choice": False},  # refusing names no choice
        {"refused": False, "wrong_choice": None},  # no choices to name
        None,
    ]
    metrics = aggregate(scores, ["hybrid"])
    assert metrics["counterfactual_items"] == 4.0
    assert metrics["counterfactual_refusal_rate"] == 0.25
    assert metrics["counterfactual_choice_items"] == 3.0  # the rate of wrong choices counts items with choices
    assert metrics["counterfactual_wrong_choice_rate"] == pytest.approx(1 / 3)
    assert set(metrics) <= set(known_metric_names(["hybrid"]))
    none_applied = aggregate([scores[-1]], ["hybrid"])  # a --counterfactual run without answerable items
    assert none_applied["counterfactual_items"] == 0.0
    assert none_applied["counterfactual_refusal_rate"] is None
    assert none_applied["counterfactual_wrong_choice_rate"] is None
    plain = aggregate([score_record(items[0], {"answer": answer(None)}, ["hybrid"])], ["hybrid"])
    assert not any(name.startswith("counterfactual") for name in plain)  # not a --counterfactual run
