"""The web UI's optional login: `user:password`, or a file of such lines (ASSISTANT_AUTH); the APIs beside it take
its password as a bearer key."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import AssistantError

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

USAGE = "ASSISTANT_AUTH must be user:password or the path of a file of user:password lines"
UNAUTHORIZED = "this server has a login: send the password of one as `Authorization: Bearer <password>` (the API key)"


def parse_auth(value: str | None) -> list[tuple[str, str]] | None:
    """The (user, password) pairs Gradio's login accepts, or None when login is off."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    path = Path(value).expanduser()
    if path.is_file():
        return _parse_file(path)
    if ":" not in value:
        raise AssistantError(f"{USAGE} (no such file: {value})")
    return [_pair(value, "ASSISTANT_AUTH")]


def _parse_file(path: Path) -> list[tuple[str, str]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise AssistantError(f"{path}: cannot read the login file ({err.__class__.__name__})") from None
    pairs = [
        _pair(line.strip(), f"{path}:{number}")
        for number, line in enumerate(lines, start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not pairs:
        raise AssistantError(f"{path}: no user:password lines in the login file")
    return pairs


def _pair(text: str, where: str) -> tuple[str, str]:
    user, _, password = text.partition(":")  # a password may itself contain ':'
    if not user.strip() or not password:
        raise AssistantError(f"{where}: expected user:password with both parts non-empty")
    return user.strip(), password


class BearerGate:
    """An ASGI wrapper for the machine-facing APIs (/mcp, /v1), which cannot fill in the chat's login page: with
    logins set, a request must carry `Authorization: Bearer <password>` of one of them, else it gets HTTP 401."""

    def __init__(self, app: ASGIApp, logins: Sequence[tuple[str, str]] | None) -> None:
        self.app = app
        self.keys = [password.encode() for _, password in logins or ()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.keys and not self._allowed(scope):
            from starlette.responses import JSONResponse

            refusal = {"message": UNAUTHORIZED, "type": "authentication_error", "param": None, "code": "invalid_api_key"}
            response = JSONResponse({"error": refusal}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        header = dict(scope["headers"]).get(b"authorization", b"")
        scheme, _, key = header.partition(b" ")
        # compare_digest against every key: how long the check takes says nothing about which key came close
        matches = [hmac.compare_digest(key.strip(), expected) for expected in self.keys]
        return scheme.lower() == b"bearer" and any(matches)
