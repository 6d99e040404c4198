"""Load: N concurrent clients through gradio_client against a real `assistant chat`, optionally while an upload indexes.

    python benchmarks/load.py [--clients 20] [--backend extractive|local] [--with-ingest 100]

The server is a subprocess on 127.0.0.1 with its own temporary data directory, indexed over seeds/ beforehand. The
anchor is measured in the same run: every question asked alone, one at a time. Then N clients (one gradio_client
each) ask at once, cycling through the answerable questions of eval/sets/seeds.jsonl. An answer is "mixed" when it
is not the answer its own question got alone (its text and its passages' chunk ids), i.e. belongs to another request.
With the local model, an answer whose passages are its own but whose words differ is counted apart ("reworded"), not
as mixed: llama.cpp reuses the cached prompt prefix of the previous request, which can change a greedy token.

With --with-ingest N, N RealTime QA articles are uploaded as one .jsonl file through the server's `/upload` endpoint
(the same handler and queue as the Articles tab's upload box: what a user does) while the clients keep asking until
the upload has finished; question latency is reported for the requests that ran while it was indexing.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import REPO, machine, write_slice

SEEDS = REPO / "seeds"
QUESTION_SET = REPO / "eval" / "sets" / "seeds.jsonl"
START_SECONDS = 300


@dataclass
class Result:
    question: str
    started: float
    seconds: float
    answer: dict[str, Any] | None = None
    error: str = ""


@dataclass
class Upload:
    started: float = 0.0
    finished: float = 0.0
    status: str = ""
    error: str = ""
    done: threading.Event = field(default_factory=threading.Event)


def answerable_questions() -> list[str]:
    """Questions the seeds answer on their own (no follow-ups, which need the chat's history)."""
    items = [json.loads(line) for line in QUESTION_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [item["question"] for item in items if item["answers"] and item["category"] != "follow-up"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_env(home: Path, backend: str) -> dict[str, str]:
    """PYTHONPATH first: the server runs this checkout's code, whatever is installed."""
    return os.environ | {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")])),
        "ASSISTANT_HOME": str(home),
        "ASSISTANT_SEEDS_DIR": str(SEEDS),
        "ASSISTANT_LLM": backend,
        "HF_HUB_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }


def start_server(home: Path, backend: str, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    env = server_env(home, backend)
    subprocess.run([sys.executable, "-m", "assistant", "ingest", str(SEEDS)], env=env, check=True, capture_output=True)
    port = free_port()
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", "chat", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return process, url
        except urllib.error.HTTPError:
            return process, url
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise SystemExit(f"`assistant chat` did not come up:\n{log_path.read_text()[-2000:]}") from None
            time.sleep(0.5)


def client(url: str) -> Any:
    from gradio_client import Client

    # Plain http on 127.0.0.1: no certificate to check. With ssl_verify on, gradio_client loads the CA bundle for
    # every request (0.11 s of CPU each, measured), which the 20 clients would take from the server's 2 cores.
    return Client(url, verbose=False, ssl_verify=not url.startswith("http://"))


def ask(api: Any, question: str) -> Result:
    started = time.perf_counter()
    try:
        answer = api.predict(question, api_name="/ask")
        return Result(question, started, time.perf_counter() - started, answer=answer)
    except Exception as err:  # counted and shown, not raised: a load run reports its errors
        return Result(question, started, time.perf_counter() - started, error=str(err).splitlines()[0][:200])


def signature(answer: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    """What must match the question's answer alone: the text and the passages it was drawn from."""
    return answer["text"], tuple(p["chunk_id"] for p in answer["passages"])


def upload(url: str, path: Path, state: Upload) -> None:
    from gradio_client import handle_file

    api = client(url)
    state.started = time.perf_counter()
    try:
        outputs = api.predict([handle_file(str(path))], api_name="/upload")
        state.status = str(outputs[-1]).splitlines()[0]
    except Exception as err:
        state.error = str(err).splitlines()[0][:200]
    state.finished = time.perf_counter()
    state.done.set()


def run_clients(apis: list[Any], questions: list[str], upload_state: Upload | None) -> list[Result]:
    """Each client asks its question; with an upload running, it keeps asking until the upload has finished."""
    results: list[Result] = []
    lock = threading.Lock()
    gate = threading.Barrier(len(apis))

    def work(n: int) -> None:
        gate.wait()
        turn = 0
        while True:
            result = ask(apis[n], questions[(n + turn) % len(questions)])
            with lock:
                results.append(result)
            turn += 1
            if upload_state is None or upload_state.done.is_set():
                return

    threads = [threading.Thread(target=work, args=(n,)) for n in range(len(apis))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else float("nan")


def summary(
    label: str,
    results: list[Result],
    alone: dict[str, tuple[str, tuple[str, ...]]],
    *,
    index_grows: bool = False,
    generated: bool = False,
) -> tuple[float, float]:
    """Latency, errors and mixed answers. While an upload adds articles an answer may rightly change (new passages):
    then "mixed" is an answer to another question, and answers that differ from the anchor are counted apart. A
    generated answer (local model) may be reworded on its own passages: counted apart too."""
    ok = [r for r in results if r.answer is not None]
    errors = [r for r in results if r.answer is None]
    other = [r for r in ok if r.answer is not None and r.answer["question"] != r.question]
    changed = [r for r in ok if r.answer is not None and signature(r.answer) != alone[r.question]]
    reworded = [r for r in changed if generated and r.answer is not None and signature(r.answer)[1] == alone[r.question][1]]
    mixed = other if index_grows else [r for r in ok if r in other or (r in changed and r not in reworded)]
    times = [r.seconds for r in ok]
    p50, p95 = (statistics.median(times) if times else float("nan")), percentile(times, 0.95)
    line = f"{label}: {len(results)} requests, p50 {p50:.2f} s, p95 {p95:.2f} s, errors {len(errors)}, mixed {len(mixed)}"
    if generated and not index_grows:
        line += f", reworded on their own passages {len(reworded)}"
    print(line + (f", differing from the anchor {len(changed)}" if index_grows else ""))
    for r in reworded[:3]:
        print(
            f"  reworded: {r.question!r} got {r.answer['text'][:80] if r.answer else ''!r}, alone {alone[r.question][0][:80]!r}"
        )
    for r in errors[:3]:
        print(f"  error: {r.question!r}: {r.error}")
    for r in mixed[:3]:
        print(f"  mixed: {r.question!r} got {r.answer['text'][:80] if r.answer else ''!r}")
    return p50, p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--backend", choices=["extractive", "local"], default="extractive")
    parser.add_argument("--with-ingest", type=int, default=0, metavar="N", help="upload N articles while the clients ask")
    args = parser.parse_args()
    if args.clients < 1 or args.with_ingest < 0:
        parser.error("--clients must be at least 1 and --with-ingest at least 0")
    questions = answerable_questions()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="load-") as tmp:
        work = Path(tmp)
        process, url = start_server(work / "home", args.backend, work / "server.log")
        try:
            apis = [client(url) for _ in range(args.clients)]
            ask(apis[0], questions[0])  # warm-up: the first question loads the encoder's session and the keyword index
            alone_results = [ask(apis[0], q) for q in questions[: args.clients]]  # the anchor: one at a time
            failed = [r for r in alone_results if r.answer is None]
            if failed:
                raise SystemExit(f"asked alone, {len(failed)} questions failed: {failed[0].error}")
            alone = {r.question: signature(r.answer) for r in alone_results if r.answer is not None}
            asked = list(alone)
            base50, base95 = summary("alone, one at a time (anchor)", alone_results, alone)
            load_before = os.getloadavg()[0]
            results = run_clients(apis, asked, None)
            generated = args.backend == "local"
            p50, p95 = summary(f"{args.clients} concurrent clients, {args.backend}", results, alone, generated=generated)
            print(f"  ratio to anchor: p50 {p50 / base50:.1f}x, p95 {p95 / base95:.1f}x; load average {load_before:.2f} before, "
                  f"{os.getloadavg()[0]:.2f} after")  # fmt: skip
            if args.with_ingest:
                articles = write_slice(args.with_ingest, work / f"upload-{args.with_ingest}.jsonl")
                state = Upload()
                uploader = threading.Thread(target=upload, args=(url, articles, state))
                uploader.start()
                time.sleep(0.5)  # the upload is in the server's indexing queue before the questions arrive
                during = run_clients(apis, asked, state)
                uploader.join()
                inside = [r for r in during if r.started + r.seconds <= state.finished]
                summary(
                    f"during an upload of {args.with_ingest} articles (done before it finished)", inside, alone, index_grows=True
                )
                summary("all requests of that phase", during, alone, index_grows=True)
                print(f"  upload: {state.finished - state.started:.1f} s, {state.error or state.status}; "
                      f"load average {os.getloadavg()[0]:.2f} after")  # fmt: skip
        finally:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
