"""The chat in the browser: a Gradio Blocks app over one Assistant (`assistant chat`).

No `from __future__ import annotations` here: Gradio reads the named API endpoint's type hints at run time.
The event handlers Gradio calls are made by small factories (`_responder`, `_turn_selector`, …) so that their
names, signatures and type hints (`gr.SelectData`, `gr.Progress`) are what Gradio inspects, while gradio itself
is imported only once an app is built.
"""

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from assistant.answer import Answer
from assistant.backends import backend_names
from assistant.engine import Assistant, story_groups
from assistant.errors import USER_ERRORS, AssistantError
from assistant.ui.assets import CSS, PANEL_JS
from assistant.ui.auth import parse_auth
from assistant.ui.render import (
    EMPTY_PANEL,
    ArticleLookup,
    answer_message,
    error_message,
    escape_text,
    sources_panel,
    streaming_message,
)
from assistant.ui.session import AssistantPool, Turn, add_uploads, history_of

if TYPE_CHECKING:
    import gradio as gr

    from index.pipeline import IngestReport
    from index.types import ArticleMeta

log = logging.getLogger(__name__)
BACKENDS: tuple[str, ...] = ("auto", *backend_names())
UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".pdf", ".jsonl", ".gz"]
ARTICLE_COLUMNS = ["Title", "Outlet", "Published", "Chunks", "Id", "Story"]  # Story: shared by near-duplicates
API_NAME = "ask"
UPLOAD_API = "upload"
# Two concurrency groups: questions (Settings.question_slots at once) and indexing (one upload at a time, as the
# ingest lock would serialize them anyway), so a question never waits in the queue behind an upload.
QUESTIONS = "questions"
INDEXING = "indexing"
PRIVATE: dict[str, Any] = {"api_visibility": "private"}  # UI events, not API endpoints


@dataclass(frozen=True)
class _ChatTab:
    """The Chat tab's components that events read or write."""

    chatbot: "gr.Chatbot"
    question: "gr.Textbox"
    ask: "gr.Button"
    llm: "gr.Dropdown"
    top_k: "gr.Slider"
    since: "gr.Textbox"
    until: "gr.Textbox"
    as_of: "gr.Textbox"
    outlets: "gr.Dropdown"
    panel: "gr.HTML"


@dataclass(frozen=True)
class _ArticlesTab:
    """The Articles tab's components that events read or write."""

    summary: "gr.Markdown"
    table: "gr.Dataframe"
    files: "gr.File"
    status: "gr.Markdown"


def build_app(bot: Assistant, pool: AssistantPool | None = None) -> "gr.Blocks":
    """The Blocks app: a Chat tab (answers, sources, settings) and an Articles tab (the index, uploads)."""
    import gradio as gr

    pool = pool or AssistantPool(bot)
    reading = {"concurrency_id": QUESTIONS, "concurrency_limit": bot.settings.question_slots}
    with gr.Blocks(title="News Q&A") as demo:
        turns = gr.State([])
        shown = gr.State(-1)  # the turn whose sources the panel shows
        gr.Markdown(
            "## News Q&A\nAnswers from the indexed articles, citing the exact passages: click a marker like [1] to see it."
        )
        with gr.Tabs():
            chat = _chat_tab(bot)
            articles = _articles_tab()
        _wire_chat(chat, turns, shown, pool, partial(_article_text, bot), reading)
        _wire_articles(demo, articles, chat.outlets, bot, reading)
        gr.api(_api_asker(pool), api_name=API_NAME, **reading)
    return demo


def launch(
    bot: Assistant,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    share: bool = False,
    block: bool = True,
    open_browser: bool = False,
    auth: Sequence[tuple[str, str]] | None = None,
) -> tuple["gr.Blocks", str]:
    """Serve the app (login required when auth is given), with MCP at /mcp and the OpenAI-compatible API at /v1 on
    the same port; with block=False it runs in a background thread and (app, local URL) come back at once."""
    from assistant.ui.apis import api_app_kwargs

    pool = AssistantPool(bot)
    demo = build_app(bot, pool)
    demo.queue(default_concurrency_limit=bot.settings.question_slots)
    try:
        _, url, _ = demo.launch(
            server_name=host,
            server_port=port,
            share=share,
            auth=list(auth) if auth else None,
            auth_message="Log in to ask about the news articles." if auth else None,
            prevent_thread_lock=not block,
            inbrowser=open_browser,
            max_file_size=f"{bot.settings.max_file_mb:g}mb",
            footer_links=["api"],
            css=CSS,
            quiet=not block,
            app_kwargs=api_app_kwargs(pool, auth, host),
        )
    except OSError as err:  # the port is taken, or the host is not this machine's
        reason = "the port is in use (choose another with --port)" if "empty port" in str(err) else str(err).splitlines()[0]
        raise AssistantError(f"cannot serve on {host}:{port}: {reason}") from None
    return demo, url


