"""The link-checker engine: URL in, :class:`CheckResult` out (DESIGN §3-4).

Pure: no database, no globals, no environment. :class:`Checker` owns the HTTP client,
the per-host limits, the DNS cache and the soft-404 probe cache for as long as it is
open; everything it knows comes from :class:`EngineConfig`.

How a URL is checked: one GET per hop (never HEAD: many servers answer HEAD wrongly or
not at all, and the body is needed for soft 404s and freshness anyway), reading a
bounded prefix of the body. Redirects, including ``<meta http-equiv="refresh">``, are
followed by hand so that every hop is vetted by the SSRF guard and cookies set along the
way stay with this one check. Transient failures (429/5xx, resets, timeouts) are retried
with backoff, honouring ``Retry-After`` up to ``retry_after_max`` and slowing the whole
host, before a verdict is given.

Verdicts and reasons
====================

=============  ======================  ==================================================
status         reason                  when
=============  ======================  ==================================================
ok             ok                      2xx, nothing suspicious
ok             temporary_redirect      reached a working page through a chain with at least
                                       one 302/303/307 hop (``moved_to`` names the target
                                       of a leading run of 301/308 hops, if any)
ok             not_modified            304 to a conditional request (ETag/Last-Modified)
moved          moved_permanently       every hop was 301/308 or a meta refresh, and the
                                       final page works: update the link to ``final_url``
moved          moved_other_site        the same, onto another registrable domain
                                       (``other_site``): a curator confirms first
broken         http_404, http_410, …   ``http_<code>`` for 4xx other than the walls below
broken         http_500, http_503, …   5xx that did not clear after retries
broken         soft_404                a 200 page saying it is gone (not found, removed,
                                       moved away, expired; :mod:`lexicon`, weighed by
                                       the page's shape), or the site's own not-found
                                       template (the sibling probe got it with a 404)
broken         home_redirect           a deep link redirected to a front page (the
                                       site's own or another organisation's)
broken         search_redirect         a deep link redirected to the site's search or
                                       to the index of the section that lost it
broken         same_page_everywhere    the host answers a made-up sibling path with the
                                       same page (or sends it to the same place)
broken         parked                  a parked or for-sale domain
broken         redirect_loop           a redirect chain that comes back on itself
broken         too_many_redirects      more than ``max_redirects`` hops
broken         redirect_without_location  3xx without a usable ``Location``
broken         unsupported_scheme      a redirect to ``ftp:``, ``mailto:``, …
broken         dns                     the name does not resolve (also a redirect's)
broken         refused                 connection refused
broken         reset                   connection dropped or reset, after retries
broken         unreachable             no route to the host
broken         tls                     certificate expired, self-signed, for another
                                       name, …; ``detail`` says which
broken         timeout                 connect/read timeouts after retries, or the total
                                       deadline (``timeout``) passed
broken         protocol_error          not HTTP, or malformed HTTP
broken         blocked_address         the SSRF guard refused the address (loopback,
                                       private, link-local, …) on some hop
broken         invalid_url             not an http(s) URL that can be requested
broken         empty_response          2xx whose body never arrived, or an HTML answer
                                       with nothing in it (not another content type)
broken         error                   anything unforeseen; ``detail`` names it
unverified     bot_wall                403, 406, 999, ``cf-mitigated: challenge``, or a
                                       challenge page ("Just a moment…")
unverified     login_required          401/407, or redirected to a login page
unverified     rate_limited            429 that did not clear within the retries or
                                       whose Retry-After outlasts the deadline
unverified     maintenance             "down for maintenance" wording, with 2xx or 5xx
unverified     http_503                503 whose ``Retry-After`` was longer than we wait
unverified     client_rendered         the page and a made-up sibling are the same empty
                                       shell (a JavaScript app): a robot cannot tell
=============  ======================  ==================================================

Redirect chains: ``moved`` needs every hop to be permanent. A temporary hop anywhere
means the owner says "this is where it is for now": if the chain ends on a temporary
target, offering ``final_url`` as the new address would swap a stable link for a
short-lived one (login hand-offs, language or campaign redirects), and a temporary hop
before a permanent one means the original address is the owner's stable entry point.
A leading run of permanent hops is still reported, as ``moved_to``, for a curator to
consider.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from linkdir.checker import classify, fingerprint
from linkdir.checker.fetch import (
    REDIRECTS,
    Answer,
    Failure,
    Fetcher,
    Run,
    content_hash_bytes,
    is_html,
    join,
    location,
    parse_url,
    same_resource,
)
from linkdir.checker.freshness import content_hash, header_date
from linkdir.checker.hosts import host_key
from linkdir.checker.probe import SiblingProbes
from linkdir.checker.sites import SiteNames, is_search_address, is_section_of
from linkdir.checker.transport import Body, classify_error
from linkdir.checker.types import CheckResult, EngineConfig, Known, Redirect, Status

_MAX_REFRESH_DELAY = 10.0  # longer meta refreshes are auto-reloads, not redirects
_UNKNOWN: Known = (None, None, None)


@dataclass(frozen=True, slots=True)
class FetchedPage:
    """A page fetched with the checker's safety rules, for the importer."""

    url: str
    final_url: str
    status: int
    headers: httpx.Headers
    text: str
    content_type: str
    redirects: tuple[Redirect, ...]
    truncated: bool


