"""The machine-facing APIs served beside the chat, on its port: MCP (streamable HTTP) at /mcp and the
OpenAI-compatible API at /v1. Both sit behind the chat's login as a bearer key (auth.BearerGate) and share the
chat's assistants (one AssistantPool)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from assistant.ui.auth import BearerGate
from assistant.ui.session import AssistantPool

MCP_PATH = "/mcp"
OPENAI_PATH = "/v1"


def api_app_kwargs(pool: AssistantPool, logins: Sequence[tuple[str, str]] | None, host: str) -> dict[str, Any]:
    """What Gradio's launch(app_kwargs=…) hands to the FastAPI app it makes: the two APIs as routes (in place
    before the server answers anything), and a lifespan that runs the MCP session manager while the app runs."""
    from starlette.routing import Mount, Route

    from assistant.mcp_server import build_mcp_server
    from assistant.openai_api import build_openai_app

    mcp = build_mcp_server(pool)
    # Stateless: each MCP request stands alone, so nothing is kept per client. On 127.0.0.1 the SDK also refuses
    # requests whose Host or Origin header names another machine (DNS rebinding).
    mcp_app = mcp.streamable_http_app(streamable_http_path=MCP_PATH, stateless_http=True, host=host)
    routes = [
        Route(MCP_PATH, endpoint=BearerGate(mcp_app, logins)),  # the path is kept, so mcp_app's own route matches
        Mount(OPENAI_PATH, app=BearerGate(build_openai_app(pool), logins)),
    ]

    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        async with mcp.session_manager.run():
            yield

    return {"routes": routes, "lifespan": lifespan}
