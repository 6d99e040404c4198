"""What every generated-answer backend shares: the model writes, the evidence decides.

The evidence selector (assistant/evidence.py, fitted and calibrated) picks the sentences that answer and decides
whether they answer at all; when they do not, no model is called. When they do, the model gets the question and
only those sentences, numbered by their passages, and writes a short answer whose every sentence ends with one of
those numbers: a llama.cpp grammar enforces that while it generates (the local backend); a server that takes no
grammar gets the same prompt, and the engine's support check applies to both. A yes-or-no question is not written
about: once the check passes, its evidence (each article's best sentence) is quoted with its dates, as the extractive
backend does.

A subclass supplies `_chat(system, user, max_tokens, grammar)`, which streams text deltas and then one `Usage`.
"""

from __future__ import annotations

import logging
import re
from abc import abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.answer import Passage
from assistant.backends.base import AnswerBackend, Claim, Draft, refusal
from assistant.choice_reader import ChoiceReader
from assistant.citations import MARKER, parse_claims, rendered
from assistant.config import Settings
from assistant.evidence import (
    Evidence,
    EvidenceSelector,
    asks_yes_or_no,
    evidence_line,
    make_selector,
    share_held,
    stated_answer,
)
from assistant.names import with_aliases
from assistant.prompts import ANSWER_SYSTEM, ANSWER_USER, CONDENSE_SYSTEM, CONDENSE_USER
from assistant.question import Question
from assistant.text import content_stems, numbers_in, offered_stems
from index.embeddings import Encoder

log = logging.getLogger(__name__)

CONDENSE_MAX_TOKENS = 64
HISTORY_ANSWER_CHARS = 400  # each earlier answer, cut, in the condensing prompt
MAX_ANSWER_SENTENCES = 3
MAX_SENTENCE_CHARS = 240  # a marker must come within this many characters: a model cannot ramble on without citing


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int


def answer_grammar(ranks: list[int], alphabet: str = "", sentences: int = MAX_ANSWER_SENTENCES) -> str:
    """GBNF: one to `sentences` sentences of plain text, each at most MAX_SENTENCE_CHARS long and followed by a marker
    naming one of `ranks`, like "Akazawa leads the talks. [2]" (parse_claims moves a marker after a full stop into its
    sentence). The text may not hold brackets, a backslash or line breaks, so no other marker fits in, and it is
    written in printable ASCII and the other characters of `alphabet` (the prompt): the Qwen model wrote "rejected
    reports of any such谈判" about English evidence."""
    choices = " | ".join(f'"{rank}"' for rank in sorted(set(ranks)))
    more = ' (" " sentence)?' * (sentences - 1)
    char = "[\\x20-\\x5A\\x5E-\\x7E" + "".join(f"\\u{ord(c):04X}" for c in sorted(written_beyond_ascii(alphabet))) + "]"
    text = f"{char}{{1,{MAX_SENTENCE_CHARS}}}"
    return f'root ::= sentence{more}\nsentence ::= {text} " [" rank "]"\nrank ::= {choices}\n'


def written_beyond_ascii(text: str) -> set[str]:
    """The printable characters of `text` past ASCII that a grammar's \\uXXXX can name (curly quotes, é, —)."""
    return {c for c in text if 0x7E < ord(c) <= 0xFFFF and c.isprintable() and not c.isspace()}


