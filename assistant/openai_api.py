"""An OpenAI-compatible chat API over the assistant: GET /v1/models and POST /v1/chat/completions, streamed (SSE) or
not, so an existing chat front end can point its base URL at the assistant (assistant/ui/apis.py serves it beside
the chat).

The answer text keeps its [n] markers. The citations travel in fields the OpenAI schema does not have, which
clients keep as extras: `citations` and `refused` on the choice's `message`, and on the `delta` of the last streamed
chunk together with `final_content`, the checked answer text. Each citation is the `ask --json` citation: number,
quote, title, source (the outlet), published, location, article_id, start, end, score, chunk_id. The model name picks
the backend (MODELS). The whole conversation goes to Assistant.stream: the last user message is the question and
the earlier user/assistant pairs are the history its follow-ups are resolved against.

No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.
"""

import json
import logging
import time
import uuid
from collections.abc import Iterator
from itertools import chain
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from assistant.answer import Answer
from assistant.backends import backend_names
from assistant.errors import USER_ERRORS, AssistantError
from assistant.ui.session import AssistantPool

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger(__name__)
MODEL_PREFIX = "news-assistant"
# The model name picks the answer backend; the bare name is the server's own setting (ASSISTANT_LLM, --llm).
MODELS: dict[str, str | None] = {MODEL_PREFIX: None} | {f"{MODEL_PREFIX}-{name}": name for name in ("auto", *backend_names())}
CONVERSATION_ROLES = ("user", "assistant")  # system, developer and tool messages say nothing the articles can answer


class ApiError(Exception):
    """A request the API refuses: its one-line message, HTTP status and OpenAI error code."""

    def __init__(self, message: str, status: int = 400, code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.param = status, code, param

    def body(self) -> dict[str, Any]:
        kind = "authentication_error" if self.status == 401 else "invalid_request_error"
        return {"error": {"message": str(self), "type": kind, "param": self.param, "code": self.code}}


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: str
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if self.content is None or isinstance(self.content, str):
            return self.content or ""
        if any(part.type != "text" for part in self.content):
            raise ApiError("only text message content is supported", param="messages")
        return "".join(part.text or "" for part in self.content)


class ChatRequest(BaseModel):
    """The OpenAI request fields the assistant reads (others, like temperature, are accepted and ignored), and the
    assistant's own optional filters."""

    model_config = ConfigDict(extra="ignore")
    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    since: str | None = None  # published on or after, YYYY-MM-DD
    until: str | None = None
    sources: list[str] | None = None  # only these outlets
    as_of: str | None = None  # answer as if on this day
    top_k: int | None = Field(None, ge=1, le=50)


def build_openai_app(pool: AssistantPool) -> "FastAPI":
    """The /v1 app (mounted under /v1, so its own paths are /models and /chat/completions)."""
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, StreamingResponse

    app = FastAPI(title="News assistant, OpenAI-compatible", docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, err: ApiError) -> JSONResponse:
        return JSONResponse(err.body(), status_code=err.status)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, err: RequestValidationError) -> JSONResponse:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"] if part != "body")
        return JSONResponse(ApiError(f"{where}: {first['msg']}", param=where).body(), status_code=400)

    @app.get("/models")
    def list_models() -> dict[str, Any]:
        return {"object": "list", "data": [_model_card(name) for name in MODELS]}

    @app.post("/chat/completions", response_model=None)
    def chat_completions(request: ChatRequest) -> JSONResponse | StreamingResponse:
        # A sync endpoint: FastAPI runs it, and iterates the stream below, in its thread pool.
        completion = Completion(request)
        events = completion.answer(pool)
        if request.stream:
            return StreamingResponse(completion.sse(events), media_type="text/event-stream")
        return JSONResponse(completion.whole(events))

    return app


class Completion:
    """One chat completion: the request turned into a question with its history, answered whole or as chunks."""

    def __init__(self, request: ChatRequest) -> None:
        if request.model not in MODELS:
            raise ApiError(
                f"model {request.model!r} does not exist; use one of {', '.join(MODELS)}",
                status=404,
                code="model_not_found",
                param="model",
            )
        self.request = request
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.question, self.history = conversation(request.messages)

    def answer(self, pool: AssistantPool) -> Iterator[str | Answer]:
        """The engine's stream, its first item already drawn, so a bad question fails as HTTP 400, not mid-stream."""
        r = self.request
        try:
            bot = pool.get(MODELS[r.model], r.top_k)
            stream = bot.stream(
                self.question, history=self.history, since=r.since, until=r.until, sources=r.sources, as_of=r.as_of
            )
            first = next(stream)
        except USER_ERRORS as err:
            raise ApiError(str(err).splitlines()[0]) from None
        return chain([first], stream)

    def whole(self, events: Iterator[str | Answer]) -> dict[str, Any]:
        try:
            answer = _last_answer(events)
        except USER_ERRORS as err:
            raise ApiError(str(err).splitlines()[0]) from None
        message = {"role": "assistant", "content": answer.text, **_extras(answer)}
        return self._envelope("chat.completion", message=message, finish_reason="stop")

    def sse(self, events: Iterator[str | Answer]) -> Iterator[str]:
        """Server-sent events as OpenAI streams them: a role chunk, text deltas, a last chunk with the citations."""
        yield _event(self._envelope("chat.completion.chunk", delta={"role": "assistant", "content": ""}, finish_reason=None))
        try:
            for item in events:
                if isinstance(item, Answer):
                    delta = {**_extras(item), "final_content": item.text}
                    yield _event(self._envelope("chat.completion.chunk", delta=delta, finish_reason="stop"))
                    break
                yield _event(self._envelope("chat.completion.chunk", delta={"content": item}, finish_reason=None))
        except Exception as err:  # the response has started: the error goes in the stream, as OpenAI sends it
            if not isinstance(err, USER_ERRORS):
                log.exception("a streamed chat completion failed")
            message = str(err).splitlines()[0] if isinstance(err, USER_ERRORS) else "the answer failed; see the server log"
            yield _event(ApiError(message, status=500).body())
        yield "data: [DONE]\n\n"

    def _envelope(self, kind: str, *, finish_reason: str | None, **choice: Any) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": kind,
            "created": self.created,
            "model": self.request.model,
            "choices": [{"index": 0, **choice, "finish_reason": finish_reason}],
        }


def conversation(messages: list[ChatMessage]) -> tuple[str, list[tuple[str, str]]]:
    """(question, history): the last user message, and the earlier user messages each paired with the answer that
    followed it (a user message left without an answer is dropped)."""
    turns = [(m.role, m.text()) for m in messages if m.role in CONVERSATION_ROLES]
    if not turns or turns[-1][0] != "user":
        raise ApiError("the last user or assistant message must be the user's question", param="messages")
    history: list[tuple[str, str]] = []
    asked: str | None = None
    for role, text in turns[:-1]:
        if role == "user":
            asked = text
        elif asked is not None:
            history.append((asked, text))
            asked = None
    return turns[-1][1], history


def _extras(answer: Answer) -> dict[str, Any]:
    """The fields beyond OpenAI's schema that carry what the [n] markers point at."""
    return {"citations": [c.to_dict() for c in answer.citations], "refused": answer.refused}


def _last_answer(events: Iterator[str | Answer]) -> Answer:
    for item in events:
        if isinstance(item, Answer):
            return item
    raise AssistantError("the answer stream ended without an answer")


def _model_card(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 0, "owned_by": MODEL_PREFIX}


def _event(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"
