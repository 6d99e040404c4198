"""The `openai` backend: any OpenAI-compatible chat server (Ollama, vLLM, llama.cpp's server, a hosted API).

It goes through llama-index's OpenAILike integration. A server that is down, slow past `request_timeout`, or
that refuses the request ends in one AssistantError line instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import TYPE_CHECKING

from assistant.backends.generated import GeneratedBackend, Usage
from assistant.config import Settings
from assistant.errors import AssistantError
from index.chunking import tiktoken_encoding
from index.embeddings import Encoder

if TYPE_CHECKING:
    from llama_index.llms.openai_like import OpenAILike

NO_KEY = "not-needed"  # local servers ignore the key, but the OpenAI client insists on one


class OpenAIBackend(GeneratedBackend):
    name = "openai"

    def __init__(self, settings: Settings, encoder: Encoder) -> None:
        if not settings.openai_base_url:
            raise AssistantError("the openai backend needs ASSISTANT_OPENAI_BASE_URL, e.g. http://127.0.0.1:8080/v1")
        if not settings.openai_model:
            raise AssistantError("the openai backend needs ASSISTANT_OPENAI_MODEL, the model name the server serves")
        super().__init__(settings, encoder)
        self.model = settings.openai_model

    @classmethod
    def from_settings(cls, settings: Settings, encoder: Encoder) -> OpenAIBackend:
        return cls(settings, encoder)

    @cached_property
    def llm(self) -> OpenAILike:
        from llama_index.llms.openai_like import OpenAILike

        s = self.settings
        return OpenAILike(
            model=s.openai_model,
            api_base=s.openai_base_url,
            api_key=s.openai_api_key or NO_KEY,
            is_chat_model=True,
            context_window=self.n_ctx,
            temperature=0.0,
            timeout=s.request_timeout,
            max_retries=0,  # a retry loop would hide a dead server behind minutes of waiting
            additional_kwargs={"stream_options": {"include_usage": True}},
        )

    def count_tokens(self, text: str) -> int:
        """An estimate: the server's tokenizer is unknown here, cl100k_base is close for English."""
        return len(tiktoken_encoding("cl100k_base").encode(text, disallowed_special=()))

    def _chat(self, system: str, user: str, max_tokens: int, grammar: str | None = None) -> Iterator[str | Usage]:
        """An OpenAI-compatible server takes no GBNF grammar: the reply gets the engine's support check instead."""
        import openai
        from llama_index.core.llms import ChatMessage, MessageRole

        messages = [ChatMessage(role=MessageRole.SYSTEM, content=system), ChatMessage(role=MessageRole.USER, content=user)]
        where = self.settings.openai_base_url
        pieces: list[str] = []
        reported: dict[str, int] = {}
        try:
            for response in self.llm.stream_chat(messages, max_tokens=max_tokens):
                reported = response.additional_kwargs or reported
                if response.delta:
                    pieces.append(response.delta)
                    yield response.delta
        except openai.APITimeoutError:
            limit = self.settings.request_timeout
            raise AssistantError(f"the answer server at {where} did not answer within {limit:g} s") from None
        except openai.APIConnectionError:
            raise AssistantError(f"cannot reach the answer server at {where}; is it running?") from None
        except openai.APIStatusError as err:
            detail = f"HTTP {err.status_code} {_short(err)}"
            raise AssistantError(f"the answer server at {where} refused the request: {detail}") from None
        yield Usage(
            prompt_tokens=int(reported.get("prompt_tokens") or self.count_tokens(system + user)),
            completion_tokens=int(reported.get("completion_tokens") or self.count_tokens("".join(pieces))),
        )


def _short(err: Exception) -> str:
    return " ".join(str(err).split())[:200]
