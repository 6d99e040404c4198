"""Speed of generated answers: our `local` backend beside llama.cpp called directly, same model, same prompts.

Prints load time, time to first token and generation tokens/s for both, and our/direct ratios. Three prompts:
a first question (nothing cached), a second question (the system prompt is cached for both), and the second
question again after a follow-up rewrite used another system prompt (ours loads the saved prefix state back;
plain llama.cpp keeps only the most recent prompt's tokens).

Usage: flock /tmp/heavy.lock .venv/bin/python benchmarks/generate.py [--model PATH] [--max-tokens 64]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from assistant import Assistant, Settings
from assistant.backends.generated import answer_prompt
from assistant.backends.local import SEED, LocalBackend, llama_threads
from assistant.backends.model_files import DEFAULT_MODEL, ensure_model
from assistant.prompts import ANSWER_SYSTEM, CONDENSE_SYSTEM, CONDENSE_USER

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = ("Who is Japan's chief negotiator?", "Are China and the U.S. negotiating on trade?")
HISTORY = "User: Who is Japan's chief negotiator?\nAssistant: Ryosei Akazawa."
FOLLOW_UP = CONDENSE_USER.format(history=HISTORY, question="When does he want a deal?")


def timed_stream(chunks: Any, started: float) -> tuple[float, float, int]:
    """(time to first token, generation tokens/s after it, tokens) of a stream of text pieces."""
    first: float | None = None
    count = 0
    for piece in chunks:
        if not piece:
            continue
        count += 1
        if first is None:
            first = time.perf_counter()
    end = time.perf_counter()
    first = first or end
    return first - started, (count - 1) / max(end - first, 1e-9), count


def direct_chat(llm: Any, system: str, user: str, max_tokens: int) -> Any:
    stream = llm.create_chat_completion(
        [{"role": "system", "content": system}, {"role": "user", "content": user}],
        max_tokens=max_tokens,
        temperature=0.0,
        repeat_penalty=1.0,
        seed=SEED,
        stream=True,
    )
    return (c["choices"][0]["delta"].get("content", "") for c in stream)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=None, help="a GGUF; default: the packaged Qwen2.5-Coder-1.5B")
    parser.add_argument("--max-tokens", type=int, default=64)
    args = parser.parse_args()
    from llama_cpp import Llama

    home = Path(tempfile.mkdtemp(prefix="bench-generate-"))
    settings = Settings(home=home, seeds_dir=REPO / "seeds", llm="local", local_model_path=args.model)
    path = args.model or ensure_model(DEFAULT_MODEL, REPO / ".assistant" / "models")
    settings = settings.model_copy(update={"local_model_path": path})
    bot = Assistant(settings)
    bot.ensure_index()
    ours = bot.backend
    assert isinstance(ours, LocalBackend)

    started = time.perf_counter()
    direct = Llama(model_path=str(path), n_ctx=ours.n_ctx, n_threads=llama_threads(), seed=SEED, verbose=False)
    direct_load = time.perf_counter() - started
    started = time.perf_counter()
    ours.loaded  # noqa: B018  (loads it)
    our_load = time.perf_counter() - started

    prompts = []
    for question in QUESTIONS:
        passages = bot.retrieve(question)
        prompts.append(answer_prompt(question, ours.selector.select(bot.question(question), passages)))

    rows = [("load (s)", direct_load, our_load)]
    runs = [("1st question", prompts[0], False), ("2nd question", prompts[1], False), ("2nd after follow-up", prompts[1], True)]
    for label, user, after_follow_up in runs:
        results = []
        for name in ("direct", "ours"):
            if after_follow_up:  # a follow-up rewrite in between replaces the cached system prompt
                if name == "direct":
                    "".join(direct_chat(direct, CONDENSE_SYSTEM, FOLLOW_UP, 16))
                else:
                    "".join(p for p in ours._chat(CONDENSE_SYSTEM, FOLLOW_UP, 16) if isinstance(p, str))
            started = time.perf_counter()
            if name == "direct":
                results.append(timed_stream(direct_chat(direct, ANSWER_SYSTEM, user, args.max_tokens), started))
            else:
                pieces = (p for p in ours._chat(ANSWER_SYSTEM, user, args.max_tokens) if isinstance(p, str))
                results.append(timed_stream(pieces, started))
        (d_ttft, d_rate, _), (o_ttft, o_rate, _) = results
        rows.append((f"{label}: first token (s)", d_ttft, o_ttft))
        rows.append((f"{label}: tokens/s", d_rate, o_rate))

    print(f"model {path.name}, n_ctx {ours.n_ctx}, prompt tokens {[ours.count_tokens(ANSWER_SYSTEM + p) for p in prompts]}")
    print(f"{'measure':<40} {'llama.cpp direct':>17} {'ours':>10} {'ours/direct':>12}")
    for label, d, o in rows:
        print(f"{label:<40} {d:>17.2f} {o:>10.2f} {o / d if d else float('nan'):>12.2f}")


if __name__ == "__main__":
    main()
