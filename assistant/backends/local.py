"""The `local` backend: a GGUF model through llama.cpp (llama-cpp-python), on the CPU, offline.

The library is used directly rather than through llama-index's LlamaCPP wrapper because the wrapper hides what
makes it fast here: the model is loaded once per process and shared, and the KV state of each system prompt is
kept, so a question only pays for its passages and question (llama.cpp reuses the longest cached token prefix;
when another prompt, such as the follow-up rewrite, has replaced it, the saved prefix state is loaded back).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.backends.generated import GeneratedBackend, Usage, answer_prompt
from assistant.backends.model_files import DEFAULT_MODEL, ensure_model
from assistant.choice_reader import ChoiceReader
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.evidence import Evidence
from assistant.prompts import ANSWER_CHECK_USER, ANSWER_SYSTEM
from index.cores import usable_cores
from index.embeddings import Encoder

if TYPE_CHECKING:
    from llama_cpp import Llama

SEED = 1234


@dataclass
class LoadedModel:
    """One llama.cpp model in memory, its chat template, and the saved KV state of each system prompt."""

    llm: Llama
    formatter: Any  # llama_cpp.llama_chat_format.Jinja2ChatFormatter, ending with the assistant's turn
    prefix_formatter: Any  # the same template without the assistant's turn
    lock: threading.Lock = field(default_factory=threading.Lock)  # one generation at a time per context
    prefix_states: dict[tuple[int, ...], Any] = field(default_factory=dict)

    def tokens(self, system: str, user: str) -> tuple[list[int], list[int]]:
        """The whole chat prompt's tokens and those of its system part (a prefix of them)."""
        whole = self.formatter(messages=[{"role": "system", "content": system}, {"role": "user", "content": user}]).prompt
        prefix_text = self.prefix_formatter(messages=[{"role": "system", "content": system}]).prompt
        whole_tokens = self.llm.tokenize(whole.encode(), add_bos=True, special=True)
        prefix_tokens = self.llm.tokenize(prefix_text.encode(), add_bos=True, special=True)
        if whole_tokens[: len(prefix_tokens)] != prefix_tokens:
            prefix_tokens = []  # a template that does not render the system part as a prefix: no reuse
        return whole_tokens, prefix_tokens

    def restore_prefix(self, prefix: list[int]) -> None:
        """Make the context start with `prefix`, from the cache, a saved state, or by reading it once."""
        if not prefix:
            return
        llm = self.llm
        if llm.n_tokens >= len(prefix) and llm.input_ids[: len(prefix)].tolist() == prefix:
            return  # still in the KV cache: llama.cpp reuses it by itself
        key = tuple(prefix)
        state = self.prefix_states.get(key)
        if state is not None:
            llm.load_state(state)
            return
        llm.reset()
        llm.eval(prefix)
        state = llm.save_state()
        state.scores = state.scores[:1]  # logits are not kept (logits_all=False); a row keeps load_state's shapes
        self.prefix_states[key] = state

    def next_token_logits(self, prompt: list[int], prefix: list[int]) -> np.ndarray:
        """The logits of the token after `prompt`: one forward pass over all of it after its system prefix. Reusing
        more of an earlier prompt's tokens would batch the rest differently, and the logits move with that: an answer
        check read 0.559 fresh and 0.546 after another question, on either side of its threshold, so whether a
        question was answered depended on what had been asked before it in the process."""
        llm = self.llm
        self.restore_prefix(prefix)
        llm.n_tokens = len(prefix)
        llm.eval(prompt[llm.n_tokens :])
        return np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).copy()


def llama_threads() -> int:
    return usable_cores()


_LOADED: dict[tuple[str, int], LoadedModel] = {}
_LOADING = threading.Lock()


def load_model(path: Path, n_ctx: int) -> LoadedModel:
    """The model at `path`, loaded once per process and shared by every backend that asks for it."""
    key = (str(path.resolve()), n_ctx)
    with _LOADING:
        if key not in _LOADED:
            _LOADED[key] = _load(path, n_ctx)
        return _LOADED[key]


