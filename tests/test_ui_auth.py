"""The web UI's login setting and the `assistant chat` command's one-line errors."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.errors import AssistantError
from assistant.ui.auth import parse_auth


def test_no_setting_means_no_login() -> None:
    assert parse_auth(None) is None
    assert parse_auth("  ") is None


def test_one_pair_and_passwords_with_colons() -> None:
    assert parse_auth("reader:s3cret") == [("reader", "s3cret")]
    assert parse_auth("reader:a:b:c") == [("reader", "a:b:c")]


def test_a_file_of_pairs_skips_blank_and_comment_lines(tmp_path: Path) -> None:
    logins = tmp_path / "logins.txt"
    logins.write_text("# who may read\nann:one\n\n  bob:two:2  \n", encoding="utf-8")
    assert parse_auth(str(logins)) == [("ann", "one"), ("bob", "two:2")]


@pytest.mark.parametrize("value", ["nocolon", ":password", "user:"])
def test_malformed_values_are_one_line_errors_that_do_not_echo_passwords(value: str) -> None:
    with pytest.raises(AssistantError) as caught:
        parse_auth(value)
    message = str(caught.value)
    assert "\n" not in message and "user:password" in message
    if value.startswith(":"):
        assert "password" not in message.replace("user:password", "")


def test_a_bad_login_file_names_the_line(tmp_path: Path) -> None:
    logins = tmp_path / "logins.txt"
    logins.write_text("ann:one\njustaname\n", encoding="utf-8")
    with pytest.raises(AssistantError, match=r"logins.txt:2: expected user:password"):
        parse_auth(str(logins))
    logins.write_text("# nobody\n", encoding="utf-8")
    with pytest.raises(AssistantError, match="no user:password lines"):
        parse_auth(str(logins))


def test_chat_refuses_a_bad_login_setting_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ASSISTANT_AUTH", "no-colon-here")
    result = CliRunner().invoke(app, ["chat", "--port", "1"])
    assert result.exit_code == 1
    assert result.output.strip().startswith("error: ASSISTANT_AUTH must be user:password")
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert not (tmp_path / "home").exists()  # it failed before indexing anything


def test_chat_on_a_taken_port_is_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ASSISTANT_SEEDS_DIR", str(tmp_path / "no-seeds"))  # nothing to index first: keep it quick
    monkeypatch.delenv("ASSISTANT_AUTH", raising=False)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["chat", "--port", str(port), "--llm", "extractive"])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert lines == [f"error: cannot serve on 127.0.0.1:{port}: the port is in use (choose another with --port)"]
    assert "Traceback" not in result.output
