from assistant.followups import rewrite_followup

FIRST = ("Who is Japan's chief negotiator?", "In a separate development, Japan’s chief negotiator, Ryosei Akazawa, said … [1]")


def test_a_pronoun_becomes_the_name_from_the_last_answer() -> None:
    assert rewrite_followup("When does he want a deal?", [FIRST]) == "When does Ryosei Akazawa want a deal?"
    assert rewrite_followup("What did his team discuss?", [FIRST]) == "What did Ryosei Akazawa's team discuss?"


def test_a_name_that_opens_the_answer_is_the_one_meant() -> None:
    # "Ryosei Akazawa [1]." named no one: a run of capitals opening a sentence was never read as a name
    assert rewrite_followup("When does he want a deal?", [("Who leads?", "Ryosei Akazawa [1].")]) == (
        "When does Ryosei Akazawa want a deal?"
    )
    opening = [("Who leads?", "In Washington, Japan's negotiator met Scott Bessent [1].")]
    assert rewrite_followup("What did he say?", opening) == "What did Scott Bessent say?"  # not "In Washington"
    assert rewrite_followup("What did he say?", [("Who spoke?", "The Chinese Foreign Ministry spoke [1].")]) == (
        "What did Chinese Foreign Ministry say?"
    )


def test_a_pronoun_becomes_the_name_of_the_latest_turn_that_named_someone() -> None:
    # "When does she take office?" after a refused turn that named no one was left as it was, and answered with a
    # sentence on Michelle Obama
    history = [
        ("Who won the Mexican presidential election?", "… reported that Claudia Sheinbaum won 58% of the vote [1]."),
        ("What did Biden say about her?", "The articles I have don't answer this question."),
    ]
    assert rewrite_followup("When does she take office?", history) == "When does Claudia Sheinbaum take office?"


def test_a_question_that_points_back_borrows_the_last_topic() -> None:
    assert rewrite_followup("Is that confirmed?", [FIRST]) == "Is that confirmed (Japan's chief negotiator)?"
    assert rewrite_followup("And China?", [FIRST]) == "And China (Japan's chief negotiator)?"


def test_a_new_question_with_its_own_subject_is_left_alone() -> None:
    assert rewrite_followup("What is the weather on Mars?", [FIRST]) == "What is the weather on Mars?"
    assert rewrite_followup("Who is Yun Sun?", []) == "Who is Yun Sun?"
