"""Run a question set through the public API: results.jsonl, metrics.json, report.md and plots in one folder.

Per question: the answer (`Assistant.ask`, or `chat` when the item has a history) and, for the retrieval
baselines, the top passages of BM25 only, dense only and hybrid (`Assistant.retrieve(mode=...)`) for the
question the answer was drawn for (the rewritten follow-up, when chat rewrote it). With `counterfactual`, each
answerable item is asked once more with every passage that mentions its answer left out of retrieval
(`exclude=`): a counterfactual unanswerable, which the assistant should refuse.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from assistant import Answer, Assistant, Passage, Settings
from assistant.choices import named_choices, normalized
from assistant.engine import Exclude
from assistant.text import date_forms
from eval.changes import OutcomeComparison, compare_outcomes
from eval.datasets import GoldItem, load_set, select
from eval.errors import EvalError
from eval.metrics import RECALL_KS, aggregate, answer_rank, mentions_answer, primary_metric, source_rank
from eval.results import ResultsFolder
from eval.scoring import score_record
from eval.workspace import corpus_digest, corpus_files, eval_settings, is_ingested, mark_ingested

if TYPE_CHECKING:
    from index.embeddings import Encoder
    from index.types import ArticleMeta, StoredChunk

# --as-of: each question as of its own date (RealTime QA's `date`; today for a question without one), or today
QUESTION_DATE = "question"
TODAY = "today"
# API retrieval mode → the prefix of its metrics
MODES: dict[Literal["keyword", "dense", "hybrid"], str] = {"keyword": "bm25", "dense": "dense", "hybrid": "hybrid"}
RETRIEVAL_DEPTH = 10  # passages per baseline retrieval: recall@10 and MRR@10 need ten
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class EvalOptions:
    set_path: Path
    corpus: tuple[Path, ...] = ()  # empty: the seeds folder of the settings
    out: Path | None = None
    backend: str | None = None  # extractive, local, openai or auto; None: ASSISTANT_LLM
    top_k: int | None = None  # passages per answer; None: ASSISTANT_TOP_K
    limit: int | None = None
    sample: int | None = None
    seed: int = 0
    only_answerable: bool = False
    retrieval_only: bool = False
    with_choices: bool = False  # hand an item's choices to the assistant inside the question
    counterfactual: bool = False  # ask answerable items again without the passages that hold their answer
    as_of: str = QUESTION_DATE  # QUESTION_DATE, TODAY, or YYYY-MM-DD for every question
    index_dir: Path | None = None
    compare: Path | None = None


@dataclass
class EvalOutcome:
    out: Path
    metrics: dict[str, float | None]
    primary: str
    items: int
    skipped: int  # finished in an earlier run with the same --out
    compare: list[tuple[str, float | None, float | None]] = field(default_factory=list)
    outcomes: OutcomeComparison | None = None  # questions whose outcome differs from the other run's (runs that answer)


def run_eval(
    options: EvalOptions,
    *,
    encoder: Encoder | None = None,
    progress: Progress | None = None,
    ingest_progress: Progress | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> EvalOutcome:
    if options.counterfactual and options.retrieval_only:
        raise EvalError("--counterfactual asks questions; it cannot be combined with --retrieval-only")
    items = select(
        load_set(options.set_path),
        only_answerable=options.only_answerable,
        sample=options.sample,
        seed=options.seed,
        limit=options.limit,
    )
    check_as_of(options.as_of, items)
    overrides: dict[str, Any] = {"llm": options.backend, "top_k": options.top_k}
    base = Settings(**{k: v for k, v in overrides.items() if v is not None})
    corpus = [Path(p) for p in options.corpus] or [base.seeds_dir]
    corpus_files(corpus)  # a missing corpus fails here, before anything is built
    if options.compare is not None and not (options.compare / "metrics.json").is_file():
        raise EvalError(f"--compare {options.compare}: no metrics.json in it (run an eval with --out {options.compare} first)")
    digest = corpus_digest(corpus, base)
    index_dir = options.index_dir or base.home / "eval" / digest[:16]
    if index_dir.resolve() == base.home.resolve():
        raise EvalError(f"--index-dir {index_dir} is your own index (ASSISTANT_HOME); pick another folder")
    settings = eval_settings(base, index_dir)
    bot = Assistant(settings, encoder=encoder)
    # The index's own fingerprint (encoder name and version, chunker) joins the corpus hash: a new encoder
    # builds new collections in the same folder, which must be filled rather than taken as done.
    built = f"{digest}:{bot.fingerprint.digest}"
    if not is_ingested(index_dir, built):
        say(f"indexing {', '.join(map(str, corpus))} into {index_dir}")
        report = bot.ingest(corpus, prune=True, progress=ingest_progress)
        say(f"indexed {report.added + report.updated} articles ({report.chunks} chunks) in {report.seconds:.1f} s")
        mark_ingested(index_dir, built, corpus)
    out = options.out or Path("eval-out") / f"{options.set_path.name.split('.')[0]}-{settings.llm}"
    folder = ResultsFolder(out)
    run_key = _run_key(options, settings, digest)
    done = folder.open(run_key)
    todo = [item for item in items if item.id not in done]
    if done and len(todo) < len(items):
        say(f"{len(items) - len(todo)} questions already finished in {out}; running the other {len(todo)}")
    for number, item in enumerate(todo, start=1):
        record = run_item(bot, item, options)
        folder.append(record)
        done[item.id] = record
        if progress:
            progress(number, len(todo))
    return _finish(options, items, done, out, len(items) - len(todo), corpus, index_dir, run_key["set_sha256"])


def check_as_of(as_of: str, items: Sequence[GoldItem]) -> None:
    """--as-of is `question`, `today` or a date; in `question` mode each item's own date must be a date too."""
    if as_of == QUESTION_DATE:
        checks = [(item.date, f"question {item.id!r}: date") for item in items if item.date]
    else:
        checks = [] if as_of == TODAY else [(as_of, "--as-of")]
    for value, what in checks:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise EvalError(f"{what} {value!r} is not a date like 2025-01-31 (--as-of: question, today or a date)") from None


