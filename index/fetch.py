"""One HTTP GET of a URL the user asked for, through httpx: a timeout, a user agent, a redirect limit, a size limit
read from the stream (never more than the limit is held), and conditional requests (ETag / Last-Modified).

Every way a fetch can fail is a FetchError carrying the URL and a one-line reason; nothing else escapes `get`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from typing import TYPE_CHECKING

from index.errors import IndexingError

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)


class FetchError(IndexingError):
    """A URL that could not be fetched or read; `reason` is one line without the URL."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


@dataclass(frozen=True)
class Validators:
    """What a server said identifies a response's version, sent back to ask "has it changed?"."""

    etag: str = ""
    last_modified: str = ""

    def headers(self) -> dict[str, str]:
        found = {"If-None-Match": self.etag, "If-Modified-Since": self.last_modified}
        return {name: value for name, value in found.items() if value}


@dataclass(frozen=True)
class Download:
    """A fetched body and what the response said about it."""

    requested: str  # the URL asked for
    url: str  # the final URL, after redirects
    content_type: str  # media type only, lower case ("text/html")
    charset: str  # from the Content-Type header; "" when it names none
    body: bytes
    validators: Validators

    def text(self) -> str:
        """The body as text: the header's charset, else a <meta charset> near the top, else UTF-8 (bad bytes replaced)."""
        declared = self.charset or _meta_charset(self.body[:4096])
        try:
            return self.body.decode(declared or "utf-8", errors="replace")
        except LookupError:  # a charset name Python does not know
            return self.body.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class FetchSettings:
    timeout: float  # seconds to connect, and between two reads
    user_agent: str
    max_redirects: int
    max_bytes: int


class Fetcher:
    """An httpx client for the URLs of one ingest or sync (thread-safe: item pages are fetched side by side)."""

    def __init__(self, settings: FetchSettings) -> None:
        import httpx  # here, not at import time: importing the index must not need the HTTP stack

        self.settings = settings
        self._client = httpx.Client(
            timeout=settings.timeout,
            follow_redirects=True,
            max_redirects=settings.max_redirects,
            headers={"User-Agent": settings.user_agent},
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, validators: Validators | None = None) -> Download | None:
        """The URL's body, or None when `validators` were given and the server says it has not changed (304)."""
        import httpx

        conditional = validators.headers() if validators else {}
        log.info("GET %s%s", url, " (conditional)" if conditional else "")
        with self._failures(url), self._client.stream("GET", url, headers=conditional) as response:
            if response.status_code == httpx.codes.NOT_MODIFIED:
                log.info("%s: not modified", url)
                return None
            if response.status_code >= 400:
                raise FetchError(url, f"HTTP {response.status_code} {response.reason_phrase}".rstrip())
            return self._download(url, response)

    def _download(self, url: str, response: httpx.Response) -> Download:
        limit = self.settings.max_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(url, _too_large(int(declared), limit))
        received = bytearray()
        for piece in response.iter_bytes():
            received += piece
            if len(received) > limit:  # stop reading: the rest of the body is never downloaded
                raise FetchError(url, _too_large(None, limit))
        media_type, charset = _content_type(response.headers.get("Content-Type", ""))
        return Download(
            requested=url,
            url=str(response.url),
            content_type=media_type,
            charset=charset,
            body=bytes(received),
            validators=Validators(response.headers.get("ETag", ""), response.headers.get("Last-Modified", "")),
        )

    @contextmanager
    def _failures(self, url: str) -> Iterator[None]:
        """httpx's exceptions as one-line reasons."""
        import httpx

        try:
            yield
        except httpx.TimeoutException:
            raise FetchError(url, f"timed out after {self.settings.timeout:g} s (ASSISTANT_FETCH_TIMEOUT)") from None
        except httpx.TooManyRedirects:
            raise FetchError(url, f"too many redirects (more than {self.settings.max_redirects})") from None
        except httpx.ConnectError as err:
            raise FetchError(url, f"cannot connect ({_first_line(err)})") from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as err:
            raise FetchError(url, f"not a URL that can be fetched ({_first_line(err)})") from None
        except httpx.HTTPError as err:  # the connection broke mid-body, a malformed response, …
            raise FetchError(url, f"{type(err).__name__} ({_first_line(err)})") from None


def _content_type(header: str) -> tuple[str, str]:
    message = Message()
    message["Content-Type"] = header or "application/octet-stream"
    return message.get_content_type().lower(), str(message.get_param("charset") or "")


def _meta_charset(head: bytes) -> str:
    found = META_CHARSET.search(head)
    return found.group(1).decode("ascii") if found else ""


def _too_large(size: int | None, limit: int) -> str:
    """size: what Content-Length declared; None when the body ran over the limit while it was read."""
    body = f"the body of {size / 1e6:.3g} MB" if size is not None else "the body"
    return f"{body} is over the {limit / 1e6:.3g} MB limit (ASSISTANT_MAX_FILE_MB); not read further"


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0][:160] if text else type(err).__name__
