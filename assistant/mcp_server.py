"""The news as MCP tools: `search_news` (passages with their metadata) and `ask_news` (an answer with its citations).

One server of the official `mcp` SDK serves both transports: stdio for `assistant mcp`, and streamable HTTP at /mcp
beside the chat (assistant/ui/apis.py). The SDK checks arguments against the schemas it builds from the signatures
below; what a schema cannot express (a date like "yesterday", an outlet nobody indexed) comes back as the engine's
one-line error, a tool result with isError set.

No `from __future__ import annotations`: the SDK reads these signatures' annotations at run time.
"""

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, Field, ValidationError

from assistant.backends import backend_names
from assistant.engine import Assistant
from assistant.errors import USER_ERRORS, AssistantError
from assistant.ui.session import AssistantPool

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

SERVER_NAME = "news-assistant"
INSTRUCTIONS = (
    "Answers questions about the indexed news articles. ask_news gives an answer whose [n] markers point at exact "
    "quotes (its citations); search_news gives the passages a question retrieves. Dates are YYYY-MM-DD."
)
BACKENDS: tuple[str, ...] = ("auto", *backend_names())

Day = Annotated[str | None, Field(description="A day as YYYY-MM-DD.", examples=["2025-07-01"])]
Outlets = Annotated[
    list[str] | None, Field(description="Only articles from these outlets (as listed by the index).", examples=[["Stocktwits"]])
]


class PassageHit(BaseModel):
    """A retrieved passage and the article it comes from."""

    rank: int = Field(description="1 is the best match.")
    title: str
    source: str = Field(description="The outlet.")
    published: str = Field(description='YYYY-MM-DD, or "" when the article has no date.')
    location: str = Field(description="The article's file path or URL.")
    text: str = Field(description="The passage text.")
    score: float = Field(description="Fused rank score (dense and keyword).")
    dense_score: float | None = Field(description="Cosine similarity to the query, when the dense side found it.")
    keyword_score: float | None = Field(description="BM25 score, when the keyword side found it.")
    article_id: str
    chunk_id: str
    start: int = Field(description="Offset of the passage in the article's cleaned text.")
    end: int


class SearchResult(BaseModel):
    as_of: str = Field(description="The day searched as of: nothing published later was read.")
    passages: list[PassageHit]


class CitationOut(BaseModel):
    """What an [n] marker of the answer points at: an exact quote inside an article."""

    number: int = Field(description="The n of the [n] marker.")
    quote: str
    title: str
    source: str = Field(description="The outlet.")
    published: str = Field(description='YYYY-MM-DD, or "" when the article has no date.')
    location: str = Field(description="The article's file path or URL.")
    article_id: str
    start: int = Field(description="article_text[start:end] == quote.")
    end: int
    score: float
    chunk_id: str


class AnswerOut(BaseModel):
    text: str = Field(description="The answer, with [n] markers; the refusal text when refused.")
    refused: bool = Field(description="True when the articles do not answer the question.")
    citations: list[CitationOut]
    as_of: str | None = Field(description="The day answered as of.")
    backend: str = Field(description="The backend that wrote the answer.")


def news_tools(pool: AssistantPool) -> tuple[Any, Any]:
    """search_news and ask_news over the pool's assistants; tool errors are raised as the SDK's ToolError."""
    from mcp.server.mcpserver.exceptions import ToolError

    def search_news(
        query: Annotated[str, Field(description="What to look for: a question or keywords.")],
        since: Day = None,
        until: Day = None,
        sources: Outlets = None,
        k: Annotated[int, Field(ge=1, le=50, description="How many passages to return.")] = 5,
        as_of: Day = None,
    ) -> SearchResult:
        """Search the indexed news articles: the passages that best match the query, best first, with each one's
        title, outlet, published date and location. since/until bound the published date; as_of (default today)
        leaves out anything published later, and "last week" or "in June" in the query count back from it."""
        bot = pool.base
        try:
            passages = bot.retrieve(query, k=k, since=since, until=until, sources=sources, as_of=as_of)
            day = bot.as_of_day(as_of)
        except USER_ERRORS as err:
            raise ToolError(_one_line(err)) from None
        return SearchResult(as_of=day.isoformat(), passages=[PassageHit.model_validate(p.to_dict()) for p in passages])

    def ask_news(
        question: Annotated[str, Field(description="The question, in plain words.")],
        since: Day = None,
        until: Day = None,
        sources: Outlets = None,
        as_of: Day = None,
        k: Annotated[int | None, Field(ge=1, le=50, description="Passages to answer from (default: the server's).")] = None,
        backend: Annotated[
            str | None, Field(description=f"Answer backend: {', '.join(BACKENDS)} (default: the server's).")
        ] = None,
    ) -> AnswerOut:
        """Answer a question from the indexed news articles. The text cites its sources with [n] markers; each
        citation gives the exact quote with its article's title, outlet, published date and location. When the
        articles do not answer, `refused` is true and the text says so: do not guess beyond it."""
        try:
            if backend and backend not in BACKENDS:
                raise AssistantError(f"backend {backend!r} is not one of {', '.join(BACKENDS)}")
            answer = pool.get(backend or None, k).ask(question, since=since, until=until, sources=sources, as_of=as_of)
        except USER_ERRORS as err:
            raise ToolError(_one_line(err)) from None
        return AnswerOut(
            text=answer.text,
            refused=answer.refused,
            citations=[CitationOut.model_validate(c.to_dict()) for c in answer.citations],
            as_of=answer.as_of.isoformat() if answer.as_of else None,
            backend=answer.backend,
        )

    return search_news, ask_news


def build_mcp_server(pool: AssistantPool) -> "MCPServer[Any]":
    """The MCP server with exactly the two news tools, both read-only."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.types import ToolAnnotations

    class NewsServer(MCPServer[Any]):
        async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
            """As the SDK's, but an argument the schema rejects is named in one line, not pydantic's report."""
            try:
                return await super().call_tool(name, arguments, context)
            except ToolError as err:
                if isinstance(err.__cause__, ValidationError):
                    raise ToolError(f"Error executing tool {name}: {_validation_line(err.__cause__)}") from None
                raise

    server = NewsServer(SERVER_NAME, instructions=INSTRUCTIONS, log_level="WARNING")
    read_only = ToolAnnotations(read_only_hint=True, open_world_hint=False)
    for tool in news_tools(pool):
        server.add_tool(tool, annotations=read_only, structured_output=True)
    return server


def serve_stdio(bot: Assistant) -> None:
    """`assistant mcp`: serve the tools on stdin/stdout until the client closes them (the SDK points fd 1 at stderr
    meanwhile, so nothing printed by a library can corrupt the protocol)."""
    build_mcp_server(AssistantPool(bot)).run("stdio")


def _validation_line(err: ValidationError) -> str:
    """`k: Input should be greater than or equal to 1; query: Field required`."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in err.errors())


def _one_line(err: Exception) -> str:
    return str(err).splitlines()[0] if str(err) else err.__class__.__name__