def login_pairs(bot: Assistant) -> list[tuple[str, str]] | None:
    """The logins ASSISTANT_AUTH asks for (user:password, or a file of such lines), or None for no login."""
    secret = bot.settings.auth
    return parse_auth(secret.get_secret_value() if secret else None)


# --- layout -----------------------------------------------------------------------------------------------------


def _chat_tab(bot: Assistant) -> _ChatTab:
    """The Chat tab: the chat and its question box, the settings under it, the sources panel beside it."""
    import gradio as gr

    with gr.Tab("Chat", id="chat-tab"), gr.Row(equal_height=False):
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(
                elem_id="chat",
                label="Chat",
                height=520,
                sanitize_html=True,
                latex_delimiters=[],
                feedback_options=None,
                buttons=["copy"],
                placeholder="Ask about the news in the indexed articles: “What's in the news this week?”, “What's the news "
                "about …?”, or any question they may answer.",
            )
            with gr.Row():
                question = gr.Textbox(elem_id="question", show_label=False, placeholder="Ask a question…", scale=5, max_lines=4)
                ask = gr.Button("Ask", variant="primary", elem_id="ask", scale=1, min_width=80)
            with gr.Accordion("Settings", open=False, elem_id="settings"):
                llm = gr.Dropdown(list(BACKENDS), value=bot.settings.llm, label="Answer backend")
                top_k = gr.Slider(
                    1,
                    max(20, bot.settings.top_k),
                    value=bot.settings.top_k,
                    step=1,
                    label="Passages per answer (top-k)",
                )
                with gr.Row():
                    since = gr.Textbox(label="Published from", placeholder="YYYY-MM-DD", elem_id="since")
                    until = gr.Textbox(label="Published until", placeholder="YYYY-MM-DD", elem_id="until")
                as_of = gr.Textbox(
                    value=bot.settings.as_of.isoformat() if bot.settings.as_of else "",
                    label="As of (nothing published later is read; “last week” counts back from it)",
                    placeholder="today (YYYY-MM-DD)",
                    elem_id="as-of",
                )
                outlets = gr.Dropdown([], multiselect=True, label="Only these outlets", elem_id="outlets")
        with gr.Column(scale=2):
            panel = gr.HTML(EMPTY_PANEL, elem_id="sources", js_on_load=PANEL_JS)
    return _ChatTab(chatbot, question, ask, llm, top_k, since, until, as_of, outlets, panel)


def _articles_tab() -> _ArticlesTab:
    """The Articles tab: what is indexed, and an upload box for more."""
    import gradio as gr

    with gr.Tab("Articles", id="articles-tab"):
        summary = gr.Markdown(elem_id="articles-summary")
        table = gr.Dataframe(
            headers=ARTICLE_COLUMNS,
            datatype=["str", "str", "str", "number", "str", "str"],
            interactive=False,
            elem_id="articles",
            wrap=True,
            column_widths=["36%", "14%", "12%", "6%", "16%", "16%"],
            show_search="search",
        )
        files = gr.File(
            label="Add articles (.txt, .md, .html, .pdf, .jsonl)",
            file_count="multiple",
            file_types=UPLOAD_TYPES,
            elem_id="upload",
        )
        status = gr.Markdown(elem_id="upload-status")
    return _ArticlesTab(summary, table, files, status)


# --- events -----------------------------------------------------------------------------------------------------


def _wire_chat(
    chat: _ChatTab, turns: "gr.State", shown: "gr.State", pool: AssistantPool, lookup: ArticleLookup, reading: dict[str, Any]
) -> None:
    """Asking (Enter or the button), choosing an earlier answer's sources, and the chat's clear button."""
    respond = _responder(pool, lookup)
    answer_inputs = [chat.question, turns, chat.llm, chat.top_k, chat.since, chat.until, chat.as_of, chat.outlets]
    answer_outputs = [chat.question, chat.chatbot, turns, chat.panel, shown]
    chat.question.submit(respond, answer_inputs, answer_outputs, **PRIVATE, **reading)
    chat.ask.click(respond, answer_inputs, answer_outputs, **PRIVATE, **reading)
    chat.chatbot.select(_turn_selector(lookup), [turns, shown], [chat.panel, shown], api_visibility="private", queue=False)
    # The chat's own clear (bin) button starts a new chat: forget the turns the follow-ups would build on.
    chat.chatbot.clear(lambda: ([], EMPTY_PANEL, -1), None, [turns, chat.panel, shown], api_visibility="private", queue=False)