def item_as_of(item: GoldItem, options: EvalOptions) -> str | None:
    """The day the item is answered as of: its own date (None, i.e. today, when it has none), today, or the option's."""
    if options.as_of == QUESTION_DATE:
        return item.date or None
    return None if options.as_of == TODAY else options.as_of


def run_item(bot: Assistant, item: GoldItem, options: EvalOptions) -> dict[str, Any]:
    """Ask one question and retrieve for it in each mode; the record saved to results.jsonl."""
    asked = with_choices(item) if options.with_choices and item.choices else item.question
    as_of = item_as_of(item, options)
    answer: Answer | None = None
    if not options.retrieval_only:
        answer = ask_item(bot, asked, item.history, as_of=as_of)
    query = (answer.standalone_question if answer else None) or item.question
    retrieval = {}
    for mode, name in MODES.items():
        started = time.perf_counter()
        passages = bot.retrieve(query, k=max(RETRIEVAL_DEPTH, bot.settings.top_k), mode=mode, as_of=as_of)
        retrieval[name] = {
            "seconds": time.perf_counter() - started,
            "answer_rank": answer_rank([p.text for p in passages], item.answers) if item.answers else None,
            "source_rank": source_rank([_names(p) for p in passages], item.sources) if item.sources else None,
            "articles": [p.meta.id for p in passages],
        }
    record: dict[str, Any] = {
        "id": item.id,
        "question": item.question,
        "asked": asked,
        "query": query,
        "category": item.category,
        "answerable": item.answerable,
        "answers": [list(a) for a in item.answers],
        "retrieval": retrieval,
        "answer": answer.to_dict() if answer else None,
        "answer_tokens": count_tokens(answer.text) if answer and not answer.refused else 0,
    }
    if options.counterfactual:  # None for items without a gold answer to take away
        applies = item.answerable and bool(item.answers)
        counterfactual = ask_item(bot, asked, item.history, answer_excluder(item), as_of=as_of) if applies else None
        record["counterfactual"] = counterfactual.to_dict() if counterfactual else None
    return record


def ask_item(
    bot: Assistant,
    asked: str,
    history: Sequence[tuple[str, str]],
    exclude: Exclude | None = None,
    *,
    as_of: str | None = None,
) -> Answer:
    """`ask`, or `chat` when the item has a history; with `exclude`, those chunks are left out of retrieval."""
    if history:
        return bot.chat(asked, list(history), exclude=exclude, as_of=as_of)
    return bot.ask(asked, exclude=exclude, as_of=as_of)


def answer_excluder(item: GoldItem) -> Exclude:
    """Leaves out every chunk that holds any part of an accepted answer (a chunk with one half of a two-part
    answer too: left in, it and another chunk together would answer the question), in its text or in the metadata
    the assistant answers from: "when was the article published?" is answered from the article's date, so its
    chunks go too, or the question is still answerable. A multiple-choice item's chunks that name its right choice
    as the assistant reads choices go too: "Trump unveiled $399 sneakers" answers "Which public figure launched a
    new sneaker line?" though the choice reads "Donald Trump"."""
    right = right_choice(item)

    def excluded(chunk: StoredChunk) -> bool:
        text = f"{chunk.text}\n{stated_metadata(chunk.meta)}"
        return mentions_answer(text, item.answers) or (right is not None and right in named_choices(text, item.choices))

    return excluded


