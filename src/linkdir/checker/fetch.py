"""One hop of a check: a guarded, polite, retried GET with a bounded body.

:class:`Fetcher` owns what the hops of all checks share: the aiohttp session,
the SSRF guard, and the per-host limiter. The engine decides what the answers mean.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import aiohttp
import httpx
from httpx._urlparse import MAX_URL_LENGTH, IPv4_STYLE_HOSTNAME, ParseResult

from linkdir.checker import classify
from linkdir.checker.classify import Page
from linkdir.checker.netguard import AddressGuard, BlockedAddressError, NameResolutionError
from linkdir.checker.transport import (
    Body,
    HostLimiter,
    PoliteConnector,
    backoff,
    build_client,
    classify_error,
    read_body,
)

if TYPE_CHECKING:
    from linkdir.checker.types import EngineConfig

REDIRECTS = {301: True, 302: False, 303: False, 307: False, 308: True}  # code -> permanent
RETRY_STATUSES = {429, 500, 502, 503, 504}
HTML_TYPES = ("text/html", "application/xhtml+xml")
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class Failure(Exception):
    def __init__(self, reason: str, detail: str, retryable: bool = False) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.retryable = retryable


@dataclass(slots=True)
class Answer:
    url: httpx.URL
    status: int
    raw_headers: list[tuple[bytes, bytes]]  # as they came, for ``headers``
    body: Body | None
    content_type: str
    charset: str | None
    page: Page | None = None
    unheeded_retry_after: bool = False
    # What ``headers.get(name)`` gives, by lower-case name: the engine's few lookups cost
    # a dict get instead of httpx's scan and decode of every header (~5 µs each).
    values: dict[str, str] = field(default_factory=dict)

    def header(self, name: str, default: str | None = None) -> str | None:
        """``headers.get(name)`` (lower-case ``name``): duplicates joined with ", "."""
        return self.values.get(name, default)

    @property
    def headers(self) -> httpx.Headers:
        """httpx's headers of the answer, built when asked for (cookies, ``fetch_page``)."""
        return httpx.Headers(self.raw_headers)


def header_values(headers: httpx.Headers) -> dict[str, str]:
    """Every header as ``headers.get`` returns it, keyed by lower-case name."""
    values: dict[str, str] = {}
    for name, value in headers.multi_items():
        values[name] = f"{values[name]}, {value}" if name in values else value
    return values