def _load(path: Path, n_ctx: int) -> LoadedModel:
    from llama_cpp import Llama
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    if not path.is_file():
        raise AssistantError(f"the model file {path} does not exist")
    with path.open("rb") as handle:
        if handle.read(4) != b"GGUF":
            raise AssistantError(f"{path} is not a GGUF model file")
    try:
        llm = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=llama_threads(), seed=SEED, verbose=False)
    except (ValueError, RuntimeError) as err:
        raise AssistantError(f"llama.cpp could not load {path}: {err}") from None
    template = llm.metadata.get("tokenizer.chat_template")
    if not template:
        raise AssistantError(f"{path} has no chat template in its metadata; use an instruction-tuned GGUF")
    eos = llm._model.token_get_text(llm.token_eos())
    bos = llm._model.token_get_text(llm.token_bos()) if llm.token_bos() != -1 else ""
    return LoadedModel(
        llm=llm,
        formatter=Jinja2ChatFormatter(template, eos, bos),
        prefix_formatter=Jinja2ChatFormatter(template, eos, bos, add_generation_prompt=False),
    )


class LocalBackend(GeneratedBackend):
    name = "local"

    def __init__(self, settings: Settings, encoder: Encoder) -> None:
        super().__init__(settings, encoder)
        self.model = settings.local_model_path.stem if settings.local_model_path else DEFAULT_MODEL.name
        self._loaded: LoadedModel | None = None

    @classmethod
    def from_settings(cls, settings: Settings, encoder: Encoder) -> LocalBackend:
        return cls(settings, encoder)

    @property
    def loaded(self) -> LoadedModel:
        if self._loaded is None:
            path = self.settings.local_model_path or ensure_model(DEFAULT_MODEL, self.settings.models_dir)
            self._loaded = load_model(path, self.n_ctx)
        return self._loaded

    @property
    def choice_reader(self) -> ChoiceReader:
        return self

    def letter_probabilities(self, system: str, user: str, letters: str) -> np.ndarray:
        """P(the reply starts with each letter), normalised over the letters: one forward pass, nothing generated."""
        return self._first_word_probabilities(system, user, list(letters))

    def answer_check(self, question: str, evidence: Evidence) -> float:
        """P(yes) against no, asked under the answer's own system prompt and evidence, so that writing the answer
        afterwards reads only the few tokens where the two prompts differ."""
        asked = answer_prompt(question, evidence, ANSWER_CHECK_USER)
        yes, _ = self._first_word_probabilities(ANSWER_SYSTEM, asked, ["yes", "no"])
        return float(yes)

    def _first_word_probabilities(self, system: str, user: str, words: list[str]) -> np.ndarray:
        """P(the reply starts with each word, in lower or upper case), normalised over the words: one forward pass."""
        loaded = self.loaded
        variants = [[w, w.capitalize()] if w.islower() else [w] for w in words]
        ids = [[loaded.llm.tokenize(v.encode(), add_bos=False, special=False)[0] for v in vs] for vs in variants]
        with loaded.lock:
            prompt, prefix = loaded.tokens(system, user)
            if len(prompt) >= self.n_ctx:
                raise AssistantError(f"the prompt needs {len(prompt)} tokens; the model's context holds {self.n_ctx}")
            logits = loaded.next_token_logits(prompt, prefix)
        top = max(logits[i].max() for i in ids)
        per_word = np.array([np.exp(logits[i] - top).sum() for i in ids])
        return np.asarray(per_word / per_word.sum())

    def count_tokens(self, text: str) -> int:
        return len(self.loaded.llm.tokenize(text.encode(), add_bos=False, special=False))

    def _chat(self, system: str, user: str, max_tokens: int, grammar: str | None = None) -> Iterator[str | Usage]:
        from llama_cpp import LlamaGrammar

        constraint = LlamaGrammar.from_string(grammar, verbose=False) if grammar else None
        loaded = self.loaded
        with loaded.lock:
            prompt, prefix = loaded.tokens(system, user)
            if len(prompt) + max_tokens > self.n_ctx:
                raise AssistantError(f"the prompt needs {len(prompt)} tokens; the model's context holds {self.n_ctx}")
            loaded.restore_prefix(prefix)
            pieces: list[str] = []
            stream = loaded.llm.create_completion(
                prompt, max_tokens=max_tokens, temperature=0.0, repeat_penalty=1.0, stream=True, seed=SEED, grammar=constraint
            )
            for chunk in stream:
                delta = chunk["choices"][0]["text"]  # type: ignore[index]
                if delta:
                    pieces.append(delta)
                    yield delta
            yield Usage(prompt_tokens=len(prompt), completion_tokens=self.count_tokens("".join(pieces)))
