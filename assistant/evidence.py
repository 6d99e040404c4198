"""Evidence: which sentences of the retrieved passages answer the question, and whether they answer it at all.

Every answer backend starts from the same Evidence: the extractive backend answers with its sentences, the model
backends write from them, and neither runs when the evidence does not answer. Two selectors make it
(`Settings.evidence`), and the eval harness decides which is the default:
- `heuristic` (the default: it measures better on the seeds gold set): a hand-weighted sentence score (word overlap,
  answer type, passage rank, then closeness in meaning for the best few) and refusal rules (a name or number of the
  question in no passage, too little of the question covered, nothing close in meaning; thresholds in Settings);
- `fitted`: two small logistic models over measured features, fitted on development data by
  `python -m eval.fit_evidence` and stored in `evidence_model.json` beside this file: a sentence ranker
  (P(the sentence holds the answer)) and an answerability model (P(the evidence answers)), whose operating point
  the fitting script chooses from counterfactual questions. It refuses more honestly and answers less often.
Questions about the article itself (who wrote it, which outlet, when) are answered from its metadata by both, and
a multiple-choice question (one that ends with its options) by one fitted choice model (`python -m eval.fit_choices`),
which names one choice, cited to the sentence that names it, or refuses.
"""

from __future__ import annotations

import json
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from functools import cache, cached_property, partial
from pathlib import Path

import numpy as np

from assistant.answer import Passage
from assistant.attribution import dated_claims
from assistant.backends.base import Claim, Draft, Source
from assistant.choice_features import (
    CHOICE_FEATURES,
    SentenceScores,
    best_sentences,
    choice_rows,
    naming_matrix,
    window_shares,
)
from assistant.choice_reader import READER_FEATURES, ChoiceReader, read_choices, reader_rows
from assistant.choices import is_negated
from assistant.citations import ENDED, rendered
from assistant.config import HeuristicEvidenceSettings, Settings
from assistant.names import (
    aliases,
    america_named,
    found,
    name_groups,
    named_stems,
    places_named,
    with_aliases,
    word_found,
)
from assistant.prompts import EVIDENCE_LINE
from assistant.question import Question
from assistant.text import (
    capitalised_words,
    content_stems,
    date_forms,
    has_number,
    has_time_expression,
    months_named,
    names_in,
    numbers_in,
    offered_stems,
    part_stems,
    proper_names,
    sentences,
    spelled_stems,
    stem,
)
from index.embeddings import Encoder

log = logging.getLogger(__name__)

MODEL_FILE = Path(__file__).with_name("evidence_model.json")
MIN_SENTENCE_WORDS = 4
QUESTION_WORDS = frozenset("who whom whose what when where which why how many much".split())  # "how many": no word
QUESTION_STEMS = frozenset(stem(w) for w in QUESTION_WORDS)
# Words a question uses to ask about the reporting, not about the news: not needed in the passages.
REPORTING_WORDS = frozenset(
    "cite cited cites quote quoted quotes remark remarks coverage outlet outlets reported report reports mention "
    "mentioned mentions named describe described".split()
)
NAME_QUESTION = re.compile(
    r"^\s*(who|whom|whose)\b|\bwhich (person|politician|company|team|player)\b|"
    r"\bwhat (?:is|was|are|were|will be) (?:the|its|their|his|her) (?:new )?(?:name|title)\b|\b(?:under|by) what name\b|"
    r"\bcalled what\b|\bnamed what\b|\bwhat (?:is|was|are|were) (?:it|they|he|she) (?:called|named)\b",
    re.I,
)
TIME_QUESTION = re.compile(r"^\s*when\b|\bwhat (date|day|month|year|time)\b", re.I)
DURATION_QUESTION = re.compile(r"\bhow long\b", re.I)  # "four minutes", "since January", "until Friday"
NUMBER_QUESTION = re.compile(r"\bhow (many|much|old|far|long)\b|\bwhat (percentage|share|number|amount)\b", re.I)


@dataclass(frozen=True)
class ListedKind:
    """A kind of answer from a closed list: a question `asked` for one is answered by a sentence in which `named` finds
    one the question does not name ("Which state held a primary?" is not answered by "the state's 26 delegates",
    "During which month are the Paris Olympics set to begin?" not by "the opening ceremony will be on the Seine")."""

    asked: re.Pattern[str]
    named: Callable[[str], set[str]]


LISTED_KINDS = {
    "state": ListedKind(re.compile(r"\bwhich (?:U\.?S\.? |US |American )?state\b", re.I), partial(places_named, "state")),
    "country": ListedKind(
        re.compile(r"\b(?:which|what) (?:[\w-]+ ){0,2}?(?:country|nation)\b", re.I), partial(places_named, "country")
    ),
    "month": ListedKind(re.compile(r"\b(?:which|what) month\b", re.I), months_named),
}
# A share asked for is answered by a share: "Roughly what percentage of people in the US live with unhealthy air
# pollution?" is not answered by "more than 131 million Americans live in areas …".
PERCENT_QUESTION = re.compile(
    r"\bwhat (?:(?:is|was|are|were) the )?(?:percentage|percent|proportion|fraction)\b|\bwhat share\b|\bby what percent", re.I
)
PERCENT = re.compile(
    r"\d\s?%|\bper ?cent\b|\bpercentage points?\b|\b(?:half|third|quarter|majority)\b|\b(?:one|two|three|\d+) (?:in|out of) \w+",
    re.I,
)
# A price is an amount of money ("$412.50", "3 billion yuan"), not a move in percent: "what was the closing price"
# is not answered by "slipped 0.14%".
MONEY_QUESTION = re.compile(r"\b(price|prices|cost|costs|value|valued|worth)\b", re.I)
MONEY = re.compile(
    r"[$€£¥]\s?\d|\b\d[\d,.]*\s?(?:[mb]n\s)?(?:(?:million|billion|trillion)\s)?"
    r"(?:dollars?|euros?|yuan|yen|pounds?|cents?|rupees?|won)\b",
    re.I,
)
YEAR = re.compile(r"(?:19|20)\d\d")
NUMBERS = re.compile(r"\b\d[\d.,]*\d\b")  # of two digits or more, as text.WORD reads them: "7.4", "40,000"
NUMBER_WORDS = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?|thousands?|millions?|"
    r"billions?|half|twice|double)\b",
    re.I,
)