def _wire_articles(
    demo: "gr.Blocks", articles: _ArticlesTab, outlets: "gr.Dropdown", bot: Assistant, reading: dict[str, Any]
) -> None:
    """Uploads (also an API endpoint, for scripts: the same handler and queue as the upload box), and the article
    list (with the outlets to filter by) when the page loads."""
    articles.files.upload(
        _uploader(bot),
        articles.files,
        [articles.table, outlets, articles.summary, articles.status],
        api_name=UPLOAD_API,
        concurrency_id=INDEXING,
        concurrency_limit=1,
    )
    demo.load(_article_lister(bot), None, [articles.table, outlets, articles.summary], **PRIVATE, **reading)


def _responder(pool: AssistantPool, lookup: ArticleLookup) -> Callable[..., Iterator[tuple[Any, ...]]]:
    """The Ask handler: streams the answer into the chat, then shows its sources."""
    import gradio as gr

    def respond(
        question: str,
        turns: list[Turn],
        llm: str,
        top_k: float,
        since: str,
        until: str,
        as_of: str,
        outlets: list[str] | None,
    ) -> Iterator[tuple[Any, ...]]:
        question = (question or "").strip()
        if not question:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        number = len(turns)
        shown = [
            *_chat_messages(turns),
            {"role": "user", "content": escape_text(question)},
            {"role": "assistant", "content": "…"},
        ]
        yield "", shown, gr.skip(), gr.skip(), gr.skip()
        try:
            answer = None
            text = ""
            stream = pool.get(_backend(llm), int(top_k)).stream(
                question,
                history=history_of(turns),
                since=(since or "").strip() or None,
                until=(until or "").strip() or None,
                as_of=(as_of or "").strip() or None,
                sources=outlets or None,
            )
            for item in stream:
                if isinstance(item, Answer):
                    answer = item
                    break
                text += item
                shown[-1]["content"] = streaming_message(text)
                yield gr.skip(), shown, gr.skip(), gr.skip(), gr.skip()
            if answer is None:
                raise AssistantError("the answer stream ended without an answer")
        except Exception as err:  # shown as one line in the chat; the traceback only in the server log
            done = [*turns, Turn(question, None, _problem(err))]
            yield gr.skip(), _chat_messages(done), done, gr.skip(), gr.skip()
            return
        done = [*turns, Turn(question, answer)]
        yield gr.skip(), _chat_messages(done), done, sources_panel(answer, number, lookup), number

    return respond


def _turn_selector(lookup: ArticleLookup) -> Callable[..., tuple[Any, Any]]:
    """The chat's select handler: clicking an earlier answer shows its sources."""
    import gradio as gr

    def select_turn(turns: list[Turn], shown: int, event: gr.SelectData) -> tuple[Any, Any]:
        index = event.index[0] if isinstance(event.index, list | tuple) else event.index
        number = int(index) // 2
        if number == shown or not 0 <= number < len(turns) or turns[number].answer is None:
            return gr.skip(), gr.skip()
        answer = turns[number].answer
        assert answer is not None
        return sources_panel(answer, number, lookup), number

    return select_turn


def _article_lister(bot: Assistant) -> Callable[[], tuple[Any, Any, str]]:
    """The page-load handler: the article table, the outlets to filter by, and a summary line."""

    def articles() -> tuple[Any, Any, str]:
        return _article_list(bot)

    return articles


def _uploader(bot: Assistant) -> Callable[..., tuple[Any, Any, Any, str]]:
    """The upload handler: indexes the files, then refreshes the article list and reports what happened."""
    import gradio as gr

    def upload(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, Any, Any, str]:  # noqa: B008
        if not files:
            return gr.skip(), gr.skip(), gr.skip(), ""
        progress(0, desc="Checking the files")
        try:
            report = add_uploads(
                bot, files, progress=lambda done, total: progress((done, total), desc="Indexing", unit="articles")
            )
        except Exception as err:
            return gr.skip(), gr.skip(), gr.skip(), error_message(_problem(err))
        table, outlets, summary = _article_list(bot)
        return table, outlets, summary, _upload_status(len(files), report)

    return upload


