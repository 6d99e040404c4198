"""The web UI's optional login: `user:password`, or a file of such lines (ASSISTANT_AUTH)."""

from __future__ import annotations

from pathlib import Path

from assistant.errors import AssistantError

USAGE = "ASSISTANT_AUTH must be user:password or the path of a file of user:password lines"


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