BASE_FEATURES = (
    "lexical",  # share of the question's content words in the sentence
    "lexical_passage",  # … in the sentence's passage (title included)
    "semantic",  # cosine of the question with the sentence
    "semantic_passage",  # cosine of the question with the passage
    "names",  # share of the question's names and numbers in the sentence
    "type_fit",  # the sentence holds the kind of thing asked for (a name, a time, a number)
    "new_names",  # the sentence names something the question does not (a candidate answer)
    "rank_prior",  # 1 / passage rank
    "keyword_hit",  # the keyword side found the passage
    "lead",  # one of the first two sentences of its article
)
# Each sentence against the best of its question's candidates: which sentence, not which question, it tells apart.
RELATIVE_FEATURES = ("semantic", "lexical", "names")
SENTENCE_FEATURES = BASE_FEATURES + tuple(f"{name}_gap" for name in RELATIVE_FEATURES)
QUESTION_FEATURES = (
    "best",  # the best sentence's probability
    "second",  # the second best's
    "best_semantic",  # the best cosine of any sentence
    "coverage",  # share of the question's content words found anywhere in the passages
    "names_found",  # share of the question's names and numbers found anywhere in the passages
    "best_dense",  # the best passage cosine
    "top_lexical",  # the best sentence's word overlap
)
READER_CHOICE_FEATURES = CHOICE_FEATURES + READER_FEATURES  # the choice model of a backend whose model reads choices
CHOICE_EXCERPTS = 8  # the likeliest sentences a reading model sees (and the likeliest naming each choice)


