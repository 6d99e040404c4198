"""`assistant eval`: registered on the assistant's CLI through the `assistant.commands` entry point (pyproject.toml)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assistant.cli import user_errors  # known errors end in one line on stderr, as in the other commands


def register(app: typer.Typer) -> None:
    """Add the `eval` command to the `assistant` app."""
    app.command("eval")(eval_command)


def eval_command(
    question_set: Annotated[Path, typer.Argument(help="Gold-set JSONL, or a RealTime QA questions.jsonl.")],
    corpus: Annotated[
        list[Path] | None, typer.Option(help="Articles to index for the run (files, folders, corpus JSONL[.gz]); default seeds/.")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder; a rerun into it skips finished questions.")] = None,
    backend: Annotated[str | None, typer.Option(help="Answer backend: extractive, local, openai, auto (ASSISTANT_LLM).")] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N questions (after --sample).")] = None,
    sample: Annotated[int | None, typer.Option(help="A random sample of N questions (fixed by --seed).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of --sample.")] = 0,
    only_answerable: Annotated[bool, typer.Option(help="Skip questions marked not answerable from the corpus.")] = False,
    k: Annotated[int | None, typer.Option(help="Passages per answer (ASSISTANT_TOP_K); recall is at 1, 3, 5, 10.")] = None,
    fail_under: Annotated[
        list[str] | None, typer.Option(help="METRIC=VALUE: exit 1 when the metric is below VALUE; repeatable.")
    ] = None,
    compare: Annotated[
        Path | None, typer.Option(help="Another run's --out folder: metric deltas and the questions whose outcome changed.")
    ] = None,
    retrieval_only: Annotated[bool, typer.Option(help="Score the three retrievers only; no answers.")] = False,
    with_choices: Annotated[bool, typer.Option(help="Put an item's answer choices into the question asked.")] = False,
    as_of: Annotated[
        str,
        typer.Option(
            "--as-of",
            help="The day each question is answered as of: `question` (its own date, as RealTime QA lines carry; today for "
            "a question without one), `today`, or one day for all (YYYY-MM-DD).",
        ),
    ] = "question",
    index_dir: Annotated[Path | None, typer.Option(help="Index folder for the run (default ASSISTANT_HOME/eval/<hash>).")] = None,
    counterfactual: Annotated[
        bool,
        typer.Option(
            help="Also ask each answerable question without the passages that hold its answer, in their text or their "
            "article's byline, outlet or date (should refuse)."
        ),
    ] = False,
) -> None:
    """Measure retrieval, answers, citations and refusals on a question set; writes results, metrics, report, plots."""
    with user_errors():
        from eval.command import run_command
        from eval.runner import EvalOptions

        options = EvalOptions(
            set_path=question_set,
            corpus=tuple(corpus or ()),
            out=out,
            backend=backend,
            top_k=k,
            limit=limit,
            sample=sample,
            seed=seed,
            only_answerable=only_answerable,
            retrieval_only=retrieval_only,
            with_choices=with_choices,
            counterfactual=counterfactual,
            as_of=as_of,
            index_dir=index_dir,
            compare=compare,
        )
        status = run_command(options, fail_under or [], typer.echo)
    raise typer.Exit(status)
