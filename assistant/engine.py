"""Assistant: ingest, ask, stream and chat; the one object the CLI, the web UI and the eval harness use."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TypeVar

from assistant.answer import Answer, Passage
from assistant.backends.base import AnswerBackend, Draft, create_backend, resolve_backend
from assistant.briefing import Briefing, about_topic, briefing_answer, briefing_asked, listed_headlines
from assistant.citations import MarkerStream, SupportCheck, check_citations
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.followups import rewrite_followup, with_listed_item
from assistant.prompts import EMPTY_QUESTION, NOTHING_IN_WINDOW, REFUSAL_TEXT, WINDOW_AFTER_AS_OF
from assistant.question import Question
from assistant.retrieval import DatePreference, Filters, HybridRetriever, Mode, Recency, Staleness
from assistant.time_window import TimeWindow, resolve, without_time_expressions
from index.chunking import TokenLimit, tiktoken_limit
from index.embeddings import Encoder, make_encoder
from index.feeds import KnownFeeds
from index.fetch import Fetcher
from index.fingerprint import IndexFingerprint
from index.keyword import KeywordIndex
from index.loaders import expand_paths
from index.lock import ingest_lock
from index.pipeline import IngestOptions, IngestReport, Progress, ingest, refresh_keyword_index
from index.store import ChunkStore, open_client
from index.types import ArticleRecord, StoredChunk
from index.web import WebHarvest, WebReader, is_url

History = Sequence[tuple[str, str]]  # (question, answer text) turns, oldest first
Exclude = Callable[[StoredChunk], bool]  # chunks to leave out of retrieval
MAX_QUESTION_CHARS = 2000
NOTE_BREAK = "\n\n"  # between the searched-window line and the answer
TOPIC_READS = 3  # a briefing on a topic reads this many times top_k passages, for top_k articles


T = TypeVar("T")  # a component built on first use
log = logging.getLogger(__name__)


class Assistant:
    """Answers questions from the indexed articles, with citations, or says the articles don't answer."""

    def __init__(
        self, settings: Settings | None = None, *, encoder: Encoder | None = None, backend: AnswerBackend | None = None
    ) -> None:
        self.settings = settings or Settings()
        self._encoder = encoder
        self._backend = backend
        self._fingerprint: IndexFingerprint | None = None
        self._store: ChunkStore | None = None
        self._retriever: HybridRetriever | None = None
        self._keyword: KeywordIndex | None = None
        self._keyword_checked = 0.0  # when the keyword index was last compared with the store's revision
        self._index_checked = False  # the empty-index check runs once per process
        # The web app answers several questions at once: components are built once, under _building (re-entrant: the
        # store needs the fingerprint, which needs the encoder); one thread at a time rebuilds the keyword index.
        self._building = threading.RLock()
        self._refreshing = threading.Lock()

    # --- components, built on first use --------------------------------------------------------
    def _built(self, attribute: str, build: Callable[[], T]) -> T:
        """The component kept in `attribute`, built by `build` the first time, once even when threads race for it."""
        value = getattr(self, attribute)
        if value is None:
            with self._building:
                value = getattr(self, attribute)
                if value is None:
                    value = build()
                    setattr(self, attribute, value)
        return value

    @property
    def encoder(self) -> Encoder:
        s = self.settings
        return self._built(
            "_encoder",
            lambda: make_encoder(
                s.encoder, s.embed_batch_size, cache_dir=s.encoder_cache or s.models_dir, threads=s.encoder_threads
            ),
        )

    @property
    def fingerprint(self) -> IndexFingerprint:
        return self._built(
            "_fingerprint",
            lambda: IndexFingerprint(
                encoder=self.encoder.name,
                chunk_tokens=self.settings.chunk_tokens,
                chunk_overlap=self.settings.chunk_overlap,
                embed_max_tokens=self.encoder.max_tokens,
                chunk_chars=self.settings.max_chunk_chars,
            ),
        )

    @property
    def store(self) -> ChunkStore:
        s = self.settings
        embedded = None if s.chroma_url else s.chroma_dir  # only an embedded store's files can be checked
        return self._built("_store", lambda: ChunkStore(open_client(s.chroma_dir, s.chroma_url), self.fingerprint, embedded))

    @property
    def keyword_dir(self) -> Path:
        where = self.settings.chroma_url or "embedded"
        safe = "".join(ch if ch.isalnum() else "_" for ch in where)
        return self.settings.keyword_dir / safe / self.fingerprint.digest

    @property
    def retriever(self) -> HybridRetriever:
        s = self.settings
        return self._built(
            "_retriever",
            lambda: HybridRetriever(
                self.store, self._keyword_index, candidates=s.candidates, rrf_k=s.rrf_k, collapse_stories=s.stories.collapse
            ),
        )

    @property
    def backend(self) -> AnswerBackend:
        return self._built("_backend", lambda: create_backend(self.settings, self.encoder))

    def _keyword_index(self) -> KeywordIndex:
        """The keyword index, brought up to date when the store's chunks changed (only what changed is read: see
        index/keyword.py). Another client's change is looked for at most every `keyword_refresh_seconds`, which
        saves a Chroma round trip on most questions.

        One thread updates; the others meanwhile keep reading the index they had (whole, if a revision old), and
        the new one is swapped in with one assignment, so no question sees half an index."""
        current = self._keyword
        if current is not None and time.monotonic() - self._keyword_checked < self.settings.keyword_refresh_seconds:
            return current
        if not self._refreshing.acquire(blocking=current is None):
            return current  # type: ignore[return-value]  # not None: only a first build waits for the lock
        try:
            current = self._keyword
            if current is None or time.monotonic() - self._keyword_checked >= self.settings.keyword_refresh_seconds:
                current = self._refreshed_keyword_index()
        finally:
            self._refreshing.release()
        return current

    def _refreshed_keyword_index(self) -> KeywordIndex:
        """The keyword index at the store's revision, installed for the questions that follow (only what changed is
        read). The caller holds self._refreshing."""
        self._keyword = refresh_keyword_index(self.store, self.keyword_dir, self._keyword)
        self._keyword_checked = time.monotonic()
        return self._keyword

    # --- indexing ---------------------------------------------------------------------------------
    def ingest(self, sources: Iterable[str | Path], *, prune: bool = False, progress: Progress | None = None) -> IngestReport:
        """Index files, folders, corpus JSONL and URLs (a string starting http:// or https://: a page, or a feed whose
        items' pages are all read). Unchanged articles cost nothing. A bad file changes nothing; a URL that fails is
        one line in `report.failed` and the others are indexed. Feeds are remembered for `sync`."""
        sources = list(sources)
        paths = [source for source in sources if not is_url(source)]
        urls = [str(source) for source in sources if is_url(source)]
        if urls:
            expand_paths(paths)  # a mistyped path fails before any URL is fetched
        harvest = self._web_reader_run(lambda reader: reader.read(urls)) if urls else WebHarvest()
        if prune and harvest.failures:
            log.warning("--prune skipped: %d URL(s) failed, so what they hold is unknown", len(harvest.failures))
            prune = False
        return self._index(paths, harvest, prune=prune, progress=progress)

    def sync(self, *, progress: Progress | None = None) -> IngestReport:
        """Ask every remembered feed whether it changed (ETag / Last-Modified) and index what is new or changed."""
        known = KnownFeeds(self.settings.home).load()
        if not known:
            return IngestReport()
        indexed = set(self.store.manifest())
        harvest = self._web_reader_run(lambda reader: reader.sync(known, indexed))
        return self._index([], harvest, prune=False, progress=progress)

    def feeds(self) -> list[str]:
        """The feeds `sync` polls: every feed URL ingested into this data directory."""
        return sorted(KnownFeeds(self.settings.home).load())

    def _web_reader_run(self, read: Callable[[WebReader], WebHarvest]) -> WebHarvest:
        with Fetcher(self.settings.fetch) as fetcher:
            return read(WebReader(fetcher, self.settings.fetch_workers))

    def _index(self, paths: list[str | Path], harvest: WebHarvest, *, prune: bool, progress: Progress | None) -> IngestReport:
        s = self.settings
        limits: tuple[TokenLimit, ...] = (
            tiktoken_limit(s.chunk_tokens),
            TokenLimit(name=self.encoder.name, count=self.encoder.count_tokens, limit=self.encoder.max_tokens),
        )
        options = IngestOptions(
            limits=limits,
            overlap_tokens=s.chunk_overlap,
            max_chars=s.max_chunk_chars,
            max_bytes=s.max_bytes,
            prune=prune,
            story_threshold=s.stories.threshold if s.stories.group else None,
        )
        with ingest_lock(s.home, s.ingest_wait_seconds):  # a second ingest waits, then finds the work done
            report = ingest(
                paths, self.store, self.encoder, options, self.keyword_dir, progress, self._keyword, loaded=harvest.articles
            )
            if harvest.feeds:  # remembered once their articles are indexed: a failed ingest leaves them to the next try
                known = KnownFeeds(s.home)
                known.save(known.load() | harvest.feeds)
        report.unchanged += harvest.not_modified
        report.failed = [str(failure) for failure in harvest.failures]
        with self._refreshing:  # installed now: a question racing the ingest cannot leave the next one the old index
            self._refreshed_keyword_index()
        self._index_checked = True
        return report

    def sources(self) -> list[ArticleRecord]:
        """The indexed articles (metadata only), newest first."""
        return sorted(self.store.list_articles(), key=lambda a: (a.meta.published, a.meta.title), reverse=True)

    def article(self, article_id: str) -> ArticleRecord | None:
        """One indexed article with its cleaned text, which citation offsets point into."""
        return self.store.get_article(article_id)

    def ensure_index(self) -> None:
        """Index the seed articles when the index is empty, so a first question has something to read (checked
        once per process: an index does not become empty by itself)."""
        if self._index_checked:
            return
        with self._building:  # two first questions at once index the seeds once
            if not self._index_checked and self.store.count() == 0 and self.settings.seeds_dir.exists():
                self.ingest([self.settings.seeds_dir])
            self._index_checked = True

    # --- answering -----------------------------------------------------------------------------
    def retrieve(
        self,
        question: str,
        *,
        k: int | None = None,
        since: date | str | None = None,
        until: date | str | None = None,
        sources: Sequence[str] | str | None = None,
        as_of: date | str | None = None,
        mode: Mode = "hybrid",
        exclude: Exclude | None = None,
    ) -> list[Passage]:
        """The passages a question retrieves, best first (hybrid, or one side alone for comparison): published on or
        before `as_of` (default today) and inside the window of the question's own time expressions, as `ask` reads."""
        question = _checked_question(question)
        as_of_day = self.as_of_day(as_of)
        filters = _filters(since, until, sources, as_of_day)
        window = resolve(question, as_of_day)
        recency = self.recency(window, as_of_day)
        return self._retrieve(self.searched_question(question), filters.within(window), k, mode, exclude, recency)

    def recency(self, window: TimeWindow | None, as_of: date) -> DatePreference | None:
        """How a question's candidates are reordered by date: with scope `latest`, newer articles boosted when it asks
        for the latest or current state, and otherwise older ones lowered, gently (`Staleness`)."""
        r = self.settings.recency
        if r.scope == "off" or not r.weight:
            return None
        if r.scope == "always" or (window and window.latest):
            return Recency(as_of=as_of, weight=r.weight, half_life_days=r.half_life_days)
        if r.stale_half_life_days:
            return Staleness(weight=r.weight, half_life_days=r.stale_half_life_days)
        return None

    def question(self, text: str) -> Question:
        """The question with its vector, which retrieval and answering share."""
        return Question(text=text, vector=self.encoder.encode([text])[0])

    def searched_question(self, text: str) -> Question:
        """The question as searched and answered: its time expressions are a date window now, not words to match."""
        return self.question(without_time_expressions(text))

    def as_of_day(self, value: date | str | None = None) -> date:
        """The day a question is answered as of: `value`, else Settings.as_of, else today (read at each call)."""
        return _as_date(value, "as_of") or self.settings.as_of or date.today()

    def _retrieve(
        self,
        question: Question,
        filters: Filters,
        k: int | None = None,
        mode: Mode = "hybrid",
        exclude: Exclude | None = None,
        recency: DatePreference | None = None,
    ) -> list[Passage]:
        self.ensure_index()
        return self.retriever.retrieve(question, k or self.settings.top_k, filters, mode, exclude, recency)

    def ask(
        self,
        question: str,
        *,
        since: date | str | None = None,
        until: date | str | None = None,
        sources: Sequence[str] | str | None = None,
        as_of: date | str | None = None,
        exclude: Exclude | None = None,
    ) -> Answer:
        """Answer one question as of a day (default today: nothing published later is read, and "last week" counts
        back from it); `answer.refused` is True when the articles don't answer it. `exclude` leaves chunks out of
        retrieval (the eval's counterfactual questions)."""
        return self.chat(question, (), since=since, until=until, sources=sources, as_of=as_of, exclude=exclude)

    def chat(
        self,
        question: str,
        history: History = (),
        *,
        since: date | str | None = None,
        until: date | str | None = None,
        sources: Sequence[str] | str | None = None,
        as_of: date | str | None = None,
        exclude: Exclude | None = None,
    ) -> Answer:
        """Answer a follow-up question in the context of earlier turns."""
        *_, answer = self.stream(
            question, history=history, since=since, until=until, sources=sources, as_of=as_of, exclude=exclude
        )
        assert isinstance(answer, Answer)
        return answer

    def stream(
        self,
        question: str,
        *,
        history: History = (),
        since: date | str | None = None,
        until: date | str | None = None,
        sources: Sequence[str] | str | None = None,
        as_of: date | str | None = None,
        exclude: Exclude | None = None,
    ) -> Iterator[str | Answer]:
        """Text deltas as the answer is produced, then the final, checked Answer."""
        started = time.perf_counter()
        question = _checked_question(question)
        as_of_day = self.as_of_day(as_of)
        filters = _filters(since, until, sources, as_of_day)
        turns = list(history)[-self.settings.history_turns :] if self.settings.history_turns else []
        briefing = briefing_asked(question)  # the news rather than a fact: a listing, read without the earlier turns
        standalone = question if briefing else self._standalone(question, turns)
        asked = Asked(question, standalone, as_of_day, resolve(standalone, as_of_day, listing=briefing is not None))
        recency = self.recency(asked.window, as_of_day)
        drafts: Iterator[str | Draft]  # not started before the backend is built, below
        if briefing:  # no question vector: the listing is drawn from the newest stories, or from the topic's words
            passages = self._briefing_passages(briefing, filters.within(asked.window), exclude, recency)
            drafts = briefing_answer(briefing, passages)
        else:
            searched = self.searched_question(standalone)
            passages = self._retrieve(searched, filters.within(asked.window), exclude=exclude, recency=recency)
            drafts = self._drafted(searched, passages)
        if not passages and not self._any_chunk(filters) and (filters.active or self.store.count()):
            # a plain refusal would read as "the articles don't say"; it is the filter (or the as-of day) that left
            # nothing to read
            raise AssistantError(f"no indexed article matches {filters.describe()}; widen it (`assistant sources` lists them)")
        if not passages and asked.window and asked.window.hard and not self._any_chunk(filters.within(asked.window)):
            # the question's own "in 2023" left nothing to read: a refusal that names the window (not an error: the
            # question is fine, the articles are not from then)
            answer = self._nothing_in_window(asked)
            answer.timings = dict.fromkeys(("retrieval", "first_token", "total"), time.perf_counter() - started)
            yield answer.text
            yield answer
            return
        retrieved = time.perf_counter()
        backend = self.backend  # before anything is streamed: a backend that cannot be built is an error, not a reply
        if asked.note:
            yield asked.note + NOTE_BREAK
        first_token: float | None = None
        draft: Draft | None = None
        markers = MarkerStream(len(passages))  # shown markers already numbered as the checked Answer's
        for item in drafts:
            if isinstance(item, Draft):
                draft = item
                break
            if first_token is None:
                first_token = time.perf_counter()
            if shown := markers.feed(item):
                yield shown
        if rest := markers.flush():
            yield rest
        if draft is None:
            raise AssistantError(f"the {backend.name} backend returned no answer")
        answer = self._finish(asked, passages, draft, backend, verbatim=briefing is not None)
        finished = time.perf_counter()
        answer.timings = {
            "retrieval": retrieved - started,
            "first_token": (first_token or finished) - started,
            "total": finished - started,
        }
        yield answer

    def _drafted(self, searched: Question, passages: list[Passage]) -> Iterator[str | Draft]:
        """The backend's answer, the backend read only once the answer is asked for (after the checks that may end a
        question before any model is loaded)."""
        yield from self.backend.answer(searched, passages)

    def _briefing_passages(
        self, briefing: Briefing, filters: Filters, exclude: Exclude | None, recency: DatePreference | None
    ) -> list[Passage]:
        """The news at large: the first passage of each of the newest stories. About a topic: the articles its words
        retrieve (three times as many passages as a question reads, so that a few articles' many chunks do not crowd the
        rest out; newer ones ranked higher when "the latest" is asked for) that mention it."""
        k = self.settings.top_k
        if not briefing.topic:
            self.ensure_index()
            return self.retriever.newest(k, filters, exclude)
        found = self._retrieve(self.question(briefing.topic), filters, TOPIC_READS * k, exclude=exclude, recency=recency)
        return about_topic(briefing.topic, found, k)

    def _any_chunk(self, filters: Filters) -> bool:
        return self.store.any_chunk(filters.for_chroma())

    def _standalone(self, question: str, turns: list[tuple[str, str]]) -> str:
        """The follow-up as a question of its own. "The second one" after a briefing is its second headline; otherwise
        a turn that asked for the news at large names nothing to read a follow-up with ("What did China say?" after
        "What's in the news?" is not about "news"), so it is left out."""
        if turns and (listed := with_listed_item(question, listed_headlines(turns[-1][1]))):
            return listed  # "the second one" of the headlines the last answer listed
        turns = [turn for turn in turns if (asked := briefing_asked(turn[0])) is None or asked.topic]
        if not turns:
            return question
        return self.backend.condense(question, turns) or rewrite_followup(question, turns)

    def _finish(
        self, asked: Asked, passages: list[Passage], draft: Draft, backend: AnswerBackend, verbatim: bool = False
    ) -> Answer:
        """The checked Answer. `verbatim`: the draft states metadata and quotes the passages' own sentences (a
        briefing), which no support check need read, whichever backend is chosen."""
        answer = Answer(
            question=asked.question,
            text=REFUSAL_TEXT,
            refused=True,
            passages=passages,
            backend=backend.name,
            model=backend.model,
            standalone_question=asked.standalone if asked.standalone != asked.question else None,
            tokens=dict(draft.tokens),
            answer_check=draft.answer_check,
            as_of=asked.as_of,
            window=asked.window,
        )
        if not draft.refused:
            supports = self._support_check(asked.standalone) if backend.checks_support and not verbatim else None
            checked = check_citations(draft.claims, passages, supports)
            answer.flagged = checked.flagged
            if checked.supported_claims > 0:  # else nothing it said rests on a passage: the refusal stands
                answer.text, answer.refused, answer.citations = checked.text, False, checked.citations
        if asked.note:
            answer.text = asked.note + NOTE_BREAK + answer.text
        return answer

    def _nothing_in_window(self, asked: Asked) -> Answer:
        """The refusal for a question whose own time window holds no indexed article (or lies after the as-of day)."""
        window = asked.window
        assert window is not None
        if window.empty:
            text = WINDOW_AFTER_AS_OF.format(expressions=window.quoted, as_of=window.as_of)
        else:
            text = NOTHING_IN_WINDOW.format(span=window.span, expressions=window.quoted, as_of=window.as_of)
        backend = self._backend.name if self._backend else resolve_backend(self.settings)  # no model loaded to refuse
        return Answer(
            question=asked.question,
            text=text[0].upper() + text[1:],
            refused=True,
            backend=backend,
            standalone_question=asked.standalone if asked.standalone != asked.question else None,
            as_of=asked.as_of,
            window=window,
        )

    def _support_check(self, question: str) -> SupportCheck:
        from assistant.support import SupportChecker

        return SupportChecker(self.encoder, self.settings.support, question)