@dataclass(frozen=True)
class LogisticModel:
    """Weights over named features, standardised as they were when fitted."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def probability(self, rows: np.ndarray) -> np.ndarray:
        z = ((rows - self.mean) / self.scale) @ self.weights + self.bias
        return np.asarray(1.0 / (1.0 + np.exp(-z)))

    def to_dict(self) -> dict[str, object]:
        return {
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "weights": self.weights.tolist(),
            "bias": self.bias,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object], expected: Sequence[str]) -> LogisticModel:
        features = tuple(str(name) for name in data["features"])  # type: ignore[attr-defined]
        if features != tuple(expected):
            raise ValueError(f"{MODEL_FILE.name} was fitted on features {features}; this code computes {tuple(expected)}")
        return cls(
            features=features,
            mean=np.asarray(data["mean"], dtype=np.float64),
            scale=np.asarray(data["scale"], dtype=np.float64),
            weights=np.asarray(data["weights"], dtype=np.float64),
            bias=float(data["bias"]),  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class EvidenceModel:
    version: str
    sentence: LogisticModel
    answerable: LogisticModel
    answer_threshold: float  # P(answerable) at or above which the assistant answers (the chosen operating point)
    second_sentence_ratio: float  # a second sentence joins when its probability is this share of the first's
    max_sentences: int
    choice: LogisticModel | None = None  # P(this choice is the answer and the evidence shows it), per choice
    choice_threshold: float = 1.0  # … at or above which a multiple-choice question is answered
    reader_choice: LogisticModel | None = None  # the same, with a language model's reading of the choices
    reader_choice_threshold: float = 1.0

    def to_dict(self) -> dict[str, object]:
        return (
            {
                "version": self.version,
                "sentence": self.sentence.to_dict(),
                "answerable": self.answerable.to_dict(),
                "answer_threshold": self.answer_threshold,
                "second_sentence_ratio": self.second_sentence_ratio,
                "max_sentences": self.max_sentences,
            }
            | ({"choice": self.choice.to_dict(), "choice_threshold": self.choice_threshold} if self.choice else {})
            | (
                {"reader_choice": self.reader_choice.to_dict(), "reader_choice_threshold": self.reader_choice_threshold}
                if self.reader_choice
                else {}
            )
        )

    def save(self, path: Path = MODEL_FILE) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")


@cache
def load_evidence_model(path: Path = MODEL_FILE) -> EvidenceModel:
    data = json.loads(path.read_text(encoding="utf-8"))
    return EvidenceModel(
        version=str(data["version"]),
        sentence=LogisticModel.from_dict(data["sentence"], SENTENCE_FEATURES),
        answerable=LogisticModel.from_dict(data["answerable"], QUESTION_FEATURES),
        answer_threshold=float(data["answer_threshold"]),
        second_sentence_ratio=float(data["second_sentence_ratio"]),
        max_sentences=int(data["max_sentences"]),
        choice=LogisticModel.from_dict(data["choice"], CHOICE_FEATURES) if "choice" in data else None,
        choice_threshold=float(data.get("choice_threshold", 1.0)),
        reader_choice=(
            LogisticModel.from_dict(data["reader_choice"], READER_CHOICE_FEATURES) if "reader_choice" in data else None
        ),
        reader_choice_threshold=float(data.get("reader_choice_threshold", 1.0)),
    )


@dataclass(frozen=True)
class EvidenceSentence:
    """A sentence of a passage (offsets into the passage's text) and how likely it holds the answer. A statement
    about the article itself (its author, outlet or date, from its metadata) cites the article's first sentence."""

    passage: Passage
    start: int
    end: int
    probability: float = 0.0
    statement: str = ""  # what is claimed, when it is not the sentence's own text

    @property
    def text(self) -> str:
        return self.statement or self.passage.text[self.start : self.end]

    def claim(self) -> Claim:
        return Claim(text=self.text, sources=(Source(self.passage.rank, (self.start, self.end)),))


@dataclass(frozen=True)
class Evidence:
    sentences: list[EvidenceSentence]  # the selected sentences, best first
    answerable: float  # P(the evidence answers the question)
    answers: bool  # answerable ≥ the model's operating point
    stated: bool = False  # the sentences' statements are the answer as they stand (a choice, a metadata fact)


def stated_answer(evidence: Evidence, answer_check: float | None = None) -> Iterator[str | Draft]:
    """The evidence's sentences as the answer, each cited to its passage: quoted sentences with their article's
    outlet and date, in date order when the articles differ (assistant/attribution.py); a statement that is already
    the answer (a choice, a metadata fact) as it is. `answer_check` is the model's reading of the evidence, where one
    was asked (as `refusal` records it)."""
    if evidence.stated:
        claims = [s.claim() for s in evidence.sentences]
    else:
        passages = "\n\n".join(dict.fromkeys(s.passage.text for s in evidence.sentences))
        claims = dated_claims([(s.claim(), s.passage.meta) for s in evidence.sentences], context=passages)
    yield rendered(claims)  # as the Answer will read
    yield Draft(claims=claims, refused=False, answer_check=answer_check)


NO_EVIDENCE = Evidence(sentences=[], answerable=0.0, answers=False)


def refused(question: Question, why: str) -> Evidence:
    log.debug("no evidence answers %r: %s", question.text, why)
    return NO_EVIDENCE


@dataclass(frozen=True)
class ScoredSentences:
    """Every candidate sentence with its feature row (what the fitting script reads too)."""

    sentences: list[EvidenceSentence]
    rows: np.ndarray  # one row of SENTENCE_FEATURES per sentence
    passage_coverage: float
    names_found: float
    best_dense: float


class EvidenceSelector(ABC):
    """Picks the evidence for a question from its passages, and decides whether it answers."""

    encoder: Encoder

    def select(self, question: Question, passages: list[Passage], reader: ChoiceReader | None = None) -> Evidence:
        """The evidence for the question; `reader`, a backend's language model, reads multiple-choice questions
        for the choice model when a model fitted with its reading is in the model file."""
        about_article = article_metadata_evidence(question.text, passages)
        if about_article is not None:
            return about_article
        model = self.evidence_model()
        if question.choices and model.choice is not None:
            return choose(model, question, passages, self.encoder, reader)
        return self.from_sentences(question, passages)

    def evidence_model(self) -> EvidenceModel:
        """The fitted models: the choice model serves both selectors."""
        return load_evidence_model()

    @abstractmethod
    def from_sentences(self, question: Question, passages: list[Passage]) -> Evidence:
        """The evidence the passages' own sentences give."""


class FittedSelector(EvidenceSelector):
    def __init__(self, encoder: Encoder, model: EvidenceModel | None = None) -> None:
        self.encoder = encoder
        self.model = model or load_evidence_model()

    def evidence_model(self) -> EvidenceModel:
        return self.model

    def from_sentences(self, question: Question, passages: list[Passage]) -> Evidence:
        return decide(self.model, sentence_features(question, passages, self.encoder))


class HeuristicSelector(EvidenceSelector):
    def __init__(self, encoder: Encoder, limits: HeuristicEvidenceSettings | None = None) -> None:
        self.encoder = encoder
        self.limits = limits or HeuristicEvidenceSettings()

    def from_sentences(self, question: Question, passages: list[Passage]) -> Evidence:
        if not passages or not self.answerable(question.text, passages):
            return refused(question, "the passages do not hold the question's words")
        several = asks_for_several(question.text)
        sides = asks_yes_or_no(question.text)
        parts = AskedParts.of(question.text)
        candidates = [c for c in candidate_sentences(passages) if not is_headline(c)]
        if parts.together:  # the question's names are read together, where the answer is
            candidates = [c for c in candidates if parts.all_in(context_stems(c, passages))]
        if not candidates:
            return refused(question, "no sentence reads the question's names together")
        said = SAID_QUESTION.search(question.text)
        who = frozenset(content_stems(said["who"])) if said else frozenset()
        if said and who:  # what someone said: their words, reported in a sentence that names them ("he": not known)
            candidates = [c for c in candidates if reports_words_of(who, c, passages)]
            if not candidates:
                return refused(question, f"no sentence reports what {said['who']} said")
        asked = AskedFor.of(question.text)
        shortlisted, scores = self._score(question, candidates, asked, passages)
        order = [int(i) for i in np.argsort(-scores)]
        first = shortlisted[order[0]]
        picked = [first]
        ratio = self.limits.several_sentence_ratio if several or sides else self.limits.second_sentence_ratio
        for i in order[1:]:
            if len(picked) >= self.limits.max_sentences or scores[i] < ratio * scores[order[0]]:
                break
            candidate = shortlisted[i]
            if candidate.text == first.text:
                continue
            if sides:  # a yes-or-no question: what another article says, which may disagree
                if all(candidate.passage.meta.id != s.passage.meta.id for s in picked):
                    picked.append(candidate)
            elif not several or names_more(candidate, picked, asked):
                picked.append(candidate)
        if not parts.together:
            covered = parts.covering(picked, [shortlisted[i] for i in order], passages)
            if covered is None:
                return refused(question, "no sentences cover every part asked")
            picked = covered
        if asked.kind == "name" and not asked.held_by(first.text):
            speaker = named_before(first, asked.names, passages)  # a quote that names no one: who said it
            if speaker is not None:
                return Evidence(sentences=[speaker, first], answerable=1.0, answers=True)
        if not any(asked.held_by(s.text) for s in picked):
            return refused(question, f"no picked sentence holds the {asked.kind} asked for")
        if not numbers_held(question.text, picked, passages):
            return refused(question, "the picked sentences lack a number the question states")
        if evidence_coverage(question.text, picked, passages) < self.limits.min_evidence_coverage:
            # a near miss: the passages name what the question does, the evidence not what it asks
            return refused(question, "the picked sentences hold too few of its words")
        if asked_about_coverage(question.text, picked) < self.limits.min_asked_about_coverage:
            # the names are there, the act is not: "When will Akazawa next travel to Washington?" against a sentence
            # on Akazawa's trade deal
            return refused(question, "the picked sentences hold too few of what it asks about its names")
        return Evidence(sentences=picked, answerable=1.0, answers=True)

    def answerable(self, question: str, passages: list[Passage]) -> bool:
        wanted = asked_words(question)
        offered = with_aliases(set().union(*(passage_terms(p) for p in passages)))
        if not all(word_found(term, offered) for term in distinctive_terms(question)):
            return False
        if share_held(wanted, offered) < self.limits.min_coverage:
            return False
        best_dense = max((p.dense_score for p in passages if p.dense_score is not None), default=None)
        return best_dense is None or best_dense >= self.limits.min_dense_score

    def _score(
        self, question: Question, candidates: list[EvidenceSentence], asked: AskedFor, passages: list[Passage]
    ) -> tuple[list[EvidenceSentence], np.ndarray]:
        """Cheap lexical scores for all sentences; meaning (embeddings) only for the best few, to stay fast."""
        wanted = content_stems(question.text)
        own = [with_aliases(content_stems(c.text)) for c in candidates]
        # a sentence read with its speaker's only when it gives its words to a pronoun; the rest are read once
        read = [
            stems if (text := with_speaker(c, passages)) == c.text else with_aliases(content_stems(text))
            for stems, c in zip(own, candidates, strict=True)
        ]
        alone, with_speakers = rarity_weighted_overlap(wanted, own), rarity_weighted_overlap(wanted, read)
        lexical = (1 - SPEAKER_WEIGHT) * alone + SPEAKER_WEIGHT * with_speakers
        fit = np.array([type_fit(asked, c.text) for c in candidates])
        limits = self.limits
        rank_prior = np.array([1.0 / (c.passage.rank + limits.rank_offset) for c in candidates])
        cheap = limits.lexical_weight * lexical + limits.kind_weight * fit + rank_prior
        pool = np.argsort(-cheap)[: limits.semantic_pool]
        shortlisted = [candidates[i] for i in pool]
        vectors = self.encoder.encode([c.text for c in shortlisted])
        return shortlisted, cheap[pool] + vectors @ question.vector


def is_headline(sentence: EvidenceSentence) -> bool:
    """A headline repeated in the article text: it names the story's actors, not what the question asks about them
    (the body says that, and is what a citation should point to)."""
    return sentence.text.strip() == sentence.passage.meta.title.strip()


def with_speaker(sentence: EvidenceSentence, passages: list[Passage]) -> str:
    """The sentence, and the one before it when it gives its words to a pronoun ("…,” he added"): that one names the
    speaker and often opens the quote ("“China's position is consistent. If we fight, we will fight to the end …,” he
    added" answers "What will China do if the U.S. fights, according to its spokesperson?")."""
    if not PRONOUN_SPEAKER.search(sentence.text):
        return sentence.text
    return " ".join([sentence.text, *(before.text for before in sentences_before(sentence, passages)[:1])])


def rarity_weighted_overlap(wanted: set[str], candidates: list[set[str]]) -> np.ndarray:
    """Each candidate's share of the question's words, a word weighing more the fewer candidates hold it: the word
    that tells the answer sentence apart ("fights") outweighs the one every sentence repeats ("China")."""
    if not wanted or not candidates:
        return np.zeros(len(candidates))
    terms = sorted(wanted)
    held = np.array([[term in words for term in terms] for words in candidates], dtype=np.float64)
    weights = np.log1p(len(candidates) / (1.0 + held.sum(axis=0)))
    return np.asarray(held @ weights / weights.sum())


PRONOUN_SPEAKER = re.compile(
    r"\b(?:he|she|they|it)\s+(?:said|added|says|told|continued|wrote)\b|\b(?:said|added|says)\s+(?:he|she)\b", re.I
)
# How much a sentence's word overlap is read with its speaker's sentence (`with_speaker`), chosen on the tuning sets
# (RealTime QA January-April, seeds-dev, seeds-heldback): 0.3 changed nothing, 0.5 answered one more seeds-dev
# question, 1.0 also answered one January-April counterfactual.
SPEAKER_WEIGHT = 0.5
SEVERAL = re.compile(r"\b(two|three|both|each)\b|\baccording to\b.*\band\b", re.I)
SPLIT_ACROSS = re.compile(r"\b(both|each)\b", re.I)  # "A and B each said": one sentence on A, one on B
ATTRIBUTED = re.compile(r",\s*according to (.+\band\b.+?)\s*\??\s*$", re.I)  # "…, according to A and to B?"
AND = re.compile(r"\band\b(?:\s+to\b)?", re.I)
# "What did X say / tell / announce …?" asks for what was said: a sentence that reports it quotes it or has a verb of
# saying. "His comments came after the meeting led by X" names X and no words of X's.
SAID_QUESTION = re.compile(  # the speaker: one to four words, no clause ("What did Tesla report in its earnings call?")
    r"\bwhat (?:did|does|do|has|have|had|will|would) (?P<who>[\w’'.-]+(?: [\w’'.-]+){0,3}) "
    r"(?:say|said|tell|told|announce|announced|claim|claimed|argue|argued|warn|warned|think|thought|believe|believed|"
    r"write|wrote|written|post|posted)\b",
    re.I,
)
REPORTS_SPEECH = re.compile(
    r"[“”\"]|\baccording to\b|\b(?:say|says|said|saying|tell|tells|told|announc\w*|stat(?:e|es|ed|ing)|add(?:s|ed|ing)|"
    r"not(?:e|es|ed|ing)|argu\w*|warn\w*|claim\w*|call(?:s|ed|ing)|describ\w*|insist\w*|assert\w*|believ\w*|think\w*|"
    r"thought|wr(?:ite|ites|ote|itten|iting)|post(?:s|ed|ing)|accus\w*|label\w*|den(?:y|ies|ied)|reject\w*|vow\w*|"
    r"urg\w*|predict\w*|promis\w*|pledg\w*|confirm\w*|admit\w*|ask(?:s|ed))\b",
    re.I,
)
WORD_AT = re.compile(r"[A-Za-z][\w’'-]*")
QUOTED = re.compile(r"“[^”]*”?|\"[^\"]*\"?")
SPEAKER_LAST = re.compile(r"said|says|according to|wrote|added|noted", re.I)  # "…, said Biden", "according to Biden"
SPEAKER_AFTER_ONLY = re.compile(r"according to", re.I)  # "Biden …, according to the network": the network's words
SPEAKER_LAST_GAP = 30  # characters between such a verb and its speaker: "said Commerce Secretary Howard Lutnick"
# A speaker the sentence does not name, named in the sentences before it: "he said", "the spokesperson noted".
SAYING = r"(?:said|says|told|tells|added|noted|argued|warned|claimed|stated|announced|wrote|insisted)"
ROLE_NOUN = r"(?:spokesperson|spokesman|spokeswoman|official|officials|minister|ministry|department|agency|secretary|negotiator)"
ROLE = rf"(?:he|she|they|the (?:\w+ )?{ROLE_NOUN})"
UNNAMED_SPEAKER = re.compile(rf"\b{ROLE},? {SAYING}\b|\b{SAYING} {ROLE}\b", re.I)
YES_OR_NO = re.compile(r"^\s*(is|are|was|were|do|does|did|has|have|had|will|would|can|could|should)\b", re.I)


def asks_yes_or_no(question: str) -> bool:
    """ "Is China negotiating …?": a claim to check, on which articles may disagree; each article's best sentence."""
    return bool(YES_OR_NO.match(question))


def asks_for_several(question: str) -> bool:
    """ "Which two …", "… each say", "according to A and to B": the answer is in more than one sentence."""
    return bool(SEVERAL.search(question))


@dataclass(frozen=True)
class AskedParts:
    """What a question is about, as groups of stems its evidence must cover: its names (one found by any of its words:
    "Sun" for Yun Sun), or the sources it names after "according to" (each found by all its words: "the Chinese
    spokesperson"). Read `together` in each evidence sentence, or, for "A and B each", one sentence on each."""

    groups: tuple[frozenset[str], ...]
    whole: bool
    together: bool

    @classmethod
    def of(cls, question: str) -> AskedParts:
        attributed = ATTRIBUTED.search(question)
        if attributed:
            sources = (content_stems(phrase) for phrase in AND.split(attributed.group(1)))
            return cls(tuple(frozenset(words) for words in sources if words), whole=True, together=False)
        return cls(tuple(name_groups(question)), whole=False, together=not SPLIT_ACROSS.search(question))

    def has(self, group: frozenset[str], stems: AbstractSet[str]) -> bool:
        return all(aliases(word) & stems for word in group) if self.whole else found(group, stems)

    def all_in(self, stems: AbstractSet[str]) -> bool:
        return all(self.has(group, stems) for group in self.groups)

    def covering(
        self, picked: list[EvidenceSentence], ranked: list[EvidenceSentence], passages: list[Passage]
    ) -> list[EvidenceSentence] | None:
        """The picked sentences, and for each group they leave out the best-ranked sentence that has it (A and B asked
        about: a sentence on each), one that names it itself before one that is read with it; None when some group is
        in no sentence."""
        picked = list(picked)
        for group in self.groups:
            if any(self.has(group, context_stems(s, passages)) for s in picked):
                continue
            naming = next((s for s in ranked if self.has(group, named_stems(s.text))), None) or next(
                (s for s in ranked if self.has(group, context_stems(s, passages))), None
            )
            if naming is None:
                return None
            picked.append(naming)
        return picked


def evidence_coverage(question: str, picked: list[EvidenceSentence], passages: list[Passage]) -> float:
    """The share of the question's content words that the evidence holds, each sentence read with its context and its
    article's headline: "What will China do if the U.S. fights, according to its spokesperson?" is not answered by a
    sentence on China's trade standoff that says nothing of fighting or of a spokesperson."""
    held = set().union(*(context_stems(s, passages) | spelled_stems(s.passage.meta.title) for s in picked))
    return share_held(asked_words(question), with_aliases(held))


def numbers_held(question: str, picked: list[EvidenceSentence], passages: list[Passage]) -> bool:
    """Whether the evidence, each sentence read with its context, holds every number the question states but a year
    (years set the scene: "the 2024 Golden Globes"): a sentence on a 6.8 quake, or on a ban for children under 16,
    does not answer a question about a 7.4 quake, or about a ban for those under 14."""
    wanted = {number for number in NUMBERS.findall(question) if not YEAR.fullmatch(number)}
    if not wanted:
        return True
    return wanted <= set().union(*(context_stems(s, passages) | part_stems(s.text) for s in picked))


def asked_words(question: str) -> set[str]:
    """The question's content stems, without its question words, the words it asks about the reporting with, and the
    words that ask for the kind of answer (the kind is checked by itself: "What was the percentage gain …?" is answered
    by "up 1.31%")."""
    asking = content_stems(asking_for(question)[1])
    return content_stems(question) - {stem(w) for w in QUESTION_WORDS | REPORTING_WORDS} - asking


def asked_about_coverage(question: str, picked: list[EvidenceSentence]) -> float:
    """The share of the question's words other than its names (what it asks about them: "travel", "step down",
    "chief executive") that the evidence sentences themselves or their headlines hold. Unlike `evidence_coverage`, the
    sentences before are not read: they name who is meant, and a near miss is a sentence about the right people doing
    something else."""
    names = {stem(word) for word in names_in(question)}
    said = SAID_QUESTION.search(question)  # "What does Yun Sun think?": the said-rule reads the verb of saying
    verb = {stem(said.group().split()[-1])} if said else set()
    counts = {stem(word) for word in NUMBER_WORDS.findall(question)}  # "which two …" asks for several, not for "two"
    wanted = {word for word in asked_words(question) if word not in names | verb | counts}
    held = set().union(*(offered_stems(s.text) | spelled_stems(s.passage.meta.title) for s in picked))
    return share_held(wanted, with_aliases(held))


def share_held(wanted: AbstractSet[str], held: AbstractSet[str]) -> float:
    """The share of `wanted` that `held` holds (a compound by its parts too); all of it when nothing is wanted."""
    return sum(word_found(word, held) for word in wanted) / len(wanted) if wanted else 1.0


def context_stems(sentence: EvidenceSentence, passages: list[Passage]) -> set[str]:
    """The words a sentence is read with: its own, the sentences before it in its article (who "he" is, whose "the
    official" is), and its article's outlet and byline."""
    meta = sentence.passage.meta
    before = [s.text for s in sentences_before(sentence, passages)]
    return named_stems(" ".join((*before, sentence.text, meta.source, meta.author)))


def reports_words_of(who: frozenset[str], sentence: EvidenceSentence, passages: list[Passage]) -> bool:
    """Does the sentence report what `who` (stems of the speaker the question names) said: a verb of saying or a quote,
    and the speaker named in it, or named in the sentences before it when the sentence's own speaker is "he" or "the
    spokesperson". "Following the meeting, Akazawa told reporters …" is not what Lutnick, named before it, said; nor is
    "analysts argue …" what Xi Jinping did."""
    if not REPORTS_SPEECH.search(sentence.text):
        return False
    if found(who, named_stems(sentence.text)) and speaks_in(who, sentence.text):
        return True
    return bool(UNNAMED_SPEAKER.search(sentence.text)) and found(who, context_stems(sentence, passages))


def speaks_in(who: frozenset[str], text: str) -> bool:
    """Whether `who`, named in the sentence, is who does the saying: named before a verb of saying ("Biden said",
    "Akazawa told reporters") or right after one that puts its speaker last ("…, said Biden", "according to Biden"),
    not only after it ("Hillary Clinton warns Biden": Clinton's words). A sentence whose only sign of speech is a
    quote ("“We will talk.” Biden, in Tokyo") has no verb to place the speaker by."""
    quoted = [m.span() for m in QUOTED.finditer(text)]  # the words said, not the saying of them
    verbs = [
        m for m in REPORTS_SPEECH.finditer(text) if m.group()[0].isalpha() and not any(a <= m.start() < b for a, b in quoted)
    ]
    if not verbs:
        return True
    named_at = [m.start() for m in WORD_AT.finditer(text) if found(who, {stem(m.group())})]
    before = [verb for verb in verbs if not SPEAKER_AFTER_ONLY.fullmatch(verb.group())]
    return any(at < verb.start() for at in named_at for verb in before) or any(
        SPEAKER_LAST.fullmatch(verb.group()) and verb.end() <= at <= verb.end() + SPEAKER_LAST_GAP
        for at in named_at
        for verb in verbs
    )


def names_more(candidate: EvidenceSentence, picked: list[EvidenceSentence], asked: AskedFor) -> bool:
    """Whether the candidate names someone or something that neither the question nor the picked sentences do."""
    named = proper_names(set().union(*(capitalised_words(s.text) for s in picked)) | asked.names)
    return bool(proper_names(capitalised_words(candidate.text)) - named)


QUOTE_LOOKBACK = 2  # sentences: a quote's speaker is named in the sentence before it, or the one before that


def named_before(sentence: EvidenceSentence, asked: AbstractSet[str], passages: list[Passage]) -> EvidenceSentence | None:
    """For a "who" question answered by a quote that names no one ("“They want to talk,” he said."): the nearest
    sentence before it in its article that names someone the question (whose names are `asked`) does not, which says
    who "he" is."""
    asked = proper_names(asked)
    return next((s for s in sentences_before(sentence, passages) if proper_names(capitalised_words(s.text)) - asked), None)


def sentences_before(sentence: EvidenceSentence, passages: list[Passage]) -> list[EvidenceSentence]:
    """The QUOTE_LOOKBACK sentences before `sentence` in its article, nearest first, as far as the retrieved passages
    hold them (its own passage, or another of its article's: the one before may have been cut off at a chunk start)."""
    at = sentence.passage.chunk.start + sentence.start  # offsets in the article
    before: dict[int, EvidenceSentence] = {}
    for passage in passages:
        if passage.meta.id != sentence.passage.meta.id:
            continue
        for start, end in sentences(passage.text):
            if passage.chunk.start + end <= at:
                before.setdefault(passage.chunk.start + start, EvidenceSentence(passage, start, end))
    return [before[offset] for offset in sorted(before, reverse=True)[:QUOTE_LOOKBACK]]


def make_selector(settings: Settings, encoder: Encoder) -> EvidenceSelector:
    if settings.evidence == "fitted":
        return FittedSelector(encoder)
    return HeuristicSelector(encoder, settings.heuristic_evidence)


def candidate_sentences(passages: list[Passage]) -> list[EvidenceSentence]:
    """The passages' sentences that state something, each text once (overlapping chunks repeat sentences: the
    best-ranked copy is kept)."""
    unique: dict[str, EvidenceSentence] = {}
    for passage in passages:
        for start, end in sentences(passage.text):
            sentence = EvidenceSentence(passage, start, end)
            text = sentence.text
            if states_something(text):
                unique.setdefault(text, sentence)
    return list(unique.values())


# "More:Mexico elects first female president": a page's link to another story, in the text the page was read from
# (a whole line of "Read more: …" or "Related: …" is dropped when cleaning; these pages run the link into its title).
LINK_TO_ANOTHER_STORY = re.compile(r"(?:more|watch|read more|related|also read)\s?:", re.IGNORECASE)


def states_something(text: str) -> bool:
    """A sentence of four words or more that is none of: a question (asked, or worded as one without its question
    mark: "Why each candidate can win Iowa."), a link to another story, a lead-in ending with a colon ("As written,
    the bill would:", "Golden Globes 2024 winners in all categories:"), whose content is what follows it, or a subhead
    (a line of a few words with no sentence's end: "Current Fed interest rate")."""
    words = len(text.split())
    return (
        words >= MIN_SENTENCE_WORDS
        and not is_question(text)
        and not LINK_TO_ANOTHER_STORY.match(text)
        and not text.rstrip().endswith(":")
        and (words > SUBHEAD_WORDS or bool(ENDED.search(text.rstrip())))
    )


# A longer line without a full stop can be a sentence the page left unended ("Cucumbers were recalled in 14 states
# over salmonella fears", nine words, held an answer). Eight words and fewer are a subhead or a link's title ("File
# early to get a refund sooner"): RealTime QA January-April, 6 -> 8 words, one more counterfactual refused, nothing
# else changed (9 to 12 words: as many or one more, and that answer's line lost).
SUBHEAD_WORDS = 8


# A link's question run into the next link's headline, with no space to split them: "Will Fed rate cuts lift
# Americans?Fed interest-rate cuts are likely coming …" is page furniture.
GLUED_QUESTION = re.compile(r"\?[A-Z]")


# "Why each Republican candidate can win the Iowa Caucuses.", "Here's how Hunter Biden reacted to verdict": a headline
# or a link's title worded as a question without its question mark. Led by "here's how / why", or by "why" or "how"
# with no comma after it, the clause states nothing of its own.
UNASKED_QUESTION = re.compile(r"(?:here(?:'s|’s| is) (?:why|how)\b.*|(?:why|how)\b[^,;]*)$", re.IGNORECASE)


def is_question(text: str) -> bool:
    """A sentence that asks ("How did Littler qualify?", a Q&A article's subheads), is worded as a question without
    its question mark, or holds a question run into another line, states nothing to answer with."""
    return (
        text.rstrip().rstrip("\"'”’)]").endswith("?") or bool(UNASKED_QUESTION.match(text)) or bool(GLUED_QUESTION.search(text))
    )


# Questions about the article itself, answered from its metadata: field → how the question asks for it.
ABOUT_THE_ARTICLE = {
    "author": re.compile(r"\bwho (wrote|authored|penned)\b|\b(author|byline)\b|\bwritten by\b", re.I),
    "source": re.compile(  # asked of the article: "Which newspaper slashed 20% of its staff?" asks about the news
        r"\b(which|what) (news )?(outlet|publication|newspaper|website|site|news site|media)\b"
        r"(?=.*\b(publish\w*|report\w*|ran|run|runs|carr\w*|post\w*|wrote|written|article|story|piece)\b)|\bpublished by\b",
        re.I,
    ),
    "published": re.compile(
        r"\bwhen was\b.*\b(article|story|report|piece|it)\b.*\b(published|posted|written|released)\b|\bpublication date\b",
        re.I,
    ),
}
STATEMENTS = {
    "author": "“{title}” was written by {value}.",
    "source": "“{title}” was published by {value}.",
    "published": "“{title}” was published on {value}.",
}


def article_metadata_evidence(question: str, passages: list[Passage]) -> Evidence | None:
    """For "who wrote / which outlet / when was it published": the best-ranked passage's article among those the
    question describes, when its metadata has the field, stated and cited to the article's first sentence there; a
    refusal when none of them has it (another article's byline is no answer)."""
    for field, asks in ABOUT_THE_ARTICLE.items():
        if not asks.search(question):
            continue
        for passage in described_articles(question, passages):
            value = getattr(passage.meta, field)
            if not value:
                continue
            if field == "published":
                value = spelled_date(value)
            start, end = (sentences(passage.text) or [(0, len(passage.text))])[0]
            statement = STATEMENTS[field].format(title=passage.meta.title or passage.meta.id, value=value)
            return Evidence([EvidenceSentence(passage, start, end, 1.0, statement)], answerable=1.0, answers=True, stated=True)
        log.debug("no evidence answers %r: the article it asks about has no %s in its metadata", question, field)
        return NO_EVIDENCE
    return None


def described_articles(question: str, passages: list[Passage]) -> list[Passage]:
    """The passages of the articles the question describes: those whose title, outlet and byline share the most of its
    words, when any shares one ("Who wrote the article about China standing firm?" is not about the Stocktwits story
    ranked below it); else all of them, best first."""
    wanted = asked_words(question)
    shared = [len(wanted & content_stems(" ".join((p.meta.title, p.meta.source, p.meta.author)))) for p in passages]
    most = max(shared, default=0)
    return [p for p, n in zip(passages, shared, strict=True) if n == most] if most else passages


def spelled_date(iso: str) -> str:
    """2025-07-02 → "July 2, 2025 (2025-07-02)": the way people read it, and the way it is stored."""
    forms = date_forms(iso)
    return f"{forms[0]} ({iso})" if forms else iso


def choose(
    model: EvidenceModel, question: Question, passages: list[Passage], encoder: Encoder, reader: ChoiceReader | None = None
) -> Evidence:
    """For a multiple-choice question: the likeliest choice, cited to the likeliest sentence that names it (for "which
    is not …", the likeliest sentence of all), when the choice model is sure enough. With a reader (and a choice model
    fitted with one), the reader's distribution over the choices joins the evidence's features."""
    assert model.choice is not None, "select() asks only a model that has a choice part"
    scored = score_choices(model, question.stem, question.choices, passages, encoder)
    if scored is None:
        return NO_EVIDENCE
    choice_model, threshold, rows = model.choice, model.choice_threshold, scored.rows
    if reader is not None and model.reader_choice is not None:
        distribution = read_choices(reader, question.stem, question.choices, choice_excerpts(scored))
        choice_model, threshold = model.reader_choice, model.reader_choice_threshold
        rows = np.hstack([rows, reader_rows(distribution)])
    probabilities = choice_model.probability(rows)
    best = int(np.argmax(probabilities))
    at = int(scored.cited[best]) if scored.cited[best] >= 0 else int(np.argmax(scored.sentence_probability))
    sure = float(probabilities[best])
    chosen = replace(scored.sentences.sentences[at], probability=sure, statement=f"{question.choices[best]}.")
    return Evidence([chosen], answerable=sure, answers=sure >= threshold, stated=True)


def choice_excerpts(scored: ScoredChoices) -> list[str]:
    """What a reading model sees of the passages: the CHOICE_EXCERPTS likeliest sentences and the likeliest sentence
    naming each choice, in passage order, each with its passage number, outlet and date."""
    likeliest = np.argsort(-scored.sentence_probability, kind="stable")[:CHOICE_EXCERPTS]
    shown = sorted({int(i) for i in likeliest} | {int(i) for i in scored.cited if i >= 0})
    return [evidence_line(scored.sentences.sentences[i]) for i in shown]


def evidence_line(sentence: EvidenceSentence) -> str:
    """A sentence as a model is shown it: its passage number, outlet and date, then its text."""
    meta = sentence.passage.meta
    return EVIDENCE_LINE.format(
        number=sentence.passage.rank,
        source=meta.source or "unknown outlet",
        published=(meta.published + (" inferred" if meta.date_inferred else "")) or "undated",
        text=sentence.text,
    )


@dataclass(frozen=True)
class ScoredChoices:
    """A multiple-choice question's scored sentences and what they say of each choice."""

    sentences: ScoredSentences
    rows: np.ndarray  # one row of CHOICE_FEATURES per choice: the choice model's input (the fitting script's too)
    sentence_probability: np.ndarray  # per sentence, P(it holds the answer)
    cited: np.ndarray  # per choice, the index of its likeliest sentence (−1: no sentence names it)


def score_choices(
    model: EvidenceModel, stem: str, choices: tuple[str, ...], passages: list[Passage], encoder: Encoder
) -> ScoredChoices | None:
    """The passages' sentences scored for the question without its options, and a feature row per choice; None when
    the passages have no sentence to score."""
    scored = sentence_features(Question(stem, encoder.encode([stem])[0]), passages, encoder)
    if not scored.sentences:
        return None
    columns = {name: i for i, name in enumerate(SENTENCE_FEATURES)}
    scores = SentenceScores(
        texts=[s.text for s in scored.sentences],
        passage_ranks=[s.passage.rank for s in scored.sentences],
        probability=model.sentence.probability(scored.rows),
        lexical=scored.rows[:, columns["lexical"]],
        semantic=scored.rows[:, columns["semantic"]],
        names=scored.rows[:, columns["names"]],
    )
    naming = naming_matrix(scores.texts, choices)
    cited = best_sentences(naming, scores.probability)
    named = [c for c in range(len(choices)) if cited[c] >= 0]
    hypothesis = np.zeros(len(choices))
    if named:  # the question answered by the choice, against the sentence that names it
        vectors = encoder.encode([f"{stem} {choices[c]}" for c in named] + [scores.texts[cited[c]] for c in named])
        hypothesis[named] = np.sum(vectors[: len(named)] * vectors[len(named) :], axis=1)
    window = window_shares(stem, choices, [p.text for p in passages], QUESTION_STEMS)
    rows = choice_rows(scores, naming, hypothesis, window, choices, is_negated(stem))
    return ScoredChoices(scored, rows, scores.probability, cited)


def decide(model: EvidenceModel, scored: ScoredSentences) -> Evidence:
    """The evidence the scored sentences give: the best of them, and whether they answer."""
    if not scored.sentences:
        return NO_EVIDENCE
    picked, row = pick(model, scored)
    answerable = float(model.answerable.probability(row[None, :])[0])
    return Evidence(sentences=picked, answerable=answerable, answers=answerable >= model.answer_threshold)


def pick(model: EvidenceModel, scored: ScoredSentences) -> tuple[list[EvidenceSentence], np.ndarray]:
    """The picked sentences, best first, and the question's feature row for the answerability model."""
    probabilities = model.sentence.probability(scored.rows)
    order = np.argsort(-probabilities, kind="stable")
    ranked = [replace(scored.sentences[i], probability=float(probabilities[i])) for i in order]
    picked = pick_complementary(ranked, model.second_sentence_ratio, model.max_sentences)
    return picked, question_row(scored, probabilities, order)


def pick_complementary(ranked: list[EvidenceSentence], ratio: float, most: int) -> list[EvidenceSentence]:
    """The best sentence, and the next ones nearly as likely that add names or words the ones before lack (a question
    that asks for two things gets both)."""
    if not ranked:
        return []
    picked = [ranked[0]]
    seen = content_stems(ranked[0].text)
    for candidate in ranked[1:]:
        if len(picked) >= most or candidate.probability < ratio * ranked[0].probability:
            break
        words = content_stems(candidate.text)
        if len(words - seen) >= 2:
            picked.append(candidate)
            seen |= words
    return picked


def question_row(scored: ScoredSentences, probabilities: np.ndarray, order: np.ndarray) -> np.ndarray:
    columns = {name: i for i, name in enumerate(SENTENCE_FEATURES)}
    best = order[0]
    values = {
        "best": float(probabilities[best]),
        "second": float(probabilities[order[1]]) if len(order) > 1 else 0.0,
        "best_semantic": float(scored.rows[:, columns["semantic"]].max()),
        "coverage": scored.passage_coverage,
        "names_found": scored.names_found,
        "best_dense": scored.best_dense,
        "top_lexical": float(scored.rows[best, columns["lexical"]]),
    }
    return np.array([values[name] for name in QUESTION_FEATURES], dtype=np.float64)


def sentence_features(question: Question, passages: list[Passage], encoder: Encoder) -> ScoredSentences:
    """Candidate sentences and their feature rows, for the fitted selector."""
    candidates = candidate_sentences(passages)
    wanted = content_stems(question.text) - QUESTION_STEMS
    names = distinctive_terms(question.text)
    passage_words = {p.rank: passage_terms(p) for p in passages}
    everywhere = set().union(*passage_words.values()) if passage_words else set()
    coverage = len(wanted & everywhere) / len(wanted) if wanted else 1.0
    names_found = len(names & everywhere) / len(names) if names else 1.0
    best_dense = max((p.dense_score for p in passages if p.dense_score is not None), default=0.0)
    if not candidates:
        return ScoredSentences([], np.zeros((0, len(SENTENCE_FEATURES))), coverage, names_found, best_dense)
    vectors = encoder.encode([c.text for c in candidates])
    semantic = vectors @ question.vector
    asked = AskedFor.of(question.text)
    rows = []
    for candidate, cosine in zip(candidates, semantic, strict=True):
        words = content_stems(candidate.text)
        passage = candidate.passage
        article_offset = passage.chunk.start + candidate.start
        values = {
            "lexical": len(wanted & words) / len(wanted) if wanted else 0.0,
            "lexical_passage": len(wanted & passage_words[passage.rank]) / len(wanted) if wanted else 0.0,
            "semantic": float(cosine),
            "semantic_passage": passage.dense_score if passage.dense_score is not None else 0.0,
            "names": len(names & (words | set(NUMBERS.findall(candidate.text)))) / len(names) if names else 1.0,
            # names as the shipped model was fitted on them (not a sentence's first word)
            "type_fit": type_fit(asked, candidate.text, named=capitalised_words),
            "new_names": float(bool(capitalised_words(candidate.text) - asked.names)),
            "rank_prior": 1.0 / passage.rank,
            "keyword_hit": float(passage.keyword_score is not None),
            "lead": float(article_offset < 300),
        }
        rows.append([values[name] for name in BASE_FEATURES])
    return ScoredSentences(candidates, with_relative(np.array(rows, dtype=np.float64)), coverage, names_found, best_dense)


def with_relative(base: np.ndarray) -> np.ndarray:
    """The base feature rows of one question's candidates, with each relative feature's gap to the best candidate."""
    columns = [BASE_FEATURES.index(name) for name in RELATIVE_FEATURES]
    return np.hstack([base, base[:, columns] - base[:, columns].max(axis=0)])


def distinctive_terms(question: str) -> set[str]:
    """Names and numbers in the question: if no passage has one of them, the passages are about something else.
    Stemmed as passage words are, so a capitalised stopword ("The Hill", "Fox News") is never a name to look for."""
    names = part_stems(" ".join(capitalised_words(question)))  # question words are stopwords: dropped here too
    return names | set(NUMBERS.findall(question))


def passage_terms(passage: Passage) -> set[str]:
    """The words a passage offers a question: its text, its article's title, outlet and byline (a question may name
    the outlet: "according to Stocktwits, …"), and the parts of its compounds (the question's names are looked for
    part by part)."""
    meta = passage.meta
    return offered_stems(" ".join((passage.text, meta.title, meta.source, meta.author)))


@dataclass(frozen=True)
class AskedFor:
    """What a question asks for: the kind of answer, and the names it already holds (an answer names someone else)."""

    kind: str  # answer_kind's
    names: frozenset[str]
    numbers: frozenset[str] = frozenset()  # an answer's number is not one the question states
    listed: frozenset[str] = frozenset()  # nor, for "which state / country / month", one it names
    america: frozenset[str] = frozenset()  # "america" when it says U.S.: a sentence's "America" is no new name

    @classmethod
    def of(cls, question: str) -> AskedFor:
        kind = answer_kind(question)
        listed = LISTED_KINDS[kind].named(question) if kind in LISTED_KINDS else set()
        names, numbers = frozenset(capitalised_words(question)), frozenset(numbers_in(question))
        return cls(kind, names, numbers, frozenset(listed), frozenset(america_named(question)))

    @cached_property
    def own_names(self) -> set[str]:
        return proper_names(self.names)

    @cached_property
    def known_stems(self) -> set[str]:
        """The stems of the question's names and of their other names (read once per question, not per sentence)."""
        return with_aliases({stem(name) for name in self.own_names}) | self.america

    def held_by(self, sentence: str) -> bool:
        """A "how many / how old" question is not answered by a sentence without a number (digits or words), a "when"
        question by one without a time, a "what did it cost" question by one without an amount of money, a "who"
        question by one that names no one the question does not."""
        if self.kind in ("number", "duration") and NUMBER_WORDS.search(sentence):
            return True
        return self.kind == "other" or bool(type_fit(self, sentence))


NameFinder = Callable[[str], set[str]]


@dataclass(frozen=True)
class AnswerKind:
    """A kind of answer: the wording that asks for it, and whether a sentence holds one, given what the question holds
    (`fits(asked, sentence, named)`, `named` finding the sentence's names)."""

    asked: re.Pattern[str]
    fits: Callable[[AskedFor, str, NameFinder], bool]


def _listed_fits(listed: ListedKind, asked: AskedFor, sentence: str, named: NameFinder) -> bool:
    return bool(listed.named(sentence) - asked.listed)


# Tried in this order: a listed kind first ("which state" is no "which team"), a duration before a time ("how long" is
# no "when"). A question that asks for none is "other", which any sentence fits.
ANSWER_KINDS: dict[str, AnswerKind] = {
    **{kind: AnswerKind(listed.asked, partial(_listed_fits, listed)) for kind, listed in LISTED_KINDS.items()},
    "name": AnswerKind(NAME_QUESTION, lambda asked, s, named: bool(names_beyond(asked, proper_names(named(s))))),
    "duration": AnswerKind(DURATION_QUESTION, lambda asked, s, named: has_number(s) or has_time_expression(s)),
    "time": AnswerKind(TIME_QUESTION, lambda asked, s, named: has_time_expression(s)),
    "money": AnswerKind(MONEY_QUESTION, lambda asked, s, named: bool(MONEY.search(s))),
    "percent": AnswerKind(PERCENT_QUESTION, lambda asked, s, named: bool(PERCENT.search(s))),
    "number": AnswerKind(NUMBER_QUESTION, lambda asked, s, named: bool(numbers_in(s) - asked.numbers)),
}


def names_beyond(asked: AskedFor, names: set[str]) -> set[str]:
    """The names that are not the question's own, nor another name of one of its places ("America" is the question's
    "US": "America's first over-the-counter birth control pill will be available soon" does not say under what name)."""
    return {name for name in names - asked.own_names if stem(name) not in asked.known_stems}


def asking_for(question: str) -> tuple[str, str]:
    """The kind of answer the question asks for, and the words that ask for it: the wording's first and last ("which
    state", "what percentage", "what … name"; "Which island nation" asks about an island)."""
    for kind, answer in ANSWER_KINDS.items():
        if found := answer.asked.search(question):
            words = found.group().split()
            return kind, " ".join(dict.fromkeys((words[0], words[-1])))
    return "other", ""


def answer_kind(question: str) -> str:
    return asking_for(question)[0]


def type_fit(asked: AskedFor, sentence: str, named: NameFinder = names_in) -> float:
    """1 when the sentence has the kind of thing the question asks for (a name or a number the question does not
    state, a time, an amount of money, a share), else 0: "How many days are in the 2024 calendar year?" is not
    answered by "February 2024 will have an extra day"."""
    kind = ANSWER_KINDS.get(asked.kind)
    return float(kind is not None and kind.fits(asked, sentence, named))
