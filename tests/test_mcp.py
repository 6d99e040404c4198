"""The MCP tools through the `mcp` client library, against real servers: `python -m assistant mcp` spawned as a stdio
subprocess, and the /mcp endpoint of `assistant chat` running with a login."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from tests.conftest import AKAZAWA_ARTICLE, REPO, SEEDS, server_env
from tests.servers import chat_server
from tests.test_offline import attempts, guarded_env  # noqa: F401  (guarded_env is a fixture)

pytestmark = pytest.mark.slow

PASSWORD = "pa:ss word"
QUESTION = "Who is Japan's chief negotiator?"
Session = Callable[[Any], Awaitable[None]]


def over_stdio(home: Path, session: Session, env: dict[str, str] | None = None) -> None:
    from mcp import Client, StdioServerParameters

    command = ["-m", "assistant", "mcp"]
    params = StdioServerParameters(command=sys.executable, args=command, env=env or server_env(home), cwd=str(home))

    async def run() -> None:
        async with Client(params, read_timeout_seconds=300) as client:
            await session(client)

    anyio.run(run)


def over_http(url: str, key: str | None, session: Session) -> None:
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    headers = {"Authorization": f"Bearer {key}"} if key else {}

    async def run() -> None:
        async with (
            httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=300)) as http,
            Client(streamable_http_client(f"{url}mcp", http_client=http)) as client,
        ):
            await session(client)

    anyio.run(run)


async def exactly_the_two_tools(client: Any) -> None:
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert sorted(tools) == ["ask_news", "search_news"]
    search = tools["search_news"].input_schema
    assert search["required"] == ["query"]
    assert set(search["properties"]) == {"query", "since", "until", "sources", "k", "as_of"}
    assert search["properties"]["k"]["maximum"] == 50 and search["properties"]["k"]["minimum"] == 1
    ask = tools["ask_news"].input_schema
    assert ask["required"] == ["question"] and {"since", "until", "sources", "as_of"} <= set(ask["properties"])
    assert "citations" in tools["ask_news"].output_schema["properties"]
    assert tools["ask_news"].annotations.read_only_hint is True


async def answers_with_citations(client: Any) -> None:
    result = await client.call_tool("ask_news", {"question": QUESTION})
    assert result.is_error is False
    answer = result.structured_content
    assert answer["refused"] is False and "Ryosei Akazawa" in answer["text"] and "[1]" in answer["text"]
    cited = answer["citations"][0]
    assert cited["number"] == 1 and cited["article_id"] == AKAZAWA_ARTICLE
    assert (cited["title"], cited["source"], cited["published"]) == (
        "Trump Trade Talks: China Finally Mulls Opening Door For Negotiations, Japan Races To Close Deal By June",
        "Stocktwits",
        "2025-07-02",
    )
    assert cited["location"].endswith(AKAZAWA_ARTICLE) and "Akazawa" in cited["quote"]
    article = (SEEDS / AKAZAWA_ARTICLE).read_text(encoding="utf-8")
    assert " ".join(cited["quote"].split()) in " ".join(article.split())

    before = await client.call_tool("ask_news", {"question": QUESTION, "as_of": "2025-07-01"})
    assert before.structured_content["refused"] is True and before.structured_content["citations"] == []


async def searches_with_filters(client: Any) -> None:
    result = await client.call_tool("search_news", {"query": "Japan chief negotiator", "k": 3, "sources": ["Stocktwits"]})
    assert result.is_error is False
    passages = result.structured_content["passages"]
    assert len(passages) == 3 and [p["rank"] for p in passages] == [1, 2, 3]
    assert {p["source"] for p in passages} == {"Stocktwits"}
    assert passages[0]["article_id"] == AKAZAWA_ARTICLE and "Akazawa" in passages[0]["text"]
    assert all(p["title"] and p["location"] and p["published"] for p in passages)
    narrow = await client.call_tool("search_news", {"query": "trade talks", "since": "2025-07-02", "until": "2025-07-02"})
    assert {p["published"] for p in narrow.structured_content["passages"]} == {"2025-07-02"}


BAD_CALLS = [
    ("search_news", {"query": "trade", "since": "yesterday"}, "since='yesterday' is not a date like 2025-01-31"),
    ("search_news", {"query": "trade", "k": 0}, "k: Input should be greater than or equal to 1"),
    ("search_news", {"k": 3}, "query: Field required"),
    ("ask_news", {"question": "   "}, "the question is empty"),
    ("ask_news", {"question": "Who?", "backend": "gpt-9"}, "backend 'gpt-9' is not one of auto, extractive"),
    ("ask_news", {"question": "Who?", "sources": ["Nobody"]}, "no indexed article matches"),
]


async def bad_arguments_are_tool_errors(client: Any) -> None:
    for tool, arguments, message in BAD_CALLS:
        result = await client.call_tool(tool, arguments)
        text = result.content[0].text
        assert result.is_error is True, (tool, arguments)
        assert message in text and len(text.splitlines()) == 1, text
    # the server is still serving after all of them
    assert (await client.call_tool("search_news", {"query": "trade", "k": 1})).is_error is False


def test_stdio_server_spawned_as_a_subprocess(tmp_path: Path) -> None:
    async def session(client: Any) -> None:
        await exactly_the_two_tools(client)
        await answers_with_citations(client)
        await searches_with_filters(client)
        await bad_arguments_are_tool_errors(client)

    over_stdio(tmp_path, session)


def test_the_stdio_server_reaches_no_network(guarded_env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    """tests/netguard.c preloaded into `assistant mcp`: a session with a question makes no lookup or connection."""

    async def session(client: Any) -> None:
        await answers_with_citations(client)

    over_stdio(tmp_path, session, env=guarded_env | {"PYTHONPATH": str(REPO)})
    assert attempts(guarded_env) == []


@pytest.fixture(scope="module")
def chat_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("mcp-http")
    with chat_server(home, server_env(home, ASSISTANT_AUTH=f"reader:{PASSWORD}")) as url:
        yield url


def test_http_endpoint_of_the_chat_server(chat_url: str) -> None:
    async def session(client: Any) -> None:
        await exactly_the_two_tools(client)
        await answers_with_citations(client)
        await searches_with_filters(client)
        await bad_arguments_are_tool_errors(client)

    over_http(chat_url, PASSWORD, session)


@pytest.mark.parametrize("key", [None, "wrong", "reader"])
def test_http_endpoint_needs_the_login_password(chat_url: str, key: str | None) -> None:
    import httpx2

    reply = httpx2.post(
        f"{chat_url}mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={"Authorization": f"Bearer {key}"} if key else {},
    )
    assert reply.status_code == 401
    assert "Authorization: Bearer <password>" in reply.json()["error"]["message"]

    async def session(client: Any) -> None:
        await client.list_tools()

    from mcp import MCPError

    # The SDK client gets the same 401 and fails (an MCPError inside its task groups); it never sees the tools.
    with pytest.raises(BaseException) as refused:
        over_http(chat_url, key, session)
    assert any(isinstance(error, MCPError) for error in leaves(refused.value))


def leaves(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in leaves(inner)]
    return [error]


def test_http_endpoint_refuses_another_machines_host_or_origin(chat_url: str) -> None:
    """On 127.0.0.1 a page elsewhere cannot reach the tools through DNS rebinding, even with the key."""
    import httpx2

    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    accept = {"Accept": "application/json, text/event-stream", "Authorization": f"Bearer {PASSWORD}"}
    rebound = httpx2.post(f"{chat_url}mcp", json=call, headers=accept | {"Host": "news.example:80"})
    assert (rebound.status_code, rebound.text) == (421, "Invalid Host header")
    foreign = httpx2.post(f"{chat_url}mcp", json=call, headers=accept | {"Origin": "http://news.example"})
    assert (foreign.status_code, foreign.text) == (403, "Invalid Origin header")
