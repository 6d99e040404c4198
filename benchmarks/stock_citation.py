"""Our answer backends beside llama-index's stock CitationQueryEngine: same questions, same passages, same GGUF.

Systems (`--systems`, run in turn on each question so that load changes touch all of them alike):
  - extractive: `Assistant(Settings(llm="extractive")).ask` — the anchor the latency ratios are taken against;
  - local: `Assistant(Settings(llm="local")).ask` — our llama.cpp backend on `--model`;
  - stock: `CitationQueryEngine(retriever=OurPassages(...), llm=LlamaCPP(...))` on the same GGUF file.

Same passages: the stock engine's retriever is `OurPassages`, a BaseRetriever that returns what
`Assistant.retrieve(question)` returns (top_k of our Settings, 5 by default), best first, each a TextNode with the
passage text and its article metadata, scored by our fused score. Every latency (wall time of `ask` / `query`)
therefore includes the same hybrid retrieval. The chunk ids each system answered from are compared per question.

The stock engine is built with its constructor (its `from_args` wants a llama-index index; we have none) with
every default kept: citation_chunk_size 512 and citation_chunk_overlap 20 (our chunks are at most 256 tiktoken
tokens, so each passage stays one numbered "Source n"), response mode compact, CITATION_QA_TEMPLATE, metadata
mode NONE. `llm=` is passed explicitly; llama-index's global Settings are neither read for the LLM nor changed.
LlamaCPP gets temperature 0, max_new_tokens = our max_answer_tokens, context_window = our backend's n_ctx and
n_threads = the usable cores (what our backend gives llama.cpp). The one change from LlamaCPP's defaults: its
`completion_to_prompt` renders the prompt with the GGUF's own chat template (as LlamaCPP's documentation tells
users to for their model); left at its default it would send the bare text to an instruction-tuned model.

Refusals: ours are `Answer.refused`. The stock engine has no such flag; its answer counts as a refusal when it is
empty, or when its first sentence matches STOCK_REFUSAL (it cannot / does not answer, find, mention, provide …;
"no information"; "not mentioned / provided / specified"; "none of the sources"; "the sources are not helpful";
"insufficient / not enough information"; "I'm sorry"). The same rule is applied to our answers' text and its
agreement with `Answer.refused` printed, as a check of the rule. An answer is right when it is not a refusal
and `eval.metrics.is_correct` holds for it with the item's answers and choices.
Reader accuracy: right among the questions whose passages (the ones every system read) hold an accepted answer
within the top READER_K, by `eval.metrics.answer_rank`. `assistant eval` applies the rule to its own retrieval of
the question without its choices, so with `--with-choices` the two denominators can differ.

`--counterfactual`: every answerable item is asked again with `exclude=` leaving out each chunk that names any
part of an accepted answer (the eval's normalisation and whole-word match, as its counterfactual run does), and
every system answers from those passages. Reported: how often each refuses, how often it names a wrong choice
(items with choices), how often it states an accepted answer anyway.

Items with a chat history (follow-ups) are left out: the stock query engine takes no history.

Usage (from the repository root, one heavy job at a time):
    flock /tmp/heavy.lock .venv/bin/python benchmarks/stock_citation.py [--set eval/sets/seeds.jsonl] [--corpus seeds/]
        [--only-answerable] [--limit N | --sample N --seed S] [--systems extractive,local,stock] [--model GGUF]
        [--home DIR] [--with-choices] [--counterfactual | --counterfactual-only] [--out rows.jsonl]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from _common import REPO, WORK, machine, percentiles, table
from llama_index.core.query_engine import CitationQueryEngine
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from assistant import Answer, Assistant, Passage, Settings
from assistant.engine import Exclude
from eval.datasets import GoldItem, load_set, select
from eval.metrics import MARKER, READER_K, answer_rank, answer_sentences, is_correct, mentions_answer, names_wrong_choice
from eval.runner import answer_excluder, with_choices

SYSTEMS = ("extractive", "local", "stock")
ANCHOR = "extractive"
WARM_UP = "What do the articles report?"  # asked once per system before the timed questions (model load, caches)

# The stock engine's refusal rule, applied to the first sentence of its answer (apostrophes made straight).
STOCK_REFUSAL = re.compile(
    r"\b(?:cannot|can ?not|can't|unable to|not able to|(?:do|does|did)(?: not|n't))\s+"
    r"(?:answer|determine|find|provide|give|say|tell|know|mention|contain|include|specify|state|address|have)\b"
    r"|\bno (?:relevant |specific |such |direct )?(?:information|mention|details?|answer|data)\b"
    r"|\bnot (?:mentioned|provided|specified|stated|given|available|included|found|addressed)\b"
    r"|\bnone of the (?:provided |given |above )?sources\b"
    r"|\b(?:is|are) not (?:helpful|relevant)\b"
    r"|\b(?:insufficient|not enough) information\b"
    r"|\bI'?m sorry\b|\bempty response\b",
    re.IGNORECASE,
)


def says_it_cannot_answer(text: str) -> bool:
    """The stock engine's refusal rule: an empty answer, or a first sentence that says it cannot answer."""
    text = text.replace("’", "'").strip()
    if not text:
        return True
    sentences = answer_sentences(text)
    return bool(STOCK_REFUSAL.search(sentences[0] if sentences else text))


