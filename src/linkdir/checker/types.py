"""The engine's vocabulary: what it is told (:class:`EngineConfig`) and what it answers.

Kept apart from :mod:`linkdir.checker.engine` so that every module of the engine, and
everything outside it, can import these without an import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from json.encoder import encode_basestring
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from linkdir.checker.fingerprint import Fingerprint
    from linkdir.checker.netguard import Resolver
    from linkdir.config import Settings

__all__ = ["CheckResult", "EngineConfig", "Known", "Redirect", "Status"]

Status = Literal["ok", "moved", "broken", "unverified"]
# What is known of a link's last good answer: its ETag, Last-Modified and content hash
# (``Checker.check``: a conditional request, and no new fingerprint while unchanged).
Known = tuple[str | None, str | None, str | None]


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Everything the checker can be told. Tests shorten the timeouts and waits."""

    per_host: int = 2
    concurrency: int = 200
    timeout: float = 30.0  # total deadline for one URL, retries included
    user_agent: str = "linkdir (link checker)"
    allow_networks: tuple[str, ...] = ()
    max_body_bytes: int = 1_048_576  # decoded bytes of an HTML page read at most
    max_other_bytes: int = 65_536  # prefix of a PDF, image, … read at most
    max_redirects: int = 10
    max_retries: int = 2
    retry_backoff: float = 1.0  # first backoff in seconds, doubled per retry
    retry_after_max: float = 20.0  # a longer Retry-After is not waited for
    connect_timeout: float | None = None  # default: min(10, timeout / 3)
    read_timeout: float | None = None  # default: min(15, timeout / 2)
    extra_ca_file: str | None = None  # trusted in addition to certifi (tests)
    accept_language: str = "sv,en;q=0.8"
    probe_soft_404: bool = True  # probe a made-up sibling path for catch-all hosts
    probe_cache_size: int = 4096
    content_hashes: bool = True  # check-urls prints none, so it need not compute them
    fingerprints: bool = True  # for drift and suggestions (issue 14); check-urls prints none
    resolver: Resolver | None = field(default=None, compare=False, hash=False)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> EngineConfig:
        """The engine configuration that ``LINKDIR_CHECKER_*`` settings describe."""
        values: dict[str, Any] = {
            "per_host": settings.checker_per_host,
            "concurrency": settings.checker_concurrency,
            "timeout": settings.checker_timeout,
            "user_agent": settings.user_agent,
            "allow_networks": tuple(settings.checker_allow_networks),
        }
        values.update(overrides)
        return cls(**values)

    @property
    def connect_seconds(self) -> float:
        return self.connect_timeout or min(10.0, self.timeout / 3)

    @property
    def read_seconds(self) -> float:
        return self.read_timeout or min(15.0, self.timeout / 2)


@dataclass(frozen=True, slots=True)
class Redirect:
    """One hop: ``url`` answered ``status`` and sent us on (a meta refresh keeps its 200)."""

    url: str
    status: int

    def __reduce__(self) -> tuple[Any, ...]:
        return Redirect, (self.url, self.status)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The verdict on one URL, with what was learned on the way."""

    url: str
    status: Status
    http_status: int | None
    reason: str
    final_url: str | None
    redirects: tuple[Redirect, ...]
    modified: date | None
    content_hash: str | None
    elapsed_ms: int
    checked_at: datetime
    etag: str | None = None
    last_modified: str | None = None  # the raw header, for the next conditional request
    detail: str = ""  # human-readable precision: "certificate has expired"
    moved_to: str | None = None  # the new address for ``moved`` (see module docstring)
    title: str | None = None
    content_type: str | None = None
    attempts: int = 1
    other_site: bool = False  # final_url is on another registrable domain than url
    fingerprint: Fingerprint | None = None  # of a working HTML page (issue 14: drift)

    def to_json(self) -> dict[str, Any]:
        """The item shape of DESIGN §4 (``check-urls --format json``)."""
        return {
            "url": self.url,
            "status": self.status,
            "http_status": self.http_status,
            "reason": self.reason,
            "final_url": self.final_url,
            "redirects": [{"url": hop.url, "status": hop.status} for hop in self.redirects],
            "modified": self.modified.isoformat() if self.modified else None,
            "elapsed_ms": self.elapsed_ms,
            "checked_at": self.checked_at.astimezone(UTC)
            .isoformat(timespec="seconds")
            .replace("+00:00", "Z"),
            "other_site": self.other_site,
        }

    def to_json_text(self) -> str:
        """``json.dumps(self.to_json(), ensure_ascii=False)``, written directly.

        ``check-urls`` prints one of these per link; building the dict and running the
        encoder over it cost several times more than these few string joins. A test
        compares the two on results of every shape.
        """
        hops = ", ".join(
            f'{{"url": {encode_basestring(hop.url)}, "status": {int(hop.status)}}}'
            for hop in self.redirects
        )
        checked = (
            self.checked_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        )
        return (
            f'{{"url": {encode_basestring(self.url)}, '
            f'"status": {encode_basestring(self.status)}, '
            f'"http_status": {_json_int(self.http_status)}, '
            f'"reason": {encode_basestring(self.reason)}, '
            f'"final_url": {_json_str(self.final_url)}, '
            f'"redirects": [{hops}], '
            f'"modified": {_json_str(self.modified.isoformat() if self.modified else None)}, '
            f'"elapsed_ms": {int(self.elapsed_ms)}, '
            f'"checked_at": {encode_basestring(checked)}, '
            f'"other_site": {"true" if self.other_site else "false"}}}'
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Results cross processes (``check-urls --workers``): the values in field order
        # rebuild it through the constructor. The dataclass default pickles a list made
        # with ``fields()`` and restores it field by field, several times slower.
        return CheckResult, _result_values(self)


_result_values = attrgetter(*(f.name for f in fields(CheckResult)))


def _json_str(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


def _json_int(value: int | None) -> str:
    return "null" if value is None else str(int(value))