class GeneratedBackend(AnswerBackend):
    """Answers in the model's own words from the selected evidence, citing it as [n]."""

    checks_support = True

    def __init__(self, settings: Settings, encoder: Encoder, selector: EvidenceSelector | None = None) -> None:
        self.settings = settings
        self.encoder = encoder
        self.selector = selector or make_selector(settings, encoder)
        self.max_answer_tokens = settings.max_answer_tokens
        # The context holds the evidence, the answer and the prompt around them.
        self.n_ctx = settings.context_tokens + settings.max_answer_tokens + settings.prompt_overhead_tokens

    @abstractmethod
    def _chat(self, system: str, user: str, max_tokens: int, grammar: str | None = None) -> Iterator[str | Usage]:
        """Stream the reply's text deltas, then one Usage; `grammar` (GBNF) constrains the reply where the model
        supports it."""

    def answer(self, question: Question, passages: list[Passage]) -> Iterator[str | Draft]:
        evidence = self.selector.select(question, passages, self.choice_reader)
        if not evidence.answers:
            yield from refusal()  # the evidence does not answer: the model is not asked
            return
        if evidence.stated:
            yield from stated_answer(evidence)  # a choice or a metadata fact: nothing for the model to write
            return
        check = self.answer_check(question.text, evidence)
        if check is not None and check < self.settings.answer_check:
            yield from refusal(check)  # the model reads the evidence as not stating the answer: it writes nothing
            return
        if asks_yes_or_no(question.text):
            # Each article's sentence, dated, and no verdict: articles may disagree, and the small model's "Yes, China
            # is negotiating [1]" was cited to a sentence on China "not backing down … despite claims" of talks,
            # which no support check catches.
            yield from stated_answer(evidence, check)
            return
        tokens = {"prompt": 0, "completion": 0}
        ranks = [s.passage.rank for s in evidence.sentences]
        pieces: list[str] = []
        prompt = answer_prompt(question.text, evidence)
        for item in self._chat(ANSWER_SYSTEM, prompt, self.max_answer_tokens, answer_grammar(ranks, alphabet=prompt)):
            if isinstance(item, Usage):
                tokens = {"prompt": item.prompt_tokens, "completion": item.completion_tokens}
            else:
                pieces.append(item)
                yield item
        claims = parse_claims("".join(pieces).strip())
        if restates(question.text, claims):
            # The model wrote the question back ("The property faced a looming foreclosure sale [1]."), though it read
            # the evidence as stating the answer: the evidence is quoted, as the extractive backend answers.
            log.debug("the model wrote %r back as its answer to %r: the evidence is quoted", rendered(claims), question.text)
            yield from stated_answer(evidence, check)
            return
        yield Draft(claims=claims, refused=not any(c.sources for c in claims), tokens=tokens, answer_check=check)

    def answer_check(self, question: str, evidence: Evidence) -> float | None:
        """P(the evidence states the answer to the question), as the model reads it; None where the backend cannot
        read a model's probabilities (then the evidence selector's decision stands alone)."""
        return None

    @property
    def choice_reader(self) -> ChoiceReader | None:
        """The model as a reader of multiple-choice questions, where it can score tokens (none by default)."""
        return None

    def _complete(self, system: str, user: str, max_tokens: int) -> str:
        return "".join(item for item in self._chat(system, user, max_tokens) if isinstance(item, str))

    def condense(self, question: str, history: list[tuple[str, str]]) -> str | None:
        turns = "\n".join(f"User: {q}\nAssistant: {MARKER.sub('', a).strip()[:HISTORY_ANSWER_CHARS]}" for q, a in history)
        reply = self._complete(CONDENSE_SYSTEM, CONDENSE_USER.format(history=turns, question=question), CONDENSE_MAX_TOKENS)
        return clean_condensed(reply, question)


def restates(question: str, claims: list[Claim]) -> bool:
    """Whether the written answer holds no word or number the question does not: a question written back, not an
    answer ("about 4 or 5 cups" answers "How many cups …?")."""
    written = " ".join(c.text for c in claims)
    return not (content_stems(written) - content_stems(question) or numbers_in(written) - numbers_in(question))


def answer_prompt(question: str, evidence: Evidence, template: str = ANSWER_USER) -> str:
    """The question and the evidence sentences, each with its passage number, outlet and date."""
    lines = [evidence_line(s) for s in evidence.sentences]
    return template.format(evidence="\n".join(lines), question=question)


def clean_condensed(reply: str, question: str) -> str | None:
    """The first line of the model's rewrite, or None when it is no rewrite of the follow-up: empty, longer than a
    question, not a question, or without a word of the follow-up that carries meaning (a rewrite replaces what "he"
    or "that" refer to and keeps the rest). The Qwen 1.5B model answered "Which network did he give that interview
    to?" with "Fox News", and turned "Which spokesman made comments before that declaration?" into "Who made the
    statement that …?"."""
    line = next((ln.strip() for ln in reply.strip().splitlines() if ln.strip()), "")
    line = re.sub(r"^(?:rewritten question|question)\s*:\s*", "", line, flags=re.IGNORECASE).strip().strip('"“”')
    if not line.endswith("?") or len(line) > 3 * len(question) + 200:
        return None
    return line if share_held(content_stems(question), with_aliases(offered_stems(line))) == 1.0 else None
