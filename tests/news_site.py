"""A news site on 127.0.0.1 for the URL and feed tests: pages and RSS/Atom feeds held in memory (changeable while it
runs), ETag and Last-Modified on every response with 304 to a matching conditional request, and the ways a site
fails: a slow answer, a redirect loop, a body too large, a non-HTML type, error statuses."""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.servers import free_port

SLOW_SECONDS = 4.0  # longer than the tests' fetch timeout


@dataclass
class Resource:
    content_type: str
    body: bytes
    status: int = 200
    modified: float = field(default_factory=time.time)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'

    @property
    def last_modified(self) -> str:
        return formatdate(self.modified, usegmt=True)


@dataclass
class Request:
    """Recorded when it arrives (so a client that gave up on a slow answer still finds it); its status is set as the
    status line is sent, before the client can read any of the answer."""

    path: str
    conditional: bool  # sent If-None-Match or If-Modified-Since
    user_agent: str
    status: int = 0


class NewsSite:
    """`put(path, type, text)` serves a resource; `requests` records every request, in order."""

    def __init__(self) -> None:
        self.resources: dict[str, Resource] = {}
        self.requests: list[Request] = []
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        site = self

        class Handler(BaseHTTPRequestHandler):
            record: Request

            def do_GET(self) -> None:  # the name http.server calls
                headers = self.headers
                conditional = bool(headers.get("If-None-Match") or headers.get("If-Modified-Since"))
                self.record = Request(self.path, conditional, headers.get("User-Agent", ""))
                site.requests.append(self.record)
                site._respond(self, self.path)

            def send_response(self, code: int, message: str | None = None) -> None:
                self.record.status = code
                super().send_response(code, message)

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    def put(self, path: str, content_type: str, text: str | bytes, status: int = 200) -> None:
        body = text.encode("utf-8") if isinstance(text, str) else text
        self.resources[path] = Resource(content_type, body, status)

    def requested(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _respond(self, handler: BaseHTTPRequestHandler, path: str) -> int:
        if path == "/slow":
            time.sleep(SLOW_SECONDS)
            return self._send(handler, Resource("text/html", b"<p>too late</p>"))
        if path == "/loop":
            handler.send_response(302)
            handler.send_header("Location", "/loop")
            handler.end_headers()
            return 302
        if path.startswith("/moved/"):  # a redirect to the page of the same name
            handler.send_response(301)
            handler.send_header("Location", "/news/" + path.removeprefix("/moved/"))
            handler.end_headers()
            return 301
        if path == "/huge":  # no Content-Length: only reading shows the size
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html")
            handler.end_headers()
            with contextlib.suppress(OSError):  # the client stops reading at its limit
                for _ in range(200):
                    handler.wfile.write(b"<p>" + b"x" * 1021 + b"</p>")
            return 200
        resource = self.resources.get(path)
        if resource is None:
            return self._send(handler, Resource("text/html", b"<p>no such page</p>", status=404))
        if resource.status == 200 and (
            handler.headers.get("If-None-Match") == resource.etag
            or (not handler.headers.get("If-None-Match") and handler.headers.get("If-Modified-Since") == resource.last_modified)
        ):
            handler.send_response(304)
            handler.send_header("ETag", resource.etag)
            handler.end_headers()
            return 304
        return self._send(handler, resource)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, resource: Resource) -> int:
        handler.send_response(resource.status)
        handler.send_header("Content-Type", resource.content_type)
        handler.send_header("Content-Length", str(len(resource.body)))
        if resource.status == 200:
            handler.send_header("ETag", resource.etag)
            handler.send_header("Last-Modified", resource.last_modified)
        handler.end_headers()
        with contextlib.suppress(OSError):  # the client gave up first (the slow page)
            handler.wfile.write(resource.body)
        return resource.status


def article_page(title: str, site: str, published: str, paragraphs: list[str]) -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<html><head><title>{title}</title><meta property="og:site_name" content="{site}">'
        f'<meta property="article:published_time" content="{published}"></head>'
        f"<body><nav>Home | World | Sport</nav><article><h1>{title}</h1>{body}</article>"
        "<footer>Copyright The Coast Courier</footer></body></html>"
    )


def rss20(title: str, items: list[tuple[str, str, str]]) -> str:
    """items: (title, link, RFC 822 date)."""
    entries = "".join(f"<item><title>{t}</title><link>{link}</link><pubDate>{day}</pubDate></item>" for t, link, day in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title><link>/</link>{entries}</channel></rss>'


def atom(title: str, items: list[tuple[str, str, str]]) -> str:
    """items: (title, link, ISO date)."""
    entries = "".join(
        f'<entry><title>{t}</title><link href="{link}"/><id>{link}</id><updated>{day}</updated></entry>' for t, link, day in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>{title}</title>'
        f"<id>urn:test</id><updated>2025-07-03T00:00:00Z</updated>{entries}</feed>"
    )
