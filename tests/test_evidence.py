"""The evidence selector: its fitted model file, sentence picking, metadata answers, and real decisions on seeds/."""

from __future__ import annotations

import numpy as np
import pytest

from assistant import Assistant
from assistant.evidence import (
    MODEL_FILE,
    QUESTION_FEATURES,
    SENTENCE_FEATURES,
    Evidence,
    EvidenceSentence,
    LogisticModel,
    article_metadata_evidence,
    load_evidence_model,
    make_selector,
    pick_complementary,
)
from tests.conftest import AKAZAWA_ARTICLE, DENIAL_ARTICLE
from tests.fakes import make_passage


def test_the_shipped_model_file_matches_the_features_the_code_computes() -> None:
    model = load_evidence_model(MODEL_FILE)
    assert model.sentence.features == SENTENCE_FEATURES and model.answerable.features == QUESTION_FEATURES
    assert 0.0 < model.answer_threshold < 1.0 and model.max_sentences >= 1


def test_a_model_with_other_features_is_refused() -> None:
    data = load_evidence_model(MODEL_FILE).sentence.to_dict() | {"features": ["lexical"]}
    with pytest.raises(ValueError, match="fitted on features"):
        LogisticModel.from_dict(data, SENTENCE_FEATURES)


def test_probability_is_the_logistic_of_the_standardised_row() -> None:
    model = LogisticModel(("a", "b"), np.array([1.0, 0.0]), np.array([2.0, 1.0]), np.array([1.0, -1.0]), 0.5)
    z = (3.0 - 1.0) / 2.0 * 1.0 + (2.0 - 0.0) * -1.0 + 0.5
    assert model.probability(np.array([[3.0, 2.0]]))[0] == pytest.approx(1 / (1 + np.exp(-z)))


def test_a_second_sentence_joins_only_when_nearly_as_likely_and_saying_something_new() -> None:
    texts = ["Akazawa leads Japan's talks.", "Akazawa leads Japan's talks again.", "Bessent leads the U.S. side today."]
    passage = make_passage(1, " ".join(texts))
    spans = [(passage.text.index(t), passage.text.index(t) + len(t)) for t in texts]
    first, same, other = (EvidenceSentence(passage, *span, p) for span, p in zip(spans, (0.9, 0.85, 0.8), strict=True))
    assert same.text == texts[1]
    assert pick_complementary([first, same, other], ratio=0.8, most=2) == [first, other]  # "again" adds too little
    assert pick_complementary([first, other], ratio=0.95, most=2) == [first]
    assert pick_complementary([first, other], ratio=0.8, most=1) == [first]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who wrote the article about China mulling talks?", "was written by Shanthi M."),
        ("Which outlet published the story on Japan's deal?", "was published by Stocktwits."),
        ("When was the article about the trade talks published?", "was published on July 2, 2025 (2025-07-02)."),
    ],
)
def test_questions_about_the_article_are_answered_from_its_metadata(question: str, expected: str) -> None:
    undated = make_passage(1, "No byline here. Text.", source="", published="")
    passage = make_passage(
        2, "Trump Trade Talks headline. More text.", title="Trump Trade Talks", source="Stocktwits", author="Shanthi M"
    )
    evidence = article_metadata_evidence(question, [undated, passage])
    assert evidence is not None and evidence.answers
    (sentence,) = evidence.sentences
    assert sentence.passage.rank == 2 and sentence.text == f"“Trump Trade Talks” {expected}"
    assert sentence.claim().sources[0].span == (0, len("Trump Trade Talks headline."))
    assert article_metadata_evidence("Who is Japan's chief negotiator?", [passage]) is None


@pytest.mark.parametrize("kind", ["heuristic", "fitted"])
def test_real_decisions_on_the_seeds(seeded: Assistant, kind: str) -> None:
    selector = make_selector(seeded.settings.model_copy(update={"evidence": kind}), seeded.encoder)

    def evidence(question: str) -> Evidence:
        return selector.select(seeded.question(question), seeded.retrieve(question))

    answered = evidence("Who is Japan's chief negotiator?")
    assert answered.answers and "Ryosei Akazawa" in answered.sentences[0].text
    assert answered.sentences[0].passage.meta.id == AKAZAWA_ARTICLE
    denied = evidence("Who called the rumors of negotiations fake news?")
    assert denied.answers and any(s.passage.meta.id == DENIAL_ARTICLE for s in denied.sentences)
    refused = evidence("Who won the 2024 Super Bowl?")
    assert not refused.answers and refused.answerable < answered.answerable
