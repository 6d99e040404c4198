"""The evidence selector: its fitted model file, sentence picking, metadata answers, and real decisions on seeds/."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from assistant import Assistant
from assistant.config import HeuristicEvidenceSettings
from assistant.evidence import (
    MODEL_FILE,
    QUESTION_FEATURES,
    SAID_QUESTION,
    SENTENCE_FEATURES,
    AskedFor,
    AskedParts,
    Evidence,
    EvidenceSentence,
    HeuristicSelector,
    LogisticModel,
    article_metadata_evidence,
    asked_about_coverage,
    asked_words,
    asks_for_several,
    candidate_sentences,
    context_stems,
    distinctive_terms,
    evidence_coverage,
    is_headline,
    load_evidence_model,
    make_selector,
    named_before,
    numbers_held,
    passage_terms,
    pick_complementary,
    rarity_weighted_overlap,
    reports_words_of,
    speaks_in,
    with_speaker,
)
from assistant.text import capitalised_words, sentences
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
    # the article the question describes has no byline: another article's is no answer ("… was written by Shanthi M."
    # answered "Who wrote the article about China standing firm?")
    firm = make_passage(1, "China stands firm. More.", title="China Stands Firm in Trade War", author="")
    refusal = article_metadata_evidence("Who wrote the article about China standing firm?", [firm, passage])
    assert refusal is not None and not refusal.answers
    # a question about a newspaper in the news, not about who published the article: it was answered "“…” was
    # published by usatoday.com"
    assert article_metadata_evidence("Which newspaper slashed more than 20% of its staff this week?", [passage]) is None


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
    by_outlet = evidence("According to Stocktwits, who is Japan's chief negotiator?")
    assert by_outlet.answers and "Akazawa" in " ".join(s.text for s in by_outlet.sentences)
    if kind == "heuristic":
        quoted = evidence("Who said that the Chinese want to meet and talk?")
        assert quoted.answers and "Marco Rubio" in quoted.sentences[0].text and "want to meet" in quoted.sentences[1].text
        assert not evidence("How old is Scott Bessent?").answers
        joined = evidence("Are US-China talks happening?")  # the articles write "U.S.-China", "China and the U.S."
        assert joined.answers and {s.passage.meta.id for s in joined.sentences} == {AKAZAWA_ARTICLE, DENIAL_ARTICLE}
        metonym = evidence("Who is Tokyo's chief negotiator?")  # the articles say Japan
        assert metonym.answers and "Ryosei Akazawa" in metonym.sentences[0].text
        # Rubio and Japan are both in the articles, never together: nothing Rubio said is about Japan.
        assert evidence("What did Rubio say about China?").answers
        assert not evidence("What did Marco Rubio say about Japan?").answers
        assert not evidence("What was the closing price of the Invesco QQQ Trust?").answers  # only its move, in %
        # What someone said: their words, not a sentence that only names them ("… led by Bessent, and Commerce
        # Secretary Howard Lutnick"; "Chinese leadership under Xi Jinping is resolute").
        assert not evidence("What did Lutnick announce?").answers
        assert not evidence("What did Xi Jinping say?").answers
        told = evidence("What did Akazawa tell reporters?")
        assert told.answers and "concrete discussions" in told.sentences[0].text
        two = evidence("What did China's Commerce Department and its Foreign Ministry each say about talks with the U.S.?")
        assert {s.passage.meta.id for s in two.sentences} == {AKAZAWA_ARTICLE, DENIAL_ARTICLE}
        # Asked with the passages that hold its answer ("fight to the end") taken away, as a counterfactual is: the
        # best sentences left hold a third of the question's words, which is no answer.
        fights = "What will China do if the U.S. fights, according to its spokesperson?"
        left = [p for p in seeded.retrieve(fights) if "fight to the end" not in p.text.lower()]
        assert not selector.select(seeded.question(fights), left).answers
        unchecked = HeuristicSelector(
            seeded.encoder, HeuristicEvidenceSettings(min_evidence_coverage=0.0, min_asked_about_coverage=0.0)
        )
        assert unchecked.select(seeded.question(fights), left).answers
        # A near miss: the articles name Akazawa, Washington and his talks, never a trip; they were quoted anyway.
        trip = "When will Akazawa next travel to Washington?"
        assert not evidence(trip).answers and evidence("When will Akazawa's talks gain speed?").answers
        lenient = HeuristicSelector(seeded.encoder, HeuristicEvidenceSettings(min_asked_about_coverage=0.0))
        assert lenient.select(seeded.question(trip), seeded.retrieve(trip)).answers


def test_a_word_few_sentences_hold_outweighs_one_every_sentence_holds() -> None:
    wanted = {"china", "fight"}
    candidates = [{"china", "fight"}, {"china", "talk"}, {"china", "door"}, {"fight", "end"}]
    overlap = rarity_weighted_overlap(wanted, candidates)
    assert overlap[0] == pytest.approx(1.0) and overlap[3] > overlap[1] == overlap[2] > 0
    assert list(rarity_weighted_overlap(set(), candidates)) == [0.0] * 4


def test_a_sentence_that_gives_its_words_to_a_pronoun_is_read_with_the_one_before() -> None:
    # "What did the Chinese spokesperson say the door is if the two sides talk?" was answered with another sentence:
    # the answer's own sentence names neither China nor the spokesperson, the one before it does
    text = (
        "The Chinese spokesperson spoke on Friday. “China's position is consistent. If we talk, the door is open,” he"
        " added. The door of the ministry is red."
    )
    passage = make_passage(1, text)
    spans = sentences(text)
    added, plain = (EvidenceSentence(passage, *spans[i]) for i in (2, 3))
    assert (
        added.text.startswith("If we talk") and with_speaker(added, [passage]) == f"{added.text} “China's position is consistent."
    )
    assert with_speaker(plain, [passage]) == plain.text  # no pronoun speaks: read alone


def test_what_a_question_asks_about_its_names_must_be_in_the_evidence_itself() -> None:
    passage = make_passage(1, "Akazawa said talks with Washington would gain speed. He met Bessent.", title="Talks")
    said, met = (EvidenceSentence(passage, *span) for span in sentences(passage.text))
    assert asked_about_coverage("When will Akazawa next travel to Washington?", [said]) == 0.0  # travel, next
    assert asked_about_coverage("What does Akazawa think?", [said]) == 1.0  # the said-rule reads the verb of saying
    assert asked_about_coverage("Which two talks did Akazawa hold?", [said]) == 0.5  # talks, hold: "two" is a count
    assert asked_about_coverage("When will the talks with Washington gain speed?", [said]) == 1.0
    # the headline counts; the sentences before do not (they name who is meant, not what is asked)
    assert asked_about_coverage("Who did Akazawa meet about the talks?", [met]) == 1.0  # meet; talk (headline)
    # "He met Bessent" holds none of gain, speed; "talks" only by its headline
    assert asked_about_coverage("When did Akazawa say the talks would gain speed?", [met]) == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    ("question", "wanted"),
    [
        # the words that ask for the kind of answer are checked by the kind, not looked for among the evidence's words
        ("What was the percentage gain of the fund on Thursday?", {"gain", "fund", "thursday"}),
        ("Which state saw mudslides this week?", {"mudslid", "saw"}),
        ("Which island nation elected a new leader?", {"island", "elect", "leader"}),  # the island is asked about
        ("In which month is the tax deadline?", {"tax", "deadlin"}),
        ("What is the name of the boy from Lewes?", {"boy", "lew"}),
        ("What did Guo accuse the ministry of?", {"guo", "accus", "ministri"}),  # "other": nothing asks for a kind
    ],
)
def test_the_words_asking_for_the_kind_of_answer_are_not_wanted_of_the_evidence(question: str, wanted: set[str]) -> None:
    assert asked_words(question) == wanted


def test_evidence_coverage_counts_the_question_words_the_evidence_holds_in_its_context() -> None:
    before = "Akazawa met Bessent in Washington on Thursday."
    text = f"{before} He said the talks were concrete and that he would travel there next month."
    passage = make_passage(1, text, title="Japan trade envoy heads home")
    said = text.index("He said")
    sentence = EvidenceSentence(passage, said, len(text))
    # "travel" and "Washington" are in the sentence or the one before it (who "he" is): all four words held
    assert evidence_coverage("When will Akazawa next travel to Washington?", [sentence], [passage]) == pytest.approx(1.0)
    # the same sentence says nothing of a summit or of Seoul: one of four words held (Akazawa, from its context)
    assert evidence_coverage("When will the summit in Seoul open, according to Akazawa?", [sentence], [passage]) == 0.25
    # the headline is context too ("home"); question and reporting words are not asked words
    assert evidence_coverage("Who reported that the envoy heads home?", [sentence], [passage]) == pytest.approx(1.0)
    # "how many" and "how much" ask for a number: "many" is no word the evidence must hold
    assert evidence_coverage("How many months will Akazawa travel?", [sentence], [passage]) == pytest.approx(1.0)


def test_a_price_is_an_amount_of_money_not_a_move_in_percent() -> None:
    asked = AskedFor.of("What was the closing price of the iShares MSCI China ETF?")
    assert asked.kind == "money"
    assert not asked.held_by("The iShares MSCI China ETF slipped 0.14%.")
    assert asked.held_by("The fund closed at $41.20.") and asked.held_by("It closed at 3 billion yuan.")


def test_a_headline_in_the_text_is_not_evidence_but_the_body_is() -> None:
    title = "Trump Trade Talks: China Finally Mulls Opening Door For Negotiations, Japan Races To Close Deal"
    passage = make_passage(1, f"{title}\n\nChina said it was evaluating a proposal for talks.", title=title)
    headline, body = candidate_sentences([passage])
    assert headline.text == title and is_headline(headline) and not is_headline(body)


def test_a_sentence_that_asks_is_not_evidence_but_its_answer_is() -> None:
    # USA Today's explainers put questions between their paragraphs; quoted as an answer they read "… reported that
    # how did Littler qualify for the PDC World Championship?".
    passage = make_passage(
        1, "How did Littler qualify for the World Championship? He beat Rob Cross to secure a spot. Who asked “Why now?”"
    )
    assert [s.text for s in candidate_sentences([passage])] == ["He beat Rob Cross to secure a spot."]


@pytest.mark.parametrize(
    ("text", "candidates"),
    [
        (  # USA Today's pages run their links into the text: "More:Mexico elects first female president, …"
            "Sheinbaum won the election.\n\nMore:Mexico elects first female president\n\nMORE: Why the peso fell\n\n"
            "More recently, the peso recovered.",
            ["Sheinbaum won the election.", "More recently, the peso recovered."],
        ),
        (  # "As written, the bill would: [1]" was quoted as an answer; the lead-in's content is the list after it
            "As written, the bill would:\n\nRaise the fee to $40 a month.\n\nHe said: it is fair.",
            ["Raise the fee to $40 a month.", "He said: it is fair."],
        ),
        (  # a subhead of a few words is none, but a longer line the page left unended is one
            "Current Fed interest rate\n\nThe Fed held rates at 5.25% to 5.5%.\n\n"
            "Cucumbers were recalled in 14 states over salmonella fears",
            ["The Fed held rates at 5.25% to 5.5%.", "Cucumbers were recalled in 14 states over salmonella fears"],
        ),
        (  # a link's title worded as a question, without its question mark: "Why each candidate can win Iowa."
            "Why each Republican candidate can win the Iowa Caucuses.\n\nHow the caucuses work\n\n"
            "Here's how Hunter Biden, his lawyer Abbe Lowell reacted to verdict\n\n"
            "How he won, nobody knows. Howard Lutnick said Trump won by 30 points.",
            ["How he won, nobody knows.", "Howard Lutnick said Trump won by 30 points."],
        ),
        (  # a subhead of up to eight words without a full stop: "File early to get a refund sooner"
            "File early to get a refund sooner\n\nTaxes are due by April 15.",
            ["Taxes are due by April 15."],
        ),
        (  # a link's question run into the next headline: "Will Fed rate cuts lift Americans?Fed interest-rate cuts …"
            "Will Fed rate cuts lift Americans?Fed interest-rate cuts are likely coming but may not offer much relief\n\n"
            "The Fed held rates at 5.25% to 5.5%. Is that high? Yes.",
            ["The Fed held rates at 5.25% to 5.5%."],
        ),
    ],
    ids=[
        "link-to-another-story",
        "lead-in-ending-with-a-colon",
        "subhead",
        "question-without-its-mark",
        "eight-word-subhead",
        "question-run-into-a-headline",
    ],
)
def test_a_line_that_states_nothing_is_not_evidence(text: str, candidates: list[str]) -> None:
    assert [s.text for s in candidate_sentences([make_passage(1, text)])] == candidates


@pytest.mark.parametrize(
    ("question", "several"),
    [
        ("Which two Chinese government bodies commented on trade talks?", True),
        ("What did the Commerce Department and the Foreign Ministry each say?", True),
        ("What must the U.S. do, according to the spokesperson and to analyst Yun Sun?", True),
        ("On what date will Trump and Xi Jinping meet?", False),  # one event, both in it
        ("Who is Japan's chief negotiator?", False),
    ],
)
def test_a_question_asks_for_several_things_when_it_says_so(question: str, several: bool) -> None:
    assert asks_for_several(question) is several


def test_the_sources_a_question_names_after_according_to_each_get_a_sentence() -> None:
    parts = AskedParts.of("What must the U.S. do, according to the Chinese spokesperson and to analyst Yun Sun?")
    assert parts.groups == (frozenset({"chines", "spokesperson"}), frozenset({"analyst", "yun", "sun"}))
    assert parts.whole and not parts.together
    assert not parts.has(parts.groups[0], {"china", "ladder"})  # the whole source: China alone is not its spokesperson
    texts = [
        "Analysts, including Yun Sun, say the U.S. must reach out to Xi.",
        "China's spokesperson spoke to reporters on Friday.",
        "The position is firm and will not change, she said.",
        "China's spokesperson said the U.S. must cancel the tariffs.",
    ]
    passage = make_passage(1, " ".join(texts), article_id="a", start=0)
    sun, _, firm, cancel = (EvidenceSentence(passage, passage.text.index(t), passage.text.index(t) + len(t)) for t in texts)
    # "firm" is read with the spokesperson's sentence before it, but "cancel" names the spokesperson itself.
    assert parts.has(parts.groups[0], context_stems(firm, [passage]))
    assert parts.covering([sun], [sun, firm, cancel], [passage]) == [sun, cancel]
    assert parts.covering([sun], [sun, firm], [passage]) == [sun, firm]
    assert AskedParts.of("Which two Chinese bodies commented?").together
    assert not AskedParts.of("What did the Commerce Department and the Foreign Ministry each say?").together


def test_a_capitalised_stopword_is_not_a_name_the_passages_must_hold() -> None:
    assert distinctive_terms("According to The Hill, what did Bessent say?") == {"bessent", "hill"}
    assert distinctive_terms("Which official told Fox News about it in 2025?") == {"fox", "2025"}


def test_a_name_joined_by_a_hyphen_is_looked_for_part_by_part() -> None:
    assert distinctive_terms("How many crossed the US-Mexico border?") == {"mexico"}  # "us" is a stopword
    assert "mexico" in passage_terms(make_passage(1, "Encounters at the US-Mexico border fell."))
    assert "mexico" in passage_terms(make_passage(1, "Mexico's border with the U.S. was quiet."))


def test_a_number_with_a_decimal_point_or_a_thousands_comma_is_one_term() -> None:
    # "Which of the following was recently struck by a 7.4 magnitude earthquake?" read "7.4" as two one-letter words,
    # which count for nothing: a 6.8 quake's sentence was quoted, and passages with no 7.4 quake answered
    asked = "Which island was struck by a 7.4 magnitude earthquake that cost $1.3 billion and 40,000 homes?"
    assert {"7.4", "1.3", "40,000"} <= distinctive_terms(asked)
    quake = make_passage(1, "The 7.4-magnitude quake destroyed 40,000 homes, a $1.3 billion loss.")
    assert distinctive_terms(asked) <= passage_terms(quake)
    assert "7.4" not in passage_terms(make_passage(2, "A 6.8 magnitude earthquake struck on day 7. 4 died."))
    selector = HeuristicSelector(encoder=None)  # type: ignore[arg-type]  # deciding reads no vectors
    other = replace(make_passage(1, "A 6.8 magnitude earthquake struck the island and cost $1.3 billion."), dense_score=0.5)
    assert not selector.answerable(asked, [other])


def test_the_evidence_must_hold_the_numbers_the_question_states_but_its_years() -> None:
    # "Which state passed a new law banning children under the age of 14 …?" was answered with a bill "for minors under
    # the age of 16"; "… struck by a 7.4 magnitude earthquake?" with a 6.8 quake
    text = "Lawmakers met in 2024. The House passed a ban for minors under 16. A 7.4-magnitude quake hit Taiwan."
    passage = make_passage(1, text)

    def sentence(part: str) -> EvidenceSentence:
        return EvidenceSentence(passage, text.index(part), text.index(part) + len(part))

    ban, quake = sentence("The House passed a ban for minors under 16."), sentence("A 7.4-magnitude quake hit Taiwan.")
    assert not numbers_held("Which state banned children under 14 from social media?", [ban], [passage])
    assert numbers_held("Which state banned minors under 16 from social media in 2025?", [ban], [passage])  # a year
    assert numbers_held("Which island did a 7.4 magnitude earthquake hit?", [quake], [passage])  # "7.4-magnitude"
    assert not numbers_held("Which island did a 7.4 magnitude earthquake hit?", [ban], [passage])
    assert numbers_held("Which island did a big earthquake hit?", [ban], [passage])  # no number asked: nothing to hold


def test_the_outlet_and_byline_are_words_a_passage_offers() -> None:
    passage = make_passage(1, "Akazawa leads the talks.", title="Japan's deal", source="Stocktwits", author="Shanthi M")
    assert {"stocktwit", "shanthi", "japan", "akazawa"} <= passage_terms(passage)


def test_a_sentence_opened_by_a_quote_starts_with_no_name() -> None:
    assert capitalised_words("“They want to meet,” he said. (The talks) went on with Rubio.") == {"rubio"}


@pytest.mark.parametrize(
    ("question", "sentence", "holds"),
    [
        ("How old is he?", "Akazawa aims to reach a deal in June.", False),
        ("How old is he?", "Akazawa, 63, aims to reach a deal.", True),
        ("How many new boats does the ferry have?", "The ferry returns with two new boats.", True),
        ("When will they meet?", "They want to meet, they want to talk.", False),
        ("When will they meet?", "They will meet on Friday.", True),
        ("When will they meet?", "They will meet at 9 a.m. in the coming weeks.", True),
        ("When will they meet?", "They will meet Jan. 5.", True),
        # a modal, a verb and the outlet USA Today are no times; a duration answers "how long", not "when"
        ("When is the sentencing?", "He may be sentenced to probation, experts told USA TODAY.", False),
        ("When is the sentencing?", "Protesters march as the sentencing nears, and it could mean four years.", False),
        ("How long will the totality last?", "The totality will last about four minutes.", True),
        ("How long has he been detained?", "He has been detained since January.", True),
        ("How long has he been detained?", "He was detained by the police.", False),
        ("When is the sentencing?", "THE SENTENCING IS SET FOR JUNE 5.", True),
        ("When will tariffs rise?", "TRUMP MAY RAISE TARIFFS.", False),
        ("Who leads the talks?", "they lead the talks.", False),
        ("Who leads the talks?", "The talks are led by Akazawa.", True),
        # the question's own name with its possessive, and a weekday, name no one new
        (
            "Who is Mexico's first female president?",
            "Mexico made history on Sunday by electing its first female president.",
            False,
        ),
        ("Who is Mexico's first female president?", "Mexico elected Claudia Sheinbaum on Sunday.", True),
        # another name of the question's own place names no one new: "America" is the question's "US"
        ("The US will sell the pill under what name?", "America's first over-the-counter pill will be available soon.", False),
        ("The U.S. will sell the pill under what name?", "America's first over-the-counter pill will be available soon.", False),
        ("Who will the United States send?", "America will send its envoy.", False),
        ("Who will the United States send?", "America will send Kurt Campbell.", True),
        ("Who said the Chinese want to talk?", "China's spokesperson said the door is open.", False),
        ("Who said the Chinese want to talk?", "Rubio said the Chinese want to talk.", True),
        ("Which country legalised it first?", "Greece has legalized same-sex civil marriage.", True),
        ("Which country legalised it first?", "The law was passed by parliament.", False),
        ("What did China say?", "China said it was evaluating the proposal.", True),
        # a name asked for: "What is the name of the 4-year-old boy from Lewes who will throw the first pitch?"
        ("What is the name of the boy from Lewes?", "A Lewes 4-year-old will throw the first pitch.", False),
        ("What is the name of the boy from Lewes?", "Zeke Clark can still throw the first pitch.", True),
        ("The pill will be sold under what name?", "The first over-the-counter pill will be available soon.", False),
        ("Tesla is scrapping a low-cost EV called what?", "Tesla scraps its Model 2 plans.", True),
        # a number the question states is no answer to it; a share asked for is answered by a share
        ("How many days are in the 2024 calendar year?", "February 2024 will have an extra day.", False),
        ("How many days are in the 2024 calendar year?", "2024 has 366 days.", True),
        ("How many Boeing 737 Max 9 jets were grounded?", "The FAA grounded 171 planes.", True),
        ("Roughly what percentage of people live with unhealthy air?", "More than 131 million Americans do.", False),
        ("Roughly what percentage of people live with unhealthy air?", "Nearly 2 in 5 Americans do.", True),
        ("What percentage of US adults got the vaccine?", "Only 19% of adults got it.", True),
        ("What was the percentage gain of the fund?", "The fund ended the session up 1.31%.", True),
        ("What was the percentage gain of the fund?", "The fund holds 131 million shares.", False),
        # "which state / country" is answered by a state or a country, not one the question names
        ("Which state held a primary this week?", "Only the caucus results count toward the state's delegates.", False),
        ("Which state held a primary this week?", "Trump won the New Hampshire primary.", True),
        ("Which country did France's president visit?", "France's president traveled abroad.", False),
        ("Which country did France's president visit?", "Macron landed in Vietnam on Monday.", True),
        ("What percentage of US adults got the vaccine?", "Some 30 million adults got it by COVID-19's fourth year.", False),
        # an adjective may come between ("which island nation"), and the outlet USA Today names no country
        ("Which island nation elected a new leader?", "A Suffolk University/USA TODAY poll found Kennedy at 10%.", False),
        ("Which island nation elected a new leader?", "Taiwan elected Lai Ching-te on Saturday.", True),
        # "which month" is answered by a month, written out or abbreviated before a day, not by the verb "may"
        ("During which month do the Paris Olympics begin?", "The opening ceremony will be staged on the Seine.", False),
        ("During which month do the Paris Olympics begin?", "The first matches are on July 24.", True),
        ("In which month is the tax deadline?", "Returns are due Aug. 15 for those who asked for more time.", True),
        ("In which month is the tax deadline?", "Your refund may be larger this year.", False),
        ("Did it rain more in May than in which month?", "It rained most in May.", False),
    ],
)
def test_a_sentence_without_the_kind_of_thing_asked_for_does_not_answer(question: str, sentence: str, holds: bool) -> None:
    assert AskedFor.of(question).held_by(sentence) is holds


def test_a_quote_that_names_no_one_is_attributed_from_the_sentences_before_it() -> None:
    said = "Secretary of State Marco Rubio told Fox News that China was looking for a deal."
    quotes = "“The Chinese are reaching out,” he said. “They want to meet, they want to talk.”"
    before = make_passage(1, said, article_id="a", start=0)
    after = make_passage(2, quotes, article_id="a", start=len(said) + 1)
    other = make_passage(3, "Bessent spoke in Tokyo.", article_id="b", start=0)
    start = quotes.index("“They")
    quote = EvidenceSentence(after, start, len(quotes))
    asked = capitalised_words("Who said that the Chinese want to meet?")
    speaker = named_before(quote, asked, [other, after, before])
    assert speaker is not None and speaker.text == said and speaker.passage.rank == 1
    assert named_before(quote, asked, [after, other]) is None  # the speaker not retrieved


def test_what_someone_said_is_a_sentence_that_reports_their_words() -> None:
    named = "Commerce Secretary Howard Lutnick joined the meeting."
    other = "Following the meeting, Akazawa told reporters, “We were able to have concrete discussions.”"
    quote = "“It means that the United States has no sincerity,” the spokesperson said."
    text = f"{named} {other} {quote}"
    passage = make_passage(1, text, article_id="a", start=0)

    def sentence(part: str) -> EvidenceSentence:
        return EvidenceSentence(passage, text.index(part), text.index(part) + len(part))

    lutnick, spokesperson = frozenset({"lutnick"}), frozenset({"spokesperson"})
    assert not reports_words_of(lutnick, sentence(named), [passage])  # names him, says nothing of his
    assert not reports_words_of(lutnick, sentence(other), [passage])  # named before it, but Akazawa is the speaker
    assert reports_words_of(frozenset({"akazawa"}), sentence(other), [passage])
    assert reports_words_of(spokesperson, sentence(quote), [passage])
    alone = make_passage(2, quote, article_id="b", start=0)
    assert not reports_words_of(lutnick, EvidenceSentence(alone, 0, len(quote)), [alone])  # not named before it


@pytest.mark.parametrize(
    ("sentence", "speaks"),
    [
        ("Biden vowed last week that he would not pardon his son.", True),  # named before the verb of saying
        ("“We will not pardon him,” said President Joe Biden.", True),  # right after "said"
        ("The pardon is off, according to Biden.", True),
        ("Hillary Clinton warns Biden about the debate.", False),  # Clinton's words, Biden only their object
        ("The debate is a first for Trump or Biden, according to the network.", False),  # the network's words
        ("“Saying one thing and doing another will not work with Biden.”", True),  # a verb inside the quote: no speaker to place
    ],
)
def test_the_one_whose_words_are_asked_for_is_the_speaker(sentence: str, speaks: bool) -> None:
    assert speaks_in(frozenset({"biden"}), sentence) is speaks


@pytest.mark.parametrize(
    ("question", "who"),
    [
        ("What did the Chinese spokesperson say would not work?", "the Chinese spokesperson"),
        ("What has Powell said about rates?", "Powell"),
        ("What did he say?", "he"),  # no word that names anyone: the rule is not applied
        ("What did Tesla report in its earnings call?", None),  # no verb of saying
        ("What did the Fed do after Powell's call for patience?", None),
        ("What did China's Commerce Department and its Foreign Ministry each say?", None),  # a clause, not a speaker
    ],
)
def test_a_question_for_what_someone_said_names_the_speaker(question: str, who: str | None) -> None:
    asked = SAID_QUESTION.search(question)
    assert (asked["who"] if asked else None) == who


def test_words_about_the_reporting_need_not_be_in_the_passages() -> None:
    selector = HeuristicSelector(encoder=None)  # type: ignore[arg-type]  # deciding reads no vectors
    passage = make_passage(1, "Bessent told Fox News that China was put to the side, according to The Hill.")
    passage = replace(passage, dense_score=0.5)
    assert selector.answerable("Which news outlets are cited for Bessent's remarks about China?", [passage])
    assert not selector.answerable("Which outlets cited Bessent's remarks on tariffs, trade and Japan?", [passage])
