"""Latency of one answer through each way in: /v1 (openai client, whole and streamed), /mcp (mcp client) and /ask
(gradio_client), against one real `assistant chat` on 127.0.0.1 (its own temporary data directory, no login).

    python benchmarks/api_latency.py [--repeat 10] [--backend extractive]

The anchor is /ask, the chat's own API. Each way is warmed up once, then asked the same question --repeat times;
median and worst seconds are printed, and each median's ratio to /ask's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
QUESTION = "Who is Japan's chief negotiator?"


def timed(call: Callable[[], Any], repeat: int) -> list[float]:
    call()  # warm-up
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return seconds


def mcp_timings(url: str, repeat: int) -> list[float]:
    from mcp import Client

    seconds: list[float] = []

    async def session() -> None:
        async with Client(f"{url}mcp") as client:
            await client.call_tool("ask_news", {"question": QUESTION})
            for _ in range(repeat):
                started = time.perf_counter()
                await client.call_tool("ask_news", {"question": QUESTION})
                seconds.append(time.perf_counter() - started)

    anyio.run(session)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--backend", default="extractive")
    args = parser.parse_args()

    from gradio_client import Client as GradioClient
    from openai import OpenAI

    from tests.servers import chat_server

    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        env = os.environ | {"ASSISTANT_HOME": str(home / "data"), "ASSISTANT_LLM": args.backend, "PYTHONPATH": str(REPO)}
        with chat_server(home, env) as url:
            openai = OpenAI(base_url=f"{url}v1", api_key="unused")
            gradio = GradioClient(url, verbose=False)
            asked: list[Any] = [{"role": "user", "content": QUESTION}]
            results = {
                "/ask (gradio_client)": timed(lambda: gradio.predict(question=QUESTION, api_name="/ask"), args.repeat),
                "/v1 whole": timed(lambda: openai.chat.completions.create(model="news-assistant", messages=asked), args.repeat),
                "/v1 streamed": timed(
                    lambda: list(openai.chat.completions.create(model="news-assistant", messages=asked, stream=True)),
                    args.repeat,
                ),
                "/mcp ask_news": mcp_timings(url, args.repeat),
            }
    anchor = statistics.median(results["/ask (gradio_client)"])
    print(f"{'way in':<22} {'median s':>9} {'worst s':>8} {'vs /ask':>8}")
    for name, seconds in results.items():
        median = statistics.median(seconds)
        print(f"{name:<22} {median:>9.3f} {max(seconds):>8.3f} {median / anchor:>8.2f}")


if __name__ == "__main__":
    main()
