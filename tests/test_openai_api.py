"""The OpenAI-compatible API (/v1) through the `openai` client, against `assistant chat` run as a real subprocess,
with a login and without one; and how a request's messages become a question with its history."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from assistant.openai_api import MODELS, ApiError, ChatMessage, conversation
from tests.conftest import AKAZAWA_ARTICLE, SEEDS, server_env
from tests.servers import chat_server

PASSWORD = "pa:ss word"
QUESTION = "Who is Japan's chief negotiator?"
FOLLOW_UP = "What did he say after the meeting?"


def messages(*pairs: tuple[str, Any]) -> list[ChatMessage]:
    return [ChatMessage(role=role, content=content) for role, content in pairs]


def test_the_last_user_message_is_the_question_and_earlier_pairs_the_history() -> None:
    question, history = conversation(
        messages(
            ("system", "You are helpful."),
            ("user", "first?"),
            ("assistant", "one [1]."),
            ("user", "unanswered?"),  # a retried question: no answer followed it
            ("user", [{"type": "text", "text": "second?"}]),
            ("assistant", "two [1]."),
            ("tool", "ignored"),
            ("user", [{"type": "text", "text": "third "}, {"type": "text", "text": "part?"}]),
        )
    )
    assert question == "third part?"
    assert history == [("first?", "one [1]."), ("second?", "two [1].")]


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ((("user", "q"), ("assistant", "a")), "must be the user's question"),
        ((("system", "only a system prompt"),), "must be the user's question"),
        ((("user", [{"type": "image_url", "image_url": {"url": "x"}}]),), "only text message content"),
    ],
)
def test_requests_without_a_question_are_refused(pairs: tuple[tuple[str, Any], ...], message: str) -> None:
    with pytest.raises(ApiError, match=message):
        conversation(messages(*pairs))


def test_model_names_pick_the_backend() -> None:
    assert MODELS["news-assistant"] is None  # the server's own setting
    assert MODELS["news-assistant-extractive"] == "extractive" and MODELS["news-assistant-local"] == "local"
    assert MODELS["news-assistant-auto"] == "auto"


# --- against the real server -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A chat server with a login: the API key is its password."""
    home = tmp_path_factory.mktemp("openai-login")
    with chat_server(home, server_env(home, ASSISTANT_AUTH=f"reader:{PASSWORD}")) as url:
        yield url


@pytest.fixture(scope="module")
def client(guarded: str) -> Any:
    from openai import OpenAI

    return OpenAI(base_url=f"{guarded}v1", api_key=PASSWORD, max_retries=0, timeout=120)