class FetchError(Exception):
    """``fetch_page`` could not get an answer; ``reason`` is one of the engine's reasons."""

    def __init__(self, url: str, reason: str, detail: str) -> None:
        super().__init__(f"{url}: {reason} ({detail})" if detail else f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.detail = detail


class Slots:
    """How many checks of one checker run at once, over all its ``check_many`` calls, in
    all and per host.

    ``config.concurrency`` is the checker's bound, not each call's: a foreground run and a
    worker feed one checker from several calls at once (one per claim or job), and without
    a shared count each would start ``concurrency`` checks of its own. A call that finds
    no slot free registers its result queue; a slot given back wakes every waiting call
    (a ``None`` on its queue), and whichever starts first takes it.

    ``config.per_host`` is counted here too, over all calls: a check started for a host
    whose connections are all in use by another call's checks would hold a slot while it
    waited for one (a foreground run's pipelined claims share most hosts, and a third of
    the slots went to checks waiting so). A call leaves such a host until a check of it
    ends (``(host, HOST_FREE)`` on the call's queue).
    """

    def __init__(self, limit: int, per_host: int) -> None:
        self.limit = max(1, limit)
        self.per_host = max(1, per_host)
        self.busy = 0
        self.hosts: dict[str, int] = {}  # checks running per host
        self._waiting: list[asyncio.Queue[Any]] = []
        self._host_waiting: dict[str, list[asyncio.Queue[Any]]] = {}

    def free(self) -> bool:
        return self.busy < self.limit

    def host_free(self, host: str) -> bool:
        return self.hosts.get(host, 0) < self.per_host

    def take(self, host: str) -> None:
        self.busy += 1
        self.hosts[host] = self.hosts.get(host, 0) + 1

    def wait(self, queue: asyncio.Queue[Any]) -> None:
        """Wake ``queue`` (put ``None``) when a slot is given back."""
        if queue not in self._waiting:
            self._waiting.append(queue)

    def wait_host(self, host: str, queue: asyncio.Queue[Any]) -> None:
        """Wake ``queue`` (put ``(host, HOST_FREE)``) when a check of ``host`` ends."""
        waiting = self._host_waiting.setdefault(host, [])
        if queue not in waiting:
            waiting.append(queue)

    def forget(self, queue: asyncio.Queue[Any]) -> None:
        if queue in self._waiting:
            self._waiting.remove(queue)
        for host in [h for h, waiting in self._host_waiting.items() if queue in waiting]:
            waiting = self._host_waiting[host]
            waiting.remove(queue)
            if not waiting:
                del self._host_waiting[host]

    def give(self, host: str) -> None:
        self.busy -= 1
        left = self.hosts[host] - 1
        if left:
            self.hosts[host] = left
        else:
            del self.hosts[host]
        for queue in self._host_waiting.pop(host, ()):
            queue.put_nowait((host, HOST_FREE))
        if self._waiting:
            waiting, self._waiting = self._waiting, []
            for queue in waiting:
                queue.put_nowait(None)


HOST_FREE = object()  # on a call's queue with a host: a check of that host ended elsewhere


class Checker:
    """Checks URLs; an async context manager owning the client and the per-host state."""

    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self.slots = Slots(config.concurrency, config.per_host)
        self._fetcher = Fetcher(config)
        self._probes = SiblingProbes(self._fetcher, config)
        self._sites = SiteNames()

    async def __aenter__(self) -> Checker:
        self._fetcher.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._probes.close()
        await self._fetcher.close()

    @property
    def client(self) -> httpx.AsyncClient:
        """An httpx client on the same guarded, polite transport (for ad-hoc requests)."""
        return self._fetcher.client

    async def close_idle_to(self, hosts: Collection[str]) -> None:
        """Close idle connections to ``hosts`` (lower-case names), keeping everything else:
        a batch of theirs is done, and their next one may be checked by another process,
        which must not find ours open beside its own."""
        await self._fetcher.close_idle_to(hosts)

    def held_back(self, host: str) -> float:
        """Seconds this checker still leaves ``host`` (a lower-case name) alone because it
        answered 429/503 with a Retry-After or a backoff; 0 when it is not held back."""
        return self._fetcher.limiter.held_back(host)

    # ------------------------------------------------------------------ public API

    async def check(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        known_hash: str | None = None,
    ) -> CheckResult:
        """Check one URL; never raises for anything the URL or its server does.

        ``etag`` and ``last_modified`` make the request conditional (a 304 means
        unchanged). ``known_hash``, the content hash of the link's last good check, says
        the same of a full answer: a page whose hash is still that gets no fingerprint
        (its content is the one already judged, as with a 304), most of a check's CPU on
        a page of tens of KB.
        """
        if not self._fetcher.is_open:
            raise RuntimeError("use Checker as `async with Checker(config) as checker:`")
        checked_at = datetime.now(UTC)
        started = time.monotonic()
        parsed = parse_url(url)
        if isinstance(parsed, str):
            return _result(url, "broken", None, "invalid_url", started, checked_at, detail=parsed)
        conditional: dict[str, str] = {}
        if etag:
            conditional["If-None-Match"] = etag
        if last_modified:
            conditional["If-Modified-Since"] = last_modified
        try:
            async with asyncio.timeout(self.config.timeout) as deadline:
                run = Run(
                    deadline=deadline,
                    started=started,
                    etag=etag,
                    last_modified=last_modified,
                    known_hash=known_hash,
                    host=parsed.host,
                )
                return await self._check(url, parsed, run, conditional, checked_at)
        except TimeoutError:
            return _result(
                url, "broken", None, "timeout", started, checked_at,
                detail=f"no answer within the {self.config.timeout:g} s deadline",
            )  # fmt: skip
        except Exception as error:  # a check reports; it does not crash
            reason, detail, _ = classify_error(error)
            return _result(url, "broken", None, reason, started, checked_at, detail=detail)

    async def check_many(
        self,
        urls: Iterable[str] | AsyncIterable[str],
        *,
        conditions: Mapping[str, Known] | None = None,
    ) -> AsyncIterator[CheckResult]:
        """Check URLs with bounded concurrency, yielding results as they finish.

        Input is read lazily into a bounded look-ahead and spread over hosts, so a list
        sorted by host does not leave all workers queueing on one host, and 100,000 URLs
        take no more memory than 1,000. ``conditions`` maps a URL to the ETag,
        Last-Modified and content hash of its last good answer (see :meth:`check`).
        """
        source = _aiter(urls)
        slots = self.slots  # shared with the checker's other calls
        limit = self.config.concurrency
        lookahead = max(1000, limit * 4)
        queues: dict[str, deque[str]] = {}
        ready: deque[str] = deque()
        # Finished checks report here: waiting on one queue costs the same for 2 or 2,000
        # running checks, where asyncio.wait() re-registers on every task each time. A
        # ``None`` says another call gave a slot back.
        finished: asyncio.Queue[tuple[str, Any] | None] = asyncio.Queue()
        tasks: set[asyncio.Task[None]] = set()
        outstanding = 0  # started and not yet yielded
        held: dict[str, int] = {}  # slots taken for this call's tasks, not given back yet
        buffered = 0
        exhausted = False

        async def run_one(url: str, host: str) -> None:
            try:
                etag, last_modified, known = (conditions or {}).get(url, _UNKNOWN)
                result = await self.check(
                    url, etag=etag, last_modified=last_modified, known_hash=known
                )
            finally:  # before the result goes out, so its reader finds the slot free
                held[host] -= 1
                slots.give(host)
            finished.put_nowait((host, result))

        def start_ready() -> None:
            nonlocal buffered, outstanding
            while ready and slots.free():
                host = ready.popleft()
                queue = queues.get(host)
                if not queue:
                    continue
                if not slots.host_free(host):  # until one of its checks ends, here or not
                    slots.wait_host(host, finished)
                    continue
                url = queue.popleft()
                if not queue:
                    del queues[host]
                buffered -= 1
                outstanding += 1
                held[host] = held.get(host, 0) + 1
                slots.take(host)
                task = asyncio.ensure_future(run_one(url, host))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                if host in queues and slots.host_free(host):
                    ready.append(host)

        try:
            while True:
                start_ready()
                if not exhausted and outstanding < limit and buffered < lookahead:
                    try:
                        url = await anext(source)
                    except StopAsyncIteration:
                        exhausted = True
                        continue
                    host = host_key(url)
                    if host is None:
                        yield await self.check(url)
                        continue
                    queue = queues.get(host)
                    if queue is None:
                        queues[host] = queue = deque()
                        ready.append(host)  # (a host with a queue is ready or waited for)
                    queue.append(url)
                    buffered += 1
                    continue
                if ready and not slots.free():  # the checker's other calls hold every slot
                    slots.wait(finished)
                elif not outstanding and not queues:
                    if exhausted:
                        return
                    continue
                item = await finished.get()
                if item is None:  # a slot came free: try again
                    continue
                host, result = item
                if result is not HOST_FREE:
                    outstanding -= 1
                if host in queues:
                    ready.append(host)
                if result is not HOST_FREE:
                    yield result
        finally:
            slots.forget(finished)
            for task in list(tasks):
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            for host, count in held.items():  # tasks cancelled before they ran kept theirs
                for _ in range(count):
                    slots.give(host)

    async def fetch_page(self, url: str, *, max_bytes: int) -> FetchedPage:
        """GET a page with the same SSRF guard, politeness and caps; follows HTTP redirects.

        Raises :class:`FetchError` when no HTTP answer could be had. Any HTTP status is
        returned as is: the caller decides what a 404 means to it.
        """
        parsed = parse_url(url)
        if isinstance(parsed, str):
            raise FetchError(url, "invalid_url", parsed)
        try:
            async with asyncio.timeout(self.config.timeout) as deadline:
                run = Run(deadline=deadline, started=time.monotonic())
                current = parsed
                hops: list[Redirect] = []
                for _ in range(self.config.max_redirects + 1):
                    answer = await self._fetcher.fetch(run, current, {}, body_limit=max_bytes)
                    target = location(answer)
                    if answer.status not in REDIRECTS or target is None:
                        break
                    hops.append(Redirect(str(current), answer.status))
                    if isinstance(target, str):
                        raise FetchError(url, "unsupported_scheme", target)
                    current = target
                else:
                    raise FetchError(url, "too_many_redirects", "")
        except Failure as failure:
            raise FetchError(url, failure.reason, failure.detail) from None
        except TimeoutError:
            raise FetchError(url, "timeout", "deadline passed") from None
        body = answer.body or Body(b"", complete=True, decodable=True)
        return FetchedPage(
            url=url,
            final_url=str(answer.url),
            status=answer.status,
            headers=answer.headers,
            text=classify.decode_html(body.data, answer.charset) if body.decodable else "",
            content_type=answer.content_type,
            redirects=tuple(hops),
            truncated=not body.complete,
        )

    # ------------------------------------------------------------------ one check

    async def _check(
        self,
        url: str,
        start: httpx.URL,
        run: Run,
        conditional: dict[str, str],
        checked_at: datetime,
    ) -> CheckResult:
        current = start
        hops: list[Redirect] = []
        permanent: list[bool] = []
        seen = {(str(start), "")}

        def done(
            status: Status, reason: str, answer: Answer | None = None, **extra: Any
        ) -> CheckResult:
            return self._finish(url, status, reason, run, checked_at, answer, hops, **extra)

        while True:
            try:
                answer = await self._fetcher.fetch(run, current, conditional if not hops else {})
            except Failure as failure:
                return done("broken", failure.reason, detail=failure.detail, final_url=str(current))
            target: httpx.URL | str | None = None
            is_permanent = False
            if answer.status in REDIRECTS:
                target = location(answer)
                if target is None:
                    return done("broken", "redirect_without_location", answer)
                is_permanent = REDIRECTS[answer.status]
            elif answer.page is not None and answer.page.refresh is not None:
                delay, where = answer.page.refresh
                if delay <= _MAX_REFRESH_DELAY and 200 <= answer.status < 300:
                    target = join(current, where)
                    is_permanent = True  # an instant meta refresh is how static hosts say 301
                    if isinstance(target, httpx.URL) and same_resource(target, current):
                        target = None  # a page that reloads itself is not a redirect
            if target is None:
                break
            hops.append(Redirect(str(current), answer.status))
            permanent.append(is_permanent)
            if isinstance(target, str):
                return done("broken", "unsupported_scheme", answer, detail=target)
            if len(hops) > self.config.max_redirects:
                return done("broken", "too_many_redirects", answer, final_url=str(target))
            cookie = self._fetcher.cookie_header(run.jar, target)
            if (str(target), cookie) in seen:
                return done("broken", "redirect_loop", answer, final_url=str(target))
            seen.add((str(target), cookie))
            current = target
        return await self._decide(url, start, answer, hops, permanent, run, checked_at)

    async def _decide(
        self,
        url: str,
        start: httpx.URL,
        answer: Answer,
        hops: list[Redirect],
        permanent: list[bool],
        run: Run,
        checked_at: datetime,
    ) -> CheckResult:
        def done(status: Status, reason: str, **extra: Any) -> CheckResult:
            return self._finish(url, status, reason, run, checked_at, answer, hops, **extra)

        code = answer.status
        page = answer.page
        final = answer.url
        challenge_header = (answer.header("cf-mitigated") or "").strip().lower() == "challenge"
        if challenge_header or code == 999:
            return done("unverified", "bot_wall", detail="the site challenges robots")
        if code == 304:
            return done("ok", "not_modified")
        if code in (401, 407):
            return done("unverified", "login_required")
        if code in (403, 406):
            if page is not None and page.not_found:
                return done("broken", "soft_404", detail=f"{code} with a not-found page")
            return done("unverified", "bot_wall", detail=f"HTTP {code} to a robot")
        if code == 429:
            return done("unverified", "rate_limited", detail="429 did not clear")
        if code >= 500 and page is not None and page.maintenance:
            return done("unverified", "maintenance", detail=_said(page.evidence))
        if code == 503 and answer.unheeded_retry_after:
            return done("unverified", f"http_{code}", detail="asked to come back later")
        if not 200 <= code < 300:
            return done("broken", f"http_{code}")

        if page is not None and page.challenge:
            return done("unverified", "bot_wall", detail="challenge page")
        if classify.is_parking_host(final.host) or (page is not None and page.parked):
            return done("broken", "parked")
        if page is not None and page.not_found:
            return done("broken", "soft_404", detail=_said(page.evidence))
        if page is not None and page.maintenance:
            return done("unverified", "maintenance", detail=_said(page.evidence))
        deep = not classify.is_home_path(start.path)
        elsewhere = not self._sites.same_site(start.host, final.host)
        if hops and deep and classify.is_home_path(final.path):
            detail = (
                "a deep link lands on another site's front page"
                if elsewhere
                else "a deep link lands on the front page"
            )
            return done("broken", "home_redirect", detail=detail)
        if not classify.is_login_path(start.path) and (
            (hops and classify.is_login_path(final.path)) or (page is not None and page.login_form)
        ):
            return done("unverified", "login_required", detail="redirected to a login page")
        if answer.body is not None and not answer.body.data and answer.body.error == "timeout":
            return done("broken", "empty_response", detail="the body never arrived")
        if self._empty(answer):
            return done("broken", "empty_response", detail="the page is empty")
        if deep and page is not None and self.config.probe_soft_404:
            verdict = await self._probes.compare(start, answer, bool(hops))
            if verdict is not None:
                status, reason, detail = verdict
                return done(status, reason, detail=detail)
        # After the probe: a host that sends *every* path to one page says so more
        # precisely (same_page_everywhere).
        if hops and deep and not elsewhere:
            lost = self._lost_item(start, final, page)
            if lost:
                return done("broken", "search_redirect", detail=lost)

        if not hops:
            return done("ok", "ok")
        if all(permanent):
            if elsewhere:
                # The same content on another organisation's site is still a move, but a
                # curator confirms it before the directory follows (a domain can be sold).
                return done("moved", "moved_other_site", moved_to=str(final))
            return done("moved", "moved_permanently", moved_to=str(final))
        leading = next(i for i, kept in enumerate(permanent) if not kept)
        return done("ok", "temporary_redirect", moved_to=hops[leading].url if leading > 0 else None)

    @staticmethod
    def _lost_item(start: httpx.URL, final: httpx.URL, page: classify.Page | None) -> str:
        """Why a redirect target is the site's search or an index instead of the item."""
        start_query = start.query.decode("ascii", "replace")
        final_query = final.query.decode("ascii", "replace")
        if is_search_address(start.path, start_query):
            return ""  # a search link that stays a search is fine
        if is_search_address(final.path, final_query) or (page is not None and page.search_page):
            return "a deep link is sent to the site's search"
        if is_section_of(final.path, start.path):
            return "a deep link is sent to the section's index page"
        return ""

    @staticmethod
    def _empty(answer: Answer) -> bool:
        """A 2xx to an HTML address with nothing in it (no text, no script, no media)."""
        body = answer.body
        if body is None or not body.decodable or answer.status == 204:
            return False
        if answer.content_type and not is_html(answer.content_type):
            return False  # the content type says it is something else: its business
        if answer.page is not None:
            return answer.page.empty
        return not body.data.strip()

    def _finish(
        self,
        url: str,
        status: Status,
        reason: str,
        run: Run,
        checked_at: datetime,
        answer: Answer | None,
        hops: list[Redirect],
        *,
        detail: str = "",
        final_url: str | None = None,
        moved_to: str | None = None,
    ) -> CheckResult:
        elapsed = time.monotonic() - run.started - run.queued
        if answer is None:
            return CheckResult(
                url=url, status=status, http_status=None, reason=reason,
                final_url=final_url, redirects=tuple(hops), modified=None,
                content_hash=None, elapsed_ms=int(elapsed * 1000), checked_at=checked_at,
                detail=detail, attempts=max(1, run.attempts),
            )  # fmt: skip
        page = answer.page
        modified = page.modified if page is not None else None
        raw_last_modified = answer.header("last-modified")
        etag = answer.header("etag")
        if answer.status == 304:  # unchanged: what the caller sent still holds
            raw_last_modified = raw_last_modified or run.last_modified
            etag = etag or run.etag
        if modified is None and raw_last_modified:
            modified = header_date(raw_last_modified, received=datetime.now(UTC))
        if modified is None and page is not None:
            modified = page.published
        other_site = bool(run.host) and not self._sites.same_site(run.host, answer.url.host)
        digest: str | None = None
        if not self.config.content_hashes:
            pass
        elif page is not None:
            digest = content_hash(page.main_text, squashed=True)
        elif answer.body is not None and answer.body.complete and answer.body.data:
            digest = content_hash_bytes(answer.body.data)
        return CheckResult(
            url=url,
            status=status,
            http_status=answer.status,
            reason=reason,
            final_url=final_url or str(answer.url),
            redirects=tuple(hops),
            modified=modified,
            content_hash=digest,
            elapsed_ms=int(elapsed * 1000),
            checked_at=checked_at,
            etag=etag,
            last_modified=raw_last_modified,
            detail=detail,
            moved_to=moved_to,
            title=(page.title or None) if page is not None else None,
            content_type=answer.content_type or None,
            attempts=max(1, run.attempts),
            other_site=other_site,
            fingerprint=(
                _fingerprint(answer)
                if self.config.fingerprints
                and status in ("ok", "moved")
                and (digest is None or digest != run.known_hash)
                else None
            ),
        )


# ---------------------------------------------------------------------- helpers


def _said(evidence: str) -> str:
    return f'the page says "{evidence[:120]}"' if evidence else ""


def _result(
    url: str,
    status: Status,
    http_status: int | None,
    reason: str,
    started: float,
    checked_at: datetime,
    *,
    detail: str = "",
) -> CheckResult:
    return CheckResult(
        url=url,
        status=status,
        http_status=http_status,
        reason=reason,
        final_url=None,
        redirects=(),
        modified=None,
        content_hash=None,
        elapsed_ms=int((time.monotonic() - started) * 1000),
        checked_at=checked_at,
        detail=detail,
    )


def _fingerprint(answer: Answer) -> fingerprint.Fingerprint | None:
    if answer.page is None or not 200 <= answer.status < 300:
        return None
    return fingerprint.of_page(answer.page, answer.body.data if answer.body else b"")


async def _aiter(urls: Iterable[str] | AsyncIterable[str]) -> AsyncIterator[str]:
    if isinstance(urls, AsyncIterable):
        async for url in urls:
            yield url
    else:
        for url in urls:
            yield url
