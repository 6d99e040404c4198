"""The chat's named API endpoint through gradio_client, against `assistant chat` run as a real subprocess.

The server starts on an empty data directory with a login (ASSISTANT_AUTH), so this also shows the command
indexing seeds/ first and Gradio's auth guarding the API.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import AKAZAWA_ARTICLE, REPO, SEEDS
from tests.servers import chat_server

pytestmark = pytest.mark.slow

LOGIN = ("reader", "pa:ss word")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("api-home")
    env = os.environ | {
        "ASSISTANT_HOME": str(home / "data"),
        "ASSISTANT_SEEDS_DIR": str(SEEDS),
        "ASSISTANT_LLM": "extractive",
        "ASSISTANT_AUTH": ":".join(LOGIN),
        "HF_HUB_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    with chat_server(home, env) as url:
        yield url


def test_the_api_needs_the_login(server: str) -> None:
    from gradio_client import Client

    # Gradio answers a wrong login with HTTP 400, which gradio_client raises as a plain ValueError.
    with pytest.raises(ValueError) as refused:
        Client(server, auth=("reader", "wrong"), verbose=False)
    assert str(refused.value) == f"Could not login to {server}."


@pytest.fixture(scope="module")
def client(server: str) -> Any:
    from gradio_client import Client

    return Client(server, auth=LOGIN, verbose=False)


def test_ask_through_the_named_endpoint_with_a_follow_up(client: Any) -> None:
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert sorted(endpoints) == ["/ask", "/upload"]  # the UI's other events stay private; uploads are an API too

    first = client.predict(question="Who is Japan's chief negotiator?", api_name="/ask")
    assert first["refused"] is False
    assert "Ryosei Akazawa" in first["text"] and "[1]" in first["text"]
    cited = first["citations"][0]
    assert cited["article_id"] == AKAZAWA_ARTICLE and cited["source"] == "Stocktwits"
    article = (REPO / "seeds" / AKAZAWA_ARTICLE).read_text(encoding="utf-8")
    assert " ".join(cited["quote"].split()) in " ".join(article.split())  # cleaning turned no-break spaces into spaces
    assert cited["end"] - cited["start"] == len(cited["quote"])

    follow_up = client.predict(
        question="What did he say after the meeting?",
        history=[["Who is Japan's chief negotiator?", first["text"]]],
        api_name="/ask",
    )
    assert "Akazawa" in follow_up["standalone_question"]
    assert "concrete discussions" in follow_up["text"] and follow_up["citations"]

    # The settings area's knobs: top-k and an outlet filter reach retrieval.
    narrow = client.predict(question="Who is Japan's chief negotiator?", top_k=2, sources=["Stocktwits"], api_name="/ask")
    assert len(narrow["passages"]) == 2 and {p["source"] for p in narrow["passages"]} == {"Stocktwits"}

    refused = client.predict(question="What is the weather on Mars?", api_name="/ask")
    assert refused["refused"] is True and refused["citations"] == []


def test_ask_takes_an_as_of_day(client: Any) -> None:
    before = client.predict(question="Who is Japan's chief negotiator?", as_of="2025-07-01", api_name="/ask")
    assert before["as_of"] == "2025-07-01" and before["window"] is None
    assert before["refused"] is True  # the Akazawa article (Jul 2, 2025) was not published yet; nothing else says
    week = client.predict(question="What did China say last week?", as_of="2025-07-09", api_name="/ask")
    assert week["window"]["since"] == "2025-06-30" and week["window"]["until"] == "2025-07-06"
    assert week["text"].startswith("Searched articles published between 2025-06-30 and 2025-07-06.")
    assert {c["published"] for c in week["citations"]} <= {"2025-07-02"}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"question": "Who?", "since": "yesterday"}, "since='yesterday' is not a date like 2025-01-31"),
        ({"question": "Who?", "as_of": "tomorrow"}, "as_of='tomorrow' is not a date like 2025-01-31"),
        ({"question": "   "}, "the question is empty"),
        ({"question": "Who?", "backend": "gpt-9"}, "backend 'gpt-9' is not one of"),
        ({"question": "Who?", "history": [["only a question"]]}, "history must be a list of [question, answer] pairs"),
    ],
)
def test_bad_requests_get_one_line_errors(client: Any, arguments: dict[str, object], message: str) -> None:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError) as caught:
        client.predict(**arguments, api_name="/ask")
    assert message in str(caught.value) and "Traceback" not in str(caught.value)