def raw_header_values(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """``header_values(httpx.Headers(raw))`` without building the headers (~3x cheaper).

    The same decoding as httpx: every name and value as UTF-8 if all of them are (httpx
    tries ASCII first, which decodes the same), else as latin-1; names lower-cased as
    bytes first.
    """
    try:
        return _joined(raw, "utf-8")
    except UnicodeDecodeError:
        return _joined(raw, "iso-8859-1")


def _joined(raw: Iterable[tuple[bytes, bytes]], encoding: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for key, value in raw:
        name = key.lower().decode(encoding)
        text = value.decode(encoding)
        values[name] = f"{values[name]}, {text}" if name in values else text
    return values


@dataclass(slots=True)
class Run:
    """State of one check: its deadline, its cookies, its attempts."""

    deadline: asyncio.Timeout
    started: float
    jar: httpx.Cookies = field(default_factory=httpx.Cookies)
    queued: float = 0.0
    attempts: int = 0
    etag: str | None = None
    last_modified: str | None = None
    known_hash: str | None = None  # the content hash of the last good check
    host: str = ""  # the checked URL's host, to tell whether the answer is on another site

    def remaining(self) -> float:
        when = self.deadline.when()
        return float("inf") if when is None else when - asyncio.get_running_loop().time()

    async def take_slot(self, limiter: HostLimiter, host: str) -> None:
        """Queue for a host with the deadline clock stopped, then resume it.

        Waiting in line behind other checks of the same host is politeness, not the
        URL's slowness, so it must not count; the clock cannot just be extended
        afterwards, because it would have fired during the wait.
        """
        if limiter.try_acquire(host):
            return  # the common case: no queue, nothing to pause
        when = self.deadline.when()
        queued = 0.0
        self.deadline.reschedule(None)
        try:
            queued = await limiter.acquire(host)
        finally:
            self.queued += queued
            if when is not None:
                self.deadline.reschedule(when + queued)


class Fetcher:
    """Sends the GETs of every check through one guarded, polite transport."""

    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self.guard = AddressGuard(config.resolver, config.allow_networks)
        self.limiter = HostLimiter(config.per_host)
        self._client: httpx.AsyncClient | None = None
        self._session: aiohttp.ClientSession | None = None
        self._headers = {
            "User-Agent": config.user_agent,
            "Accept": ACCEPT,
            "Accept-Language": config.accept_language,
            # Only what we can inflate with a cap; br and zstd have no max_length.
            "Accept-Encoding": "gzip, deflate",
        }
        # aiohttp's timeouts: ``connect`` covers waiting for a pooled connection too, like
        # httpx's ``pool`` did (the host limiter has already given this request its slot).
        self._timeout = aiohttp.ClientTimeout(
            sock_connect=config.connect_seconds,
            sock_read=config.read_seconds,
            connect=config.connect_seconds,
        )

    def open(self) -> None:
        self._client, self._session = build_client(
            guard=self.guard,
            per_host=self.config.per_host,
            concurrency=self.config.concurrency,
            headers=self._headers,
            extra_ca_file=self.config.extra_ca_file,
        )

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()  # closes the session too (the transport owns it)
            self._client = None
            self._session = None

    @property
    def is_open(self) -> bool:
        return self._session is not None

    async def close_idle_to(self, hosts: Collection[str]) -> None:
        """Close the idle keep-alive sockets to ``hosts`` (see :meth:`Checker.close_idle_to`)."""
        connector = self._session.connector if self._session is not None else None
        if isinstance(connector, PoliteConnector):
            await connector.close_idle_to(hosts)

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("use Checker as `async with Checker(config) as checker:`")
        return self._session

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            raise RuntimeError("use Checker as `async with Checker(config) as checker:`")
        return self._client

    async def fetch(
        self,
        run: Run,
        url: httpx.URL,
        extra_headers: dict[str, str],
        *,
        body_limit: int | None = None,
    ) -> Answer:
        """One hop, retried while the failure is transient and time allows."""
        host = url.raw_host.decode("ascii").lower()
        retry = 0
        while True:
            run.attempts += 1
            try:
                answer = await self.exchange(run, url, host, extra_headers, body_limit)
            except Failure as failure:
                if not failure.retryable or retry >= self.config.max_retries:
                    raise
                delay = backoff(
                    retry, base=self.config.retry_backoff, cap=self.config.retry_after_max
                )
                if delay >= run.remaining() - 0.2:
                    raise
                retry += 1
                await asyncio.sleep(delay)
                continue
            wall = (answer.header("cf-mitigated") or "").lower() == "challenge"
            if answer.status not in RETRY_STATUSES or wall:
                if 200 <= answer.status < 500 and answer.status != 429:
                    self.limiter.recovered(host)
                return answer
            wait = retry_after(answer.header("retry-after"))
            if retry >= self.config.max_retries:
                return answer
            if wait is not None and wait > self.config.retry_after_max:
                answer.unheeded_retry_after = True
                return answer
            delay = (
                wait
                if wait is not None
                else backoff(retry, base=self.config.retry_backoff, cap=self.config.retry_after_max)
            )
            if delay >= run.remaining() - 0.2:
                answer.unheeded_retry_after = wait is not None
                return answer
            retry += 1
            if answer.status in (429, 503):
                self.limiter.slow_down(host, delay)  # the whole host waits, not just us
            await asyncio.sleep(delay)

    async def exchange(
        self,
        run: Run,
        url: httpx.URL,
        host: str,
        extra_headers: dict[str, str],
        body_limit: int | None,
    ) -> Answer:
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            # Resolve and vet before queueing for the host; the connector then dials
            # exactly these (cached) addresses.
            if not self.guard.vet_literal(host):
                await self.guard.resolve(host, port)
        except (BlockedAddressError, NameResolutionError) as error:
            reason, detail, _ = classify_error(error)
            raise Failure(reason, detail) from None
        await run.take_slot(self.limiter, host)
        try:
            headers = {**self._headers, **extra_headers} if extra_headers else self._headers
            if len(run.jar.jar):
                cookie = self.cookie_header(run.jar, url)
                if cookie:
                    headers = {**headers, "Cookie": cookie}
            try:
                # Straight to aiohttp: the session's PoliteConnector vets every address it
                # dials (names through the guarded resolver, literals itself) and keeps
                # the per-host socket budget; redirects are followed by the engine.
                response = await self.session.request(
                    "GET",
                    str(url),
                    headers=headers,
                    allow_redirects=False,
                    auto_decompress=False,
                    timeout=self._timeout,
                )
            except Exception as error:
                reason, detail, retryable = classify_error(error)
                raise Failure(reason, detail, retryable) from None
            try:
                # httpx's headers, built from the raw bytes as httpx-aiohttp did: the same
                # decoding (Location re-read as UTF-8 below) and the same joined duplicates.
                raw_headers = list(response.raw_headers)
                values = raw_header_values(raw_headers)
                status = response.status
                if "set-cookie" in values:
                    run.jar.extract_cookies(
                        httpx.Response(
                            status,
                            headers=httpx.Headers(raw_headers),
                            request=httpx.Request("GET", url),
                        )
                    )
                content_type, charset = content_type_of(values)
                if body_limit is not None:
                    limit = body_limit
                elif status in REDIRECTS or status >= 400:
                    limit = 16_384
                elif is_html(content_type):
                    limit = self.config.max_body_bytes
                else:
                    limit = self.config.max_other_bytes
                body = await self.read(run, response, limit)
            finally:
                # Back to the pool when the body was read to its end, closed otherwise.
                response.release()
                with contextlib.suppress(Exception):
                    await response.wait_for_close()
        finally:
            self.limiter.release(host)
        answer = Answer(
            url=url,
            status=status,
            raw_headers=raw_headers,
            body=body,
            content_type=content_type,
            charset=charset,
            values=values,
        )
        if (
            body.decodable
            and body.data
            and (is_html(content_type) or (not content_type and looks_like_html(body.data)))
        ):
            answer.page = classify.analyse(body.data, charset, today=datetime.now(UTC).date())
        return answer

    async def read(self, run: Run, response: aiohttp.ClientResponse, limit: int) -> Body:
        # A body trickling in forever must not eat the whole deadline: keep some back so
        # the verdict can still be given with what arrived.
        budget = max(0.05, min(self.config.read_seconds * 2, run.remaining() - 0.1))
        return await read_body(response, limit=limit, seconds=budget)

    @staticmethod
    def cookie_header(jar: httpx.Cookies, url: httpx.URL) -> str:
        request = httpx.Request("GET", url)
        jar.set_cookie_header(request)
        return str(request.headers.get("cookie", ""))


# ---------------------------------------------------------------------- URLs and headers


def parse_url(raw: str) -> httpx.URL | str:
    """The URL to request, or a message saying why it cannot be requested.

    httpx encodes what people paste: ``å`` and spaces in paths are percent-encoded as
    UTF-8, IDN hosts become punycode.
    """
    text = raw.strip()
    if not text:
        return "empty URL"
    plain = _plain_url(text)
    if plain is not None:
        return plain
    if any(ch in text for ch in "\r\n\t"):
        return "control characters in the URL"
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, ValueError, UnicodeError) as error:
        return str(error) or "not a URL"
    if url.scheme not in ("http", "https"):
        return f"not an http(s) URL: {url.scheme or 'no scheme'}"
    if not url.raw_host:
        return "no host in the URL"
    try:
        url.raw_host.decode("ascii")
    except UnicodeDecodeError:
        return "host cannot be encoded"
    return url.copy_with(fragment=None) if url.fragment else url


# An address already in the form httpx would give it: lower-case http(s) scheme and host,
# no user, no default port, a path and query of unreserved characters (and / = &), no
# dot segment, no fragment. httpx's parser would hand every part back unchanged.
_PLAIN_URL = re.compile(
    r"(https?)://([a-z0-9.-]+)(?::([1-9][0-9]{0,4}))?(/[A-Za-z0-9._~/-]*)(?:\?([A-Za-z0-9._~=&/-]*))?"
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _plain_url(text: str) -> httpx.URL | None:
    """``httpx.URL(text)`` for a plain address, without its parser (~3.5x cheaper); else None.

    ``httpx.URL`` percent-encodes, lower-cases and normalises every part with regexes and
    ``quote`` calls, ~15 µs per URL; most of what link checkers are given is already in
    that form. It builds the URL from httpx internals (``_urlparse.ParseResult``,
    ``URL._uri_reference``); tests compare it with ``httpx.URL`` on addresses of every
    shape, so an httpx upgrade that changes them fails there.
    """
    match = _PLAIN_URL.fullmatch(text)
    if match is None or len(text) > MAX_URL_LENGTH:
        return None
    scheme, host, port_text, path, query = match.groups()
    if "/." in path:
        return None  # "." and ".." segments are resolved by httpx
    if IPv4_STYLE_HOSTNAME.match(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return None  # httpx says why
    port = int(port_text) if port_text else None
    if port == _DEFAULT_PORTS[scheme]:
        port = None
    url = httpx.URL.__new__(httpx.URL)
    url._uri_reference = ParseResult(scheme, "", host, port, path, query, None)
    return url


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def content_hash_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def location(answer: Answer) -> httpx.URL | str | None:
    raw = answer.header("location")
    if raw is None or not raw.strip():
        return None
    # Headers arrive as latin-1; a raw UTF-8 Location ("/sök") is re-read as UTF-8.
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        raw = raw.encode("latin-1").decode("utf-8")
    return join(answer.url, raw)


def join(base: httpx.URL, target: str) -> httpx.URL | str:
    """Resolve a (relative) Location; a non-http(s) target comes back as a string."""
    try:
        joined = base.join(target.strip())
    except (httpx.InvalidURL, ValueError, UnicodeError):
        return target
    if joined.scheme not in ("http", "https") or not joined.raw_host:
        return target
    return joined.copy_with(fragment=None) if joined.fragment else joined


def same_resource(first: httpx.URL, second: httpx.URL) -> bool:
    return first.copy_with(fragment=None) == second.copy_with(fragment=None)


def content_type_of(headers: Mapping[str, str]) -> tuple[str, str | None]:
    raw = headers.get("content-type", "")
    main, _, params = raw.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    return main.strip().lower(), charset


def is_html(content_type: str) -> bool:
    return content_type in HTML_TYPES


def looks_like_html(data: bytes) -> bool:
    head = data[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<meta", b"<title"))
