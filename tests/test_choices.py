"""Multiple-choice questions: parsing the options, finding where a text names one, the per-choice features, and a
real answer over seeds/ that states one choice, cited."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from assistant import Assistant
from assistant.choice_features import (
    CHOICE_FEATURES,
    SentenceScores,
    best_sentences,
    choice_rows,
    naming_matrix,
    window_shares,
)
from assistant.choice_reader import READER_FEATURES, reader_rows
from assistant.choices import is_negated, named_choices, normalized, split_choices
from assistant.evidence import (
    MODEL_FILE,
    QUESTION_STEMS,
    READER_CHOICE_FEATURES,
    EvidenceModel,
    LogisticModel,
    choose,
    load_evidence_model,
)
from assistant.prompts import CHOICE_SYSTEM


@pytest.mark.parametrize(
    ("question", "stem", "choices"),
    [
        ("Who won? Choose one of: Owl; Eeyore; Roo; Tigger.", "Who won?", ("Owl", "Eeyore", "Roo", "Tigger")),
        ("Which city hosts it? Options: Paris | Rome", "Which city hosts it?", ("Paris", "Rome")),
        ("Who leads (choices: Ryosei Akazawa; Scott Bessent)?", "Who leads", ("Ryosei Akazawa", "Scott Bessent")),
    ],
)
def test_a_trailing_list_of_options_is_split_off(question: str, stem: str, choices: tuple[str, ...]) -> None:
    assert split_choices(question) == (stem, choices)


@pytest.mark.parametrize(
    "question",
    ["Who is Japan's chief negotiator?", "What are the options: to wait or to act?", "Choose one of: only-one."],
)
def test_a_question_without_a_list_of_options_has_no_choices(question: str) -> None:
    assert split_choices(question) == (question, ())


def test_choices_are_found_as_phrases_or_by_a_name_of_their_own() -> None:
    choices = ("Tsai Ing-wen", "Hou Yu-ih", "Lai Ching-te", "Ko Wen-je")
    sentence = "Opposition politicians Hou and Ko and current vice president Lai are battling to replace Tsai."
    assert named_choices(sentence, choices) == [0, 1, 2, 3]
    assert named_choices("Henk won, not Hen.", ("Hen", "Henk")) == [0, 1]
    assert named_choices("Henk won.", ("Hen", "Henk")) == [1]  # "Hen" only inside "Henk"
    assert named_choices("Prices rose 1,200 points.", ("1,200", "1,300")) == [0]
    assert named_choices("The event starts at 12:30.", ("30", "40")) == []
    assert normalized("São Paulo, U.S.") == " sao paulo u s "


def test_negated_questions_are_recognised() -> None:
    assert is_negated("Which of the following is not a candidate?")
    assert not is_negated("Which of the following is a candidate?")


def test_each_choice_gets_its_best_sentence_and_the_gap_to_the_others() -> None:
    texts = ["Akazawa leads Japan's team.", "Bessent met Akazawa.", "Tariffs rose."]
    choices = ("Ryosei Akazawa", "Scott Bessent", "Kato")
    scores = SentenceScores(
        texts=texts,
        passage_ranks=[1, 1, 2],
        probability=np.array([0.8, 0.3, 0.1]),
        lexical=np.array([0.5, 0.2, 0.0]),
        semantic=np.array([0.6, 0.4, 0.1]),
        names=np.array([1.0, 0.5, 0.0]),
    )
    naming = naming_matrix(texts, choices)
    assert list(best_sentences(naming, scores.probability)) == [0, 1, -1]
    rows = choice_rows(scores, naming, np.array([0.7, 0.2, 0.0]), np.array([0.6, 0.1, 0.0]), choices, negated=False)
    column = {name: i for i, name in enumerate(CHOICE_FEATURES)}
    assert rows[:, column["named"]].tolist() == [1.0, 1.0, 0.0]
    assert rows[:, column["probability"]].tolist() == pytest.approx([0.8, 0.3, 0.0])
    assert rows[:, column["probability_alone"]].tolist() == pytest.approx([0.8, 0.0, 0.0])
    assert rows[:, column["probability_gap"]].tolist() == pytest.approx([0.5, -0.5, -0.8])
    assert rows[:, column["passage_share"]].tolist() == pytest.approx([0.5, 0.5, 0.0])
    assert rows[:, column["names"]].tolist() == pytest.approx([1.0, 0.5, 0.0])
    assert rows[:, column["hypothesis"]].tolist() == pytest.approx([0.7, 0.2, 0.0])
    assert rows[:, column["window"]].tolist() == pytest.approx([0.6, 0.1, 0.0])
    assert rows[:, column["window_gap"]].tolist() == pytest.approx([0.5, -0.5, -0.6])


def test_a_choice_scores_the_question_words_near_where_it_is_named() -> None:
    """One passage names both players; only the winner is named among the question's words."""
    question = "Who beat Luke Littler to become the PDC world champion?"
    choices = ("Rob Cross", "Luke Humphries", "Michael Smith")
    passages = [
        "Rob Cross, a former champion, went out early at Alexandra Palace in London this December, after a long run of "
        "good form through the autumn and a semi-final the year before. In the final, Luke Humphries beat Luke Littler "
        "7-4 to become the PDC world champion for the first time.",
        "Tickets for next year's tournament go on sale in June.",
    ]
    shares = window_shares(question, choices, passages, QUESTION_STEMS)
    assert shares[1] > 0.8  # beat, Littler, become, PDC, world, champion: all within ten words of "Luke Humphries"
    assert 0.0 < shares[0] < 0.3  # "champion" only
    assert shares[2] == 0.0  # never named
    assert window_shares("Who won?", choices, passages, QUESTION_STEMS).tolist() == [0.0, 0.0, 0.0]  # no word to find


