"""The openai backend against a real OpenAI-compatible server on 127.0.0.1: llama-cpp-python's own server
running SmolLM2-135M, started by the test. Plus the failures a person meets: no server, a server that hangs."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from assistant import Answer, Assistant
from assistant.cli import app
from assistant.errors import AssistantError
from assistant.prompts import REFUSAL_TEXT
from tests.servers import free_port, wait_until_up
from tests.test_generated_local import smollm2_path

pytestmark = pytest.mark.slow
STARTUP_SECONDS = 90


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_path()), "--model_alias", "smollm2"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--verbose", "False"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/v1"
    try:

        def failure() -> str:
            stderr = process.stderr.read().decode() if process.stderr else ""
            return f"llama_cpp.server did not start: {stderr[-500:]}"

        wait_until_up(process, lambda: serves_model(url), STARTUP_SECONDS, failure)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def serves_model(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/models", timeout=2) as response:
            assert "smollm2" in json.load(response)["data"][0]["id"]
            return True
    except OSError:
        return False


def openai_bot(seeded: Assistant, encoder, **overrides: object) -> Assistant:
    fields = {"llm": "openai", "openai_model": "smollm2", "max_answer_tokens": 48, "context_tokens": 384} | overrides
    return Assistant(seeded.settings.model_copy(update=fields), encoder=encoder)


def test_answers_stream_from_the_server(seeded: Assistant, encoder, server_url: str) -> None:
    bot = openai_bot(seeded, encoder, openai_base_url=server_url)
    *deltas, answer = list(bot.stream("Who is Japan's chief negotiator?"))
    assert isinstance(answer, Answer) and len(deltas) >= 3 and all(isinstance(d, str) for d in deltas)
    assert answer.backend == "openai" and answer.model == "smollm2"
    assert answer.tokens["prompt"] > 100 and answer.tokens["completion"] > 0
    if answer.refused:
        assert answer.text == REFUSAL_TEXT and answer.citations == []
    else:
        assert [c.number for c in answer.citations] == list(range(1, len(answer.citations) + 1))


def test_follow_ups_are_rewritten_by_the_server_model(seeded: Assistant, encoder, server_url: str) -> None:
    bot = openai_bot(seeded, encoder, openai_base_url=server_url)
    answer = bot.chat("When does he want a deal?", [("Who is Japan's chief negotiator?", "Ryosei Akazawa [1].")])
    assert answer.standalone_question and answer.standalone_question != "When does he want a deal?"


def test_a_server_that_is_down_is_one_clear_error(seeded: Assistant, encoder) -> None:
    bot = openai_bot(seeded, encoder, openai_base_url=f"http://127.0.0.1:{free_port()}/v1")
    with pytest.raises(AssistantError, match=r"cannot reach the answer server at http://127\.0\.0\.1:\d+/v1; is it running\?"):
        bot.ask("Who is Japan's chief negotiator?")


def test_a_server_that_hangs_times_out(seeded: Assistant, encoder) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept_and_stay_silent() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept_and_stay_silent, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
        bot = openai_bot(seeded, encoder, openai_base_url=url, request_timeout=1.0)
        started = time.monotonic()
        with pytest.raises(AssistantError, match="did not answer within 1 s"):
            bot.ask("Who is Japan's chief negotiator?")
        assert time.monotonic() - started < 20
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()


def test_the_cli_prints_one_line_when_the_server_is_down(seeded: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_HOME", str(seeded.settings.home))
    url = f"http://127.0.0.1:{free_port()}/v1"
    monkeypatch.setenv("ASSISTANT_OPENAI_BASE_URL", url)
    monkeypatch.setenv("ASSISTANT_OPENAI_MODEL", "smollm2")
    result = CliRunner().invoke(app, ["ask", "Who is Japan's chief negotiator?", "--llm", "openai"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [f"error: cannot reach the answer server at {url}; is it running?"]


def test_missing_settings_are_named(seeded: Assistant, encoder) -> None:
    with pytest.raises(AssistantError, match="ASSISTANT_OPENAI_BASE_URL"):
        openai_bot(seeded, encoder, openai_base_url=None).ask("Who is Japan's chief negotiator?")