@dataclass(frozen=True)
class Asked:
    """A question as it is served: the asker's words, the standalone rewrite (of a follow-up), the day it is answered
    as of, and the window its time expressions ask for."""

    question: str
    standalone: str
    as_of: date
    window: TimeWindow | None

    @property
    def note(self) -> str:
        """The line an answer starts with when the question's window narrowed the search; "" otherwise."""
        return self.window.describe() if self.window else ""


def story_groups(articles: Sequence[ArticleRecord]) -> dict[str, list[ArticleRecord]]:
    """The stories told by more than one of these articles: the group's id → its articles in the order given (the
    group's first article first when it is among them)."""
    groups: dict[str, list[ArticleRecord]] = {}
    for article in articles:
        groups.setdefault(article.meta.story_group, []).append(article)
    for group, members in groups.items():
        members.sort(key=lambda a: a.id != group)  # stable: the rest keep their order
    return {group: members for group, members in groups.items() if len(members) > 1}


def _checked_question(question: str) -> str:
    if question is not None and not isinstance(question, str):
        raise AssistantError(f"the question must be text, not {type(question).__name__}")
    question = " ".join((question or "").split())
    if not question:
        raise AssistantError(EMPTY_QUESTION)
    if len(question) > MAX_QUESTION_CHARS:
        raise AssistantError(f"the question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}")
    return question


def _filters(since: date | str | None, until: date | str | None, sources: Sequence[str] | str | None, as_of: date) -> Filters:
    if isinstance(sources, str):  # sources="Stocktwits" means that one outlet, not its letters
        sources = [sources]
    if not isinstance(sources, Sequence | None) or not all(isinstance(s, str) for s in sources or ()):
        raise AssistantError(f"sources must be a list of outlet names, like ['Stocktwits'], not {sources!r}")
    return Filters(since=_as_date(since, "since"), until=_as_date(until, "until"), sources=tuple(sources or ()), as_of=as_of)


def _as_date(value: date | str | None, name: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise AssistantError(f"{name}={value!r} is not a date like 2025-01-31") from None