# --- the stock engine -------------------------------------------------------------------------------------


class OurPassages(BaseRetriever):
    """Hands llama-index the passages `Assistant.retrieve` finds, best first; `exclude` is set per question."""

    def __init__(self, bot: Assistant) -> None:
        super().__init__()
        self.bot = bot
        self.exclude: Exclude | None = None
        self.as_of: str | None = None  # the question's own date, as the eval answers it
        self.last: list[Passage] = []

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        self.last = self.bot.retrieve(query_bundle.query_str, exclude=self.exclude, as_of=self.as_of)
        return [
            NodeWithScore(node=TextNode(id_=p.chunk.id, text=p.text, metadata=p.chunk.metadata()), score=p.score)
            for p in self.last
        ]


def chat_template(model_path: Path) -> Callable[[str], str]:
    """LlamaCPP's completion_to_prompt for this GGUF: the prompt as the user's turn of the model's own chat template."""
    from llama_cpp import Llama
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    vocab = Llama(model_path=str(model_path), vocab_only=True, verbose=False)  # llama.cpp logs one harmless n_ctx line
    template = vocab.metadata.get("tokenizer.chat_template")
    if not template:
        raise SystemExit(f"{model_path} has no chat template in its metadata; use an instruction-tuned GGUF")

    def token_text(token: int) -> str:
        return vocab.detokenize([token], special=True).decode("utf-8", "replace") if token >= 0 else ""

    formatter = Jinja2ChatFormatter(template, token_text(vocab.token_eos()), token_text(vocab.token_bos()))
    return lambda completion: formatter(messages=[{"role": "user", "content": completion}]).prompt


@dataclass
class Stock:
    engine: CitationQueryEngine
    retriever: OurPassages
    llm_calls: list[int] = field(default_factory=lambda: [0])  # prompts rendered: more than one means refine steps


def stock_engine(bot: Assistant, model_path: Path, n_ctx: int, threads: int, max_tokens: int) -> Stock:
    from llama_index.llms.llama_cpp import LlamaCPP

    render = chat_template(model_path)
    calls = [0]

    def completion_to_prompt(completion: str) -> str:
        calls[0] += 1
        return render(completion)

    llm = LlamaCPP(
        model_path=str(model_path),
        temperature=0.0,
        max_new_tokens=max_tokens,
        context_window=n_ctx,
        model_kwargs={"n_threads": threads},
        completion_to_prompt=completion_to_prompt,
        verbose=False,
    )
    retriever = OurPassages(bot)
    return Stock(engine=CitationQueryEngine(retriever=retriever, llm=llm), retriever=retriever, llm_calls=calls)


# --- one question -------------------------------------------------------------------------------------------


@dataclass
class Row:
    system: str
    id: str
    question: str
    answerable: bool
    counterfactual: bool
    answer: str = ""
    refused: bool = False
    refusal_rule: bool = False  # the stock refusal rule on the answer text (for ours: a check of the rule)
    correct: bool = False  # not refused and eval.metrics.is_correct
    states_answer: bool = False  # names an accepted answer (refused or not)
    wrong_choice: bool | None = None  # names a choice that is not accepted (items with choices)
    latency: float = 0.0
    passages: list[str] = field(default_factory=list)  # chunk ids answered from, best first
    answer_rank: int | None = None  # 1-based rank by which the passages hold an accepted answer (the eval's rule)
    cited: int = 0
    llm_calls: int | None = None
    error: str | None = None