def markers(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\[(\d+)\]", text)}


def check_citations(text: str, citations: list[dict[str, Any]]) -> None:
    """Every [n] of the text has its citation and every citation its [n]; the first quotes the Akazawa article."""
    assert citations and markers(text) == {c["number"] for c in citations}
    first = citations[0]
    assert first["article_id"] == AKAZAWA_ARTICLE and first["source"] == "Stocktwits" and first["published"] == "2025-07-02"
    assert first["title"].startswith("Trump Trade Talks") and first["location"].endswith(AKAZAWA_ARTICLE)
    article = (SEEDS / AKAZAWA_ARTICLE).read_text(encoding="utf-8")
    assert " ".join(first["quote"].split()) in " ".join(article.split())


@pytest.mark.slow
def test_models_are_listed(client: Any) -> None:
    # the server runs in its own process: the shipped backends, not a test's scripted one
    shipped = ["auto", "extractive", "local", "openai"]
    assert [model.id for model in client.models.list()] == ["news-assistant", *(f"news-assistant-{b}" for b in shipped)]


@pytest.mark.slow
def test_a_completion_carries_its_citations(client: Any) -> None:
    completion = client.chat.completions.create(model="news-assistant", messages=[{"role": "user", "content": QUESTION}])
    choice = completion.choices[0]
    assert completion.object == "chat.completion" and choice.finish_reason == "stop"
    assert "Ryosei Akazawa" in choice.message.content and "[1]" in choice.message.content
    extra = choice.message.model_extra
    assert extra["refused"] is False
    check_citations(choice.message.content, extra["citations"])


@pytest.mark.slow
def test_a_streamed_completion_ends_with_its_citations(client: Any) -> None:
    whole = client.chat.completions.create(model="news-assistant", messages=[{"role": "user", "content": QUESTION}])
    chunks = list(
        client.chat.completions.create(
            model="news-assistant-extractive", messages=[{"role": "user", "content": QUESTION}], stream=True
        )
    )
    assert chunks[0].choices[0].delta.role == "assistant"
    streamed = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert "Ryosei Akazawa" in streamed
    last = chunks[-1].choices[0]
    assert last.finish_reason == "stop" and all(c.choices[0].finish_reason is None for c in chunks[:-1])
    extra = last.delta.model_extra
    check_citations(streamed, extra["citations"])
    # the checked text (markers placed as in the whole completion) comes last, for clients that replace the stream
    assert extra["final_content"] == whole.choices[0].message.content
    assert extra["citations"] == whole.choices[0].message.model_extra["citations"]


@pytest.mark.slow
def test_earlier_turns_make_a_follow_up(client: Any) -> None:
    first = client.chat.completions.create(model="news-assistant", messages=[{"role": "user", "content": QUESTION}])
    conversation = [
        {"role": "system", "content": "Answer from the news."},
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": FOLLOW_UP},
    ]
    follow_up = client.chat.completions.create(model="news-assistant", messages=conversation)
    message = follow_up.choices[0].message
    assert "concrete discussions" in message.content  # what Akazawa said, found only once "he" is resolved
    assert markers(message.content) == {c["number"] for c in message.model_extra["citations"]}
    alone = client.chat.completions.create(model="news-assistant", messages=[{"role": "user", "content": FOLLOW_UP}])
    assert "concrete discussions" not in alone.choices[0].message.content


@pytest.mark.slow
def test_the_assistants_own_filters_ride_in_the_body(client: Any) -> None:
    before = client.chat.completions.create(
        model="news-assistant", messages=[{"role": "user", "content": QUESTION}], extra_body={"as_of": "2025-07-01"}
    )
    assert before.choices[0].message.model_extra["refused"] is True
    assert before.choices[0].message.model_extra["citations"] == []


@pytest.mark.slow
def test_bad_requests_are_one_line_errors(client: Any) -> None:
    from openai import BadRequestError, NotFoundError

    question = [{"role": "user", "content": QUESTION}]
    with pytest.raises(NotFoundError, match="model 'gpt-4' does not exist; use one of news-assistant"):
        client.chat.completions.create(model="gpt-4", messages=question)
    with pytest.raises(BadRequestError, match="since='yesterday' is not a date like 2025-01-31"):
        client.chat.completions.create(model="news-assistant", messages=question, extra_body={"since": "yesterday"})
    with pytest.raises(BadRequestError, match="the question is empty"):
        client.chat.completions.create(model="news-assistant", messages=[{"role": "user", "content": "  "}], stream=True)
    with pytest.raises(BadRequestError, match="must be the user's question"):
        client.chat.completions.create(model="news-assistant", messages=[{"role": "assistant", "content": "hi"}])
    with pytest.raises(BadRequestError, match="messages: List should have at least 1 item"):
        client.chat.completions.create(model="news-assistant", messages=[])
    # the model name reaches the backend: the openai backend is not configured on this server
    with pytest.raises(BadRequestError, match="the openai backend needs ASSISTANT_OPENAI_BASE_URL"):
        client.chat.completions.create(model="news-assistant-openai", messages=question)


@pytest.mark.slow
@pytest.mark.parametrize("key", ["wrong", "reader", f"reader:{PASSWORD}"])
def test_a_wrong_key_is_refused(guarded: str, key: str) -> None:
    from openai import AuthenticationError, OpenAI

    wrong = OpenAI(base_url=f"{guarded}v1", api_key=key, max_retries=0)
    with pytest.raises(AuthenticationError) as refused:
        wrong.chat.completions.create(model="news-assistant", messages=[{"role": "user", "content": QUESTION}])
    assert refused.value.status_code == 401
    assert httpx.get(f"{guarded}v1/models").status_code == 401  # no key at all


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A chat server without a login, on 127.0.0.1."""
    home = tmp_path_factory.mktemp("openai-open")
    with chat_server(home, server_env(home)) as url:
        yield url


@pytest.mark.slow
def test_without_a_login_any_key_or_none_is_served(open_server: str) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=f"{open_server}v1", api_key="anything", max_retries=0, timeout=120)
    chunks = list(
        client.chat.completions.create(model="news-assistant", messages=[{"role": "user", "content": QUESTION}], stream=True)
    )
    streamed = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    extra = chunks[-1].choices[0].delta.model_extra
    assert extra is not None
    check_citations(streamed, extra["citations"])
    reply = httpx.post(
        f"{open_server}v1/chat/completions",
        json={"model": "news-assistant", "messages": [{"role": "user", "content": QUESTION}]},
        timeout=120,
    )
    assert reply.status_code == 200 and reply.json()["choices"][0]["message"]["citations"]