def right_choice(item: GoldItem) -> int | None:
    """The index of the item's choice that is an accepted answer (None without one)."""
    answers = {normalized(" ".join(parts)) for parts in item.answers}
    return next((i for i, choice in enumerate(item.choices) if normalized(choice) in answers), None)


def stated_metadata(meta: ArticleMeta) -> str:
    """The byline, outlet and published date (as people write it) that a "who wrote / which outlet / when" answer
    states."""
    return "\n".join((meta.author, meta.source, meta.published, *date_forms(meta.published)))


def with_choices(item: GoldItem) -> str:
    return f"{item.question} Choose one of: {'; '.join(item.choices)}."


def count_tokens(text: str) -> int:
    """Answer length in cl100k tokens: one unit for every backend, whatever its own tokenizer."""
    from index.chunking import tiktoken_limit

    return tiktoken_limit(1).count([text])[0]


def check_gates(metrics: Mapping[str, float | None], gates: Sequence[tuple[str, float]]) -> list[str]:
    """One message per --fail-under gate the metrics miss."""
    failures = []
    for name, floor in gates:
        value = metrics.get(name)
        if value is None:
            failures.append(f"{name} is undefined in this run (no items it applies to), required ≥ {floor:g}")
        elif value < floor:
            failures.append(f"{name} = {value:.3f} is below {floor:g}")
    return failures


def _names(passage: Passage) -> list[str]:
    return [passage.meta.id, os.path.basename(passage.meta.location)]


def _run_key(options: EvalOptions, settings: Settings, digest: str) -> dict[str, Any]:
    return {
        "set": str(options.set_path.resolve()),
        "set_sha256": hashlib.sha256(options.set_path.read_bytes()).hexdigest(),
        "corpus_digest": digest,
        "backend": settings.llm,
        "top_k": settings.top_k,
        "retrieval_only": options.retrieval_only,
        "with_choices": options.with_choices,
        # only when set: folders written before the option existed were runs without it, and still resume
        **({"counterfactual": True} if options.counterfactual else {}),
        "as_of": options.as_of,  # a folder from before questions had an as-of day is another run
    }


def _finish(
    options: EvalOptions,
    items: list[GoldItem],
    records: Mapping[str, Mapping[str, Any]],
    out: Path,
    skipped: int,
    corpus: list[Path],
    index_dir: Path,
    set_sha256: str,  # the set as this run's run.json records it, which --compare checks the other run's against
) -> EvalOutcome:
    from eval.plots import write_plots
    from eval.report import compare_metrics, write_report

    modes = list(MODES.values())
    scores = [score_record(item, records[item.id], modes) for item in items]
    metrics = aggregate(scores, modes, RECALL_KS)
    primary = primary_metric(metrics)
    (out / "metrics.json").write_text(json.dumps({"primary_metric": primary, **metrics}, indent=2))
    compared = compare_metrics(metrics, options.compare) if options.compare else []
    outcomes = None  # a run without answers has no outcomes to compare
    if options.compare is not None and not options.retrieval_only:
        outcomes = compare_outcomes(items, scores, options.compare, modes, set_sha256)
    plots = write_plots(out, metrics, scores, modes)
    context = {
        "set": str(options.set_path),
        "corpus": ", ".join(map(str, corpus)),
        "index": str(index_dir),
        "selection": _selection(options, len(items)),
    }
    write_report(out, context, metrics, primary, items, records, scores, plots, compared, outcomes)
    return EvalOutcome(
        out=out, metrics=metrics, primary=primary, items=len(items), skipped=skipped, compare=compared, outcomes=outcomes
    )


def _selection(options: EvalOptions, n: int) -> str:
    parts = [f"{n} questions"]
    if options.only_answerable:
        parts.append("answerable only")
    if options.sample is not None:
        parts.append(f"sample {options.sample}, seed {options.seed}")
    if options.limit is not None:
        parts.append(f"limit {options.limit}")
    if options.with_choices:
        parts.append("choices given in the question")
    if options.retrieval_only:
        parts.append("retrieval only")
    if options.counterfactual:
        parts.append("counterfactual asks without the answer's passages")
    own_date = options.as_of == QUESTION_DATE
    parts.append("each as of its question's date (today without one)" if own_date else f"as of {options.as_of}")
    return "; ".join(parts)