def ask(system: str, runner: Assistant | Stock, item: GoldItem, exclude: Exclude | None, choices: bool = False) -> Row:
    asked = with_choices(item) if choices and item.choices else item.question
    row = Row(system, item.id, asked, item.answerable, exclude is not None)
    try:
        if isinstance(runner, Stock):
            runner.retriever.exclude = exclude
            runner.retriever.as_of = item.date or None
            runner.llm_calls[0] = 0
            started = time.perf_counter()
            response = runner.engine.query(asked)
            row.latency = time.perf_counter() - started
            row.answer = (getattr(response, "response", None) or "").strip()
            row.refused = row.refusal_rule = says_it_cannot_answer(row.answer)
            given = runner.retriever.last
            shown = {int(n) for found in MARKER.findall(row.answer) for n in re.findall(r"\d+", found)}
            row.cited = len(shown & set(range(1, len(response.source_nodes) + 1)))
            row.llm_calls = runner.llm_calls[0]
        else:
            started = time.perf_counter()
            answer: Answer = runner.ask(asked, exclude=exclude, as_of=item.date or None)
            row.latency = time.perf_counter() - started
            row.answer, row.refused = answer.text, answer.refused
            row.refusal_rule = says_it_cannot_answer(answer.text)
            given = answer.passages
            row.cited = len(answer.citations)
    except Exception as err:  # one failed question is a row, not the end of a long run
        row.error = f"{type(err).__name__}: {err}"
        return row
    row.passages = [p.chunk.id for p in given]
    row.answer_rank = answer_rank([p.text for p in given], item.answers) if item.answers else None
    row.states_answer = bool(item.answers) and mentions_answer(row.answer, item.answers)
    row.correct = not row.refused and bool(item.answers) and is_correct(row.answer, item.answers, item.choices)
    if item.choices:
        row.wrong_choice = not row.refused and names_wrong_choice(row.answer, item.answers, item.choices)
    return row


# --- report -------------------------------------------------------------------------------------------------


def share(hits: int, total: int) -> str:
    return f"{hits}/{total} ({hits / total:.0%})" if total else "—"


def ratio(value: float | None, anchor: float | None) -> str:
    return f"{value / anchor:.2f}x" if value is not None and anchor else "—"


def latencies(rows: list[Row]) -> tuple[float, float] | tuple[None, None]:
    samples = [r.latency for r in rows if r.error is None]
    return percentiles(samples) if samples else (None, None)


