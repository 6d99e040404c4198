"""Concurrent readers against a real `assistant chat` (subprocess, 127.0.0.1) through gradio_client.

Questions run side by side, each getting its own answer, and a question asked while an upload is indexing is
answered before the upload finishes (before, every request shared one queue slot and waited behind the upload).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, SEEDS
from tests.servers import chat_server

pytestmark = pytest.mark.slow

QUESTIONS = [
    "Who is Japan's chief negotiator?",
    "Who led the U.S. delegation at the second meeting with Japan's negotiator?",
]
UPLOAD_ARTICLES = 60  # indexing takes ~9 s here (20 took 3.4 s once ingest used both cores: too close to call)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("concurrent-home")
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")])),  # this checkout
        "ASSISTANT_HOME": str(home / "data"),
        "ASSISTANT_SEEDS_DIR": str(SEEDS),
        "ASSISTANT_LLM": "extractive",
        "ASSISTANT_CONCURRENCY": "4",
        "HF_HUB_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    with chat_server(home, env) as url:
        yield url


def ask(url: str, question: str) -> dict[str, Any]:
    from gradio_client import Client

    answer = Client(url, verbose=False).predict(question, api_name="/ask")
    assert isinstance(answer, dict)
    return answer


def test_concurrent_questions_each_get_their_own_answer(server: str) -> None:
    alone = {q: ask(server, q) for q in QUESTIONS}  # the first also indexes seeds/
    assert alone[QUESTIONS[0]]["text"] != alone[QUESTIONS[1]]["text"]  # else a mix-up could not show
    asked = [QUESTIONS[n % 2] for n in range(4)]
    with ThreadPoolExecutor(len(asked)) as pool:
        answers = list(pool.map(lambda q: ask(server, q), asked))
    for question, answer in zip(asked, answers, strict=True):
        assert answer["question"] == question
        assert answer["text"] == alone[question]["text"]
        assert [p["chunk_id"] for p in answer["passages"]] == [p["chunk_id"] for p in alone[question]["passages"]]
    assert "Akazawa" in answers[0]["text"]


def test_a_question_is_answered_while_an_upload_is_still_indexing(server: str, tmp_path: Path) -> None:
    from gradio_client import Client, handle_file

    articles = tmp_path / "more.jsonl"
    with articles.open("w", encoding="utf-8") as out:
        for n in range(UPLOAD_ARTICLES):  # distinct, ordinary articles; sentences vary so chunks differ
            body = " ".join(
                f"Report {n} sentence {i} on the harbour works of town {n} and its budget of {i} million." for i in range(60)
            )
            record = {"id": f"load-{n}", "title": f"Harbour works {n}", "text": body, "source": "Test", "published": "2024-01-02"}
            out.write(json.dumps(record) + "\n")
    ask(server, QUESTIONS[0])  # warm: the question below measures waiting, not loading
    finished: dict[str, float] = {}
    outputs: list[Any] = []

    def upload() -> None:
        outputs.extend(Client(server, verbose=False).predict([handle_file(str(articles))], api_name="/upload"))
        finished["upload"] = time.monotonic()

    uploader = threading.Thread(target=upload)
    uploader.start()
    time.sleep(2.0)  # the upload is indexing by now
    assert uploader.is_alive(), "the upload finished too soon to show anything; upload more articles"
    answer = ask(server, QUESTIONS[0])
    finished["question"] = time.monotonic()
    uploader.join(timeout=120)
    assert not uploader.is_alive()
    assert f"added {UPLOAD_ARTICLES}," in str(outputs[-1])
    assert answer["question"] == QUESTIONS[0] and "Akazawa" in answer["text"]
    assert finished["question"] < finished["upload"] - 1.0, "the question waited for the upload"