def test_a_negated_question_marks_the_one_choice_the_evidence_leaves_out() -> None:
    texts = ["Hou and Ko and Lai are battling to replace Tsai.", "Hou leads the KMT."]
    choices = ("Tsai Ing-wen", "Hou Yu-ih", "Lai Ching-te", "Ko Wen-je", "Terry Gou")
    scores = SentenceScores(texts, [1, 1], np.array([0.6, 0.2]), np.zeros(2), np.zeros(2), np.zeros(2))
    rows = choice_rows(scores, naming_matrix(texts, choices), np.zeros(5), np.zeros(5), choices, negated=True)
    column = {name: i for i, name in enumerate(CHOICE_FEATURES)}
    assert rows[:, column["negated_absent"]].tolist() == [0.0, 0.0, 0.0, 0.0, 1.0]
    assert rows[:, column["negated_named"]].tolist() == [1.0, 1.0, 1.0, 1.0, 0.0]


def test_the_shipped_model_file_has_a_choice_model_and_one_that_reads_the_local_models_reading() -> None:
    model = load_evidence_model(MODEL_FILE)
    assert model.choice is not None and model.choice.features == CHOICE_FEATURES
    assert 0.0 < model.choice_threshold < 1.0
    assert model.reader_choice is not None and model.reader_choice.features == READER_CHOICE_FEATURES
    assert 0.0 < model.reader_choice_threshold < 1.0
    reader_weight = model.reader_choice.weights[READER_CHOICE_FEATURES.index("reader")]
    assert reader_weight > 0  # fitted, a choice the model finds likelier is likelier stated


def test_a_multiple_choice_question_is_answered_with_one_choice_cited(seeded: Assistant) -> None:
    answer = seeded.ask("Who is Japan's chief trade negotiator? Choose one of: Scott Bessent; Ryosei Akazawa; Shigeru Ishiba.")
    assert not answer.refused
    assert answer.text.startswith("Ryosei Akazawa [1]") and "Bessent" not in answer.text
    assert answer.citations and "Akazawa" in answer.citations[0].quote


def test_a_multiple_choice_question_none_of_whose_choices_the_articles_name_is_refused(seeded: Assistant) -> None:
    answer = seeded.ask("Who won the 2024 Tour de France? Choose one of: Tadej Pogacar; Jonas Vingegaard; Remco Evenepoel.")
    assert answer.refused


class ScriptedReader:
    """A reader that answers with a fixed distribution over the letters and keeps the prompts it was shown."""

    def __init__(self, distribution: list[float]) -> None:
        self.distribution = np.array(distribution)
        self.prompts: list[tuple[str, str, str]] = []

    def letter_probabilities(self, system: str, user: str, letters: str) -> np.ndarray:
        self.prompts.append((system, user, letters))
        return self.distribution


def trusting_the_reader() -> EvidenceModel:
    """The shipped model with a reader part that follows the reader's probability alone."""
    weights = np.zeros(len(READER_CHOICE_FEATURES))
    weights[READER_CHOICE_FEATURES.index("reader")] = 10.0
    reader_model = LogisticModel(READER_CHOICE_FEATURES, np.zeros(len(weights)), np.ones(len(weights)), weights, bias=-5.0)
    return replace(load_evidence_model(MODEL_FILE), reader_choice=reader_model, reader_choice_threshold=0.5)


JAPAN = "Who is Japan's chief trade negotiator? Choose one of: Scott Bessent; Ryosei Akazawa; Shigeru Ishiba."


def test_a_reader_sees_the_excerpts_and_lettered_choices_and_its_reading_joins_the_choice_model(seeded: Assistant) -> None:
    passages = seeded.retrieve(JAPAN)
    question = seeded.question(JAPAN)
    reader = ScriptedReader([0.05, 0.9, 0.03, 0.02])
    evidence = choose(trusting_the_reader(), question, passages, seeded.encoder, reader)
    system, user, letters = reader.prompts[0]
    assert letters == "ABCD" and system == CHOICE_SYSTEM
    assert "A. Scott Bessent\nB. Ryosei Akazawa\nC. Shigeru Ishiba\nD. The excerpts do not say" in user
    assert "Akazawa" in user.split("Question:")[0]  # the sentence naming the answer is among the excerpts
    assert evidence.answers and evidence.sentences[0].text == "Ryosei Akazawa."
    assert evidence.answerable == pytest.approx(1 / (1 + np.exp(-(10 * 0.9 - 5))))

    doubting = choose(trusting_the_reader(), question, passages, seeded.encoder, ScriptedReader([0.1, 0.2, 0.1, 0.6]))
    assert not doubting.answers  # the reader finds no choice stated: below the operating point


def test_reader_rows_give_each_choice_its_probability_the_not_stated_share_and_whether_it_is_the_top() -> None:
    rows = reader_rows(np.array([0.2, 0.5, 0.3]))
    assert rows.tolist() == [[0.2, 0.3, 0.0], [0.5, 0.3, 1.0]]
    assert rows.shape[1] == len(READER_FEATURES)


def test_without_a_reader_part_in_the_model_file_a_reader_is_not_asked(seeded: Assistant) -> None:
    reader = ScriptedReader([0.0, 0.0, 1.0, 0.0])
    model = replace(load_evidence_model(MODEL_FILE), reader_choice=None)
    evidence = choose(model, seeded.question(JAPAN), seeded.retrieve(JAPAN), seeded.encoder, reader)
    assert reader.prompts == [] and evidence.sentences[0].text == "Ryosei Akazawa."