def seconds(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "—"


def report(rows: list[Row], systems: Sequence[str]) -> None:
    plain = [r for r in rows if not r.counterfactual]
    anchor_p50, anchor_p95 = latencies([r for r in plain if r.system == ANCHOR])
    header = [
        "system", "answerable right", f"reader (answer in top {READER_K})", "unanswerable refused", "answerable refused",
        "errors", "p50 s", "p95 s",
    ]  # fmt: skip
    lines = [[*header, f"p50 / {ANCHOR}", f"p95 / {ANCHOR}"]]
    for system in systems:
        mine = [r for r in plain if r.system == system]
        answerable = [r for r in mine if r.answerable]
        unanswerable = [r for r in mine if not r.answerable]
        found = [r for r in answerable if r.answer_rank is not None and r.answer_rank <= READER_K]
        p50, p95 = latencies(mine)
        lines.append([
            system,
            share(sum(r.correct for r in answerable), len(answerable)),
            share(sum(r.correct for r in found), len(found)),
            share(sum(r.refused for r in unanswerable), len(unanswerable)),
            share(sum(r.refused for r in answerable), len(answerable)),
            str(sum(r.error is not None for r in mine)),
            seconds(p50),
            seconds(p95),
            ratio(p50, anchor_p50),
            ratio(p95, anchor_p95),
        ])  # fmt: skip
    if plain:  # none with --counterfactual-only
        print(table(lines))
        if anchor_p50 is None:
            print(f"(no latency ratios: the anchor `{ANCHOR}` was not among --systems)")

    ours = [r for r in rows if r.system != "stock" and r.error is None]
    if ours:
        agree = sum(r.refusal_rule == r.refused for r in ours)
        print(f"stock refusal rule on our answers' text vs Answer.refused: agrees on {share(agree, len(ours))}")
    stock = [r for r in rows if r.system == "stock" and r.llm_calls is not None]
    if stock:
        refined = sum((r.llm_calls or 0) > 1 for r in stock)
        print(f"stock engine: one LLM call per question on {share(len(stock) - refined, len(stock))} (more: refine steps)")
    by_question: dict[tuple[str, bool], set[tuple[str, ...]]] = {}
    for r in rows:
        if r.error is None:
            by_question.setdefault((r.id, r.counterfactual), set()).add(tuple(r.passages))
    same = sum(len(v) == 1 for v in by_question.values())
    print(f"identical passages (chunk ids, in order) for every system: {share(same, len(by_question))} asks")

    counter = [r for r in rows if r.counterfactual]
    if not counter:
        return
    print("\nCounterfactual: answerable items asked without every chunk that names an accepted answer")
    lines = [["system", "asked", "refused", "names a wrong choice", "states an accepted answer", "errors", "p50 s", "p95 s"]]
    for system in systems:
        mine = [r for r in counter if r.system == system]
        ok = [r for r in mine if r.error is None]
        with_choices = [r for r in ok if r.wrong_choice is not None]
        p50, p95 = latencies(mine)
        lines.append([
            system,
            str(len(mine)),
            share(sum(r.refused for r in ok), len(ok)),
            share(sum(bool(r.wrong_choice) for r in with_choices), len(with_choices)),
            share(sum(r.states_answer and not r.refused for r in ok), len(ok)),
            str(len(mine) - len(ok)),
            seconds(p50),
            seconds(p95),
        ])  # fmt: skip
    print(table(lines))
    print("(names a wrong choice: of the items with choices, answers that were not refusals and named a choice that is")
    print(" not accepted; — when no item has choices)")


# --- main ---------------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", type=Path, default=REPO / "eval" / "sets" / "seeds.jsonl", help="gold set or RealTime QA")
    parser.add_argument("--corpus", type=Path, nargs="+", default=[REPO / "seeds"], help="files/folders to ingest")
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions (after --sample)")
    parser.add_argument("--sample", type=int, default=None, help="a seeded random sample of N questions")
    parser.add_argument("--only-answerable", action="store_true", help="skip unanswerable items (before --sample)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--systems", default=",".join(SYSTEMS), help=f"comma-separated, of {', '.join(SYSTEMS)}")
    parser.add_argument("--model", type=Path, default=None, help="a GGUF; default: the packaged Qwen2.5-Coder-1.5B")
    parser.add_argument("--home", type=Path, default=None, help="data directory of the index (default: a temp dir)")
    parser.add_argument("--with-choices", action="store_true", help="put an item's choices into the question asked")
    parser.add_argument("--counterfactual", action="store_true", help="also ask answerable items without their answer")
    parser.add_argument(
        "--counterfactual-only", action="store_true", help="ask only that pass (the items as they are were asked before)"
    )
    parser.add_argument("--out", type=Path, default=None, help="per-question rows as JSONL")
    args = parser.parse_args()
    args.systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = sorted(set(args.systems) - set(SYSTEMS))
    if unknown or not args.systems:
        parser.error(f"--systems takes {', '.join(SYSTEMS)}; not {', '.join(unknown) or 'nothing'}")
    return args


def model_path(given: Path | None) -> Path:
    if given is not None:
        return given.resolve()
    from assistant.backends.model_files import DEFAULT_MODEL, ensure_model

    return ensure_model(DEFAULT_MODEL, REPO / ".assistant" / "models")


def main() -> None:
    args = parse_args()
    systems: list[str] = args.systems
    print(machine())
    loaded = load_set(args.set)
    without_history = [item for item in loaded if not item.history]
    items = select(without_history, only_answerable=args.only_answerable, sample=args.sample, seed=args.seed, limit=args.limit)
    skipped = sum(1 for item in loaded if item.history)
    with ExitStack() as stack:
        WORK.mkdir(parents=True, exist_ok=True)
        home = args.home or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="stock-citation-", dir=WORK)))
        gguf = model_path(args.model) if {"local", "stock"} & set(systems) else None
        common: dict[str, Any] = {"home": home, "seeds_dir": home / "no-seeds", "encoder_cache": WORK / "models"}
        base = Assistant(Settings(llm="extractive", local_model_path=gguf, **common))
        ingested = base.ingest(args.corpus)
        print(
            f"index {home}: {ingested.added + ingested.updated} articles added or updated, {ingested.unchanged} unchanged, "
            f"{ingested.chunks} chunks embedded in {ingested.seconds:.1f} s"
        )
        runners: dict[str, Assistant | Stock] = {}
        warm: dict[str, float] = {}
        n_ctx = 0
        for system in systems:
            started = time.perf_counter()
            if system == "extractive":
                runners[system] = base
            elif system == "local":
                runners[system] = Assistant(Settings(llm="local", local_model_path=gguf, **common), encoder=base.encoder)
            else:
                assert gguf is not None
                s = base.settings
                n_ctx = s.context_tokens + s.max_answer_tokens + s.prompt_overhead_tokens  # as our generated backends size it
                from assistant.backends.local import llama_threads

                threads = llama_threads()  # as our local backend gives llama.cpp
                runners[system] = stock_engine(base, gguf, n_ctx, threads, s.max_answer_tokens)
                print(
                    f"stock: CitationQueryEngine(citation_chunk_size=512, citation_chunk_overlap=20, compact), "
                    f"LlamaCPP(temperature=0, max_new_tokens={s.max_answer_tokens}, context_window={n_ctx}, "
                    f"n_threads={threads}, chat template of {gguf.name}), top_k {s.top_k} passages from Assistant.retrieve"
                )
            warm_item = GoldItem(id="warm-up", question=WARM_UP, answers=())
            warmed = ask(system, runners[system], warm_item, None)
            warm[system] = time.perf_counter() - started
            if warmed.error:
                print(f"warm-up of {system} failed (its rows will be errors if it keeps failing): {warmed.error}")
        _check_context_size(runners, n_ctx)
        print("first call (load and warm-up, not in the figures): " + ", ".join(f"{k} {v:.1f} s" for k, v in warm.items()))
        model = gguf.name if gguf else "none"
        print(f"{len(items)} questions from {args.set} ({skipped} follow-ups with a history left out); model {model}")

        out: TextIO | None = stack.enter_context(args.out.open("w", encoding="utf-8")) if args.out else None
        rows: list[Row] = []
        passes: list[bool] = [True] if args.counterfactual_only else [False, True] if args.counterfactual else [False]
        for counterfactual in passes:
            todo = [item for item in items if item.answerable and item.answers] if counterfactual else items
            for number, item in enumerate(todo, start=1):
                exclude = answer_excluder(item) if counterfactual else None
                for system in systems:
                    row = ask(system, runners[system], item, exclude, args.with_choices)
                    rows.append(row)
                    if out:
                        out.write(json.dumps(row.__dict__, ensure_ascii=False) + "\n")
                        out.flush()
                    status = "error" if row.error else "refused" if row.refused else "right" if row.correct else "wrong"
                    shown = (row.error or row.answer).replace("\n", " ")
                    tag = " cf" if counterfactual else ""
                    print(f"[{number}/{len(todo)}{tag}] {item.id} {system:<10} {status:<7} {row.latency:6.2f} s  {shown[:110]}")

        load = os.getloadavg()
        print(f"\nload average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1 / 5 / 15 min) at the end of the run")
        report(rows, systems)


def _check_context_size(runners: dict[str, Assistant | Stock], n_ctx: int) -> None:
    """Say so when our local backend's context size is not the one the stock engine was given (the formula moved)."""
    local, stock = runners.get("local"), runners.get("stock")
    if not isinstance(local, Assistant) or stock is None:
        return
    try:
        ours = getattr(local.backend, "n_ctx", None)
    except Exception as err:  # a backend that cannot be built has already failed its warm-up row
        print(f"(could not read our local backend's n_ctx: {type(err).__name__}: {err})")
        return
    if ours is not None and ours != n_ctx:
        print(f"WARNING: our local backend's n_ctx is {ours}, the stock engine's {n_ctx}")


if __name__ == "__main__":
    main()