def _api_asker(pool: AssistantPool) -> Callable[..., dict[str, Any]]:
    """The named API endpoint (`/ask`); Gradio documents it from this function's signature and docstring."""
    import gradio as gr

    def api_ask(
        question: str,
        history: list[list[str]] | None = None,
        backend: str = "",
        top_k: int = 0,
        since: str = "",
        until: str = "",
        sources: list[str] | None = None,
        as_of: str = "",
    ) -> dict[str, Any]:
        """Answer a question from the indexed articles with citations (the Answer as a dict).

        history: earlier turns as [[question, answer text], ...], for follow-up questions. backend: extractive, local,
        openai or auto (empty: the server's setting). top_k: passages to answer from (0: the server's setting).
        since/until: published-date range, YYYY-MM-DD. sources: only these outlets. as_of: answer as if on this day,
        YYYY-MM-DD (empty: the server's setting, else today): nothing published later is read, and "last week" in the
        question counts back from it.
        """
        try:
            if backend and backend not in BACKENDS:
                raise AssistantError(f"backend {backend!r} is not one of {', '.join(BACKENDS)}")
            if not 0 <= top_k <= 50:
                raise AssistantError(f"top_k={top_k} is out of range; use 1 to 50 (0 for the server's setting)")
            turns = [_turn_pair(pair) for pair in history or []]
            answer = pool.get(_backend(backend), top_k or None).chat(
                question, turns, since=since or None, until=until or None, sources=sources or None, as_of=as_of or None
            )
        except Exception as err:
            raise gr.Error(_problem(err), print_exception=False) from None
        return answer.to_dict()

    return api_ask


# --- helpers ----------------------------------------------------------------------------------------------------


def _article_text(bot: Assistant, article_id: str) -> str | None:
    """An article's cleaned text, which citation offsets point into (None when it is no longer indexed)."""
    record = bot.article(article_id)
    return record.text if record else None


def _chat_messages(turns: Sequence[Turn]) -> list[dict[str, str]]:
    messages = []
    for number, turn in enumerate(turns):
        messages.append({"role": "user", "content": escape_text(turn.question)})
        reply = error_message(turn.error) if turn.answer is None else answer_message(turn.answer, number)
        messages.append({"role": "assistant", "content": reply})
    return messages


def _article_list(bot: Assistant) -> tuple[Any, Any, str]:
    """The article table, the outlet choices and the summary line, as Gradio updates."""
    import gradio as gr

    records = bot.sources()
    groups = story_groups(records)  # only stories told by two articles or more get a Story cell
    rows = [
        [
            a.meta.title,
            a.meta.source,
            _published(a.meta),
            a.chunk_count,
            a.meta.id,
            a.meta.story_group if a.meta.story_group in groups else "",
        ]
        for a in records
    ]
    outlets = sorted({a.meta.source for a in records if a.meta.source})
    noun = "article" if len(records) == 1 else "articles"
    summary = f"{len(records)} {noun} indexed in `{escape_text(str(bot.settings.home))}`."
    return gr.Dataframe(value=rows, headers=ARTICLE_COLUMNS), gr.Dropdown(choices=outlets), summary


def _published(meta: "ArticleMeta") -> str:
    return f"{meta.published} (inferred)" if meta.published and meta.date_inferred else meta.published


def _upload_status(file_count: int, report: "IngestReport") -> str:
    status = (
        f"Indexed {file_count} file(s): added {report.added}, updated {report.updated}, unchanged {report.unchanged}; "
        f"{report.chunks} chunks in {report.seconds:.1f} s. Ask about them in the Chat tab."
    )
    for skipped in report.skipped:
        status += f"\n\n{escape_text(skipped)} has no text left after cleaning; not indexed."
    return status


def _backend(name: str) -> str | None:
    return name if name in BACKENDS else None


def _turn_pair(pair: object) -> tuple[str, str]:
    if isinstance(pair, list | tuple) and len(pair) == 2 and all(isinstance(x, str) for x in pair):
        return pair[0], pair[1]
    raise AssistantError("history must be a list of [question, answer] pairs of strings")


def _problem(err: Exception) -> str:
    """One line for the person asking; anything unexpected is logged with its traceback instead."""
    if isinstance(err, USER_ERRORS):
        return str(err).splitlines()[0] if str(err) else err.__class__.__name__
    if isinstance(err, ValidationError):
        first = err.errors()[0]
        return f"setting {'.'.join(map(str, first['loc']))}: {first['msg']}"
    log.exception("the web UI could not serve a request")
    return f"something went wrong ({err.__class__.__name__}); the server log has the details"
