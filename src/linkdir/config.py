"""Settings: one frozen dataclass, read once from ``LINKDIR_*`` environment variables.

Nothing else in linkdir reads ``os.environ``. Each field's metadata carries the text of the
README's settings table; ``tests/test_config.py`` keeps the two in step.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

PREFIX = "LINKDIR_"
MIN_SECRET_KEY_LENGTH = 32
_WEAK_SECRETS = {"secret", "changeme", "change-me", "password", "linkdir", "development", "dev"}


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _ascii_url(url: str) -> str:
    """``url`` with an internationalised host in IDNA and other non-ASCII percent-encoded."""
    if url.isascii():
        return url
    from urllib.parse import quote, urlsplit, urlunsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_host = quote(host)
    netloc = ascii_host + (f":{parts.port}" if parts.port else "")
    return urlunsplit(
        (parts.scheme, netloc, quote(parts.path, safe="/%"), quote(parts.query, safe="=&%"), "")
    )


class SettingsError(ValueError):
    """A setting has a value linkdir cannot use; the message names the variable."""


def _doc(text: str, *, example: str | None = None) -> dict[str, Any]:
    return {"doc": text, "example": example}


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything linkdir can be told from the outside."""

    env: str = field(
        default="production",
        metadata=_doc(
            "`development` or `production`. Development generates a throw-away secret key "
            "and allows plain-http cookies; production insists on a strong secret key.",
            example="development",
        ),
    )
    database_url: str = field(
        default="sqlite+aiosqlite:///./linkdir.db",
        metadata=_doc(
            "SQLAlchemy URL of the database: SQLite (embedded) or "
            "`postgresql+asyncpg://user@host/db` (scale-out).",
        ),
    )
    secret_key: str = field(
        default="",
        metadata=_doc(
            "Signs sessions and derives token hashes; at least 32 characters. "
            "Or put it in a file and name the file in `LINKDIR_SECRET_KEY_FILE`. "
            "Required outside development.",
        ),
    )
    base_url: str = field(
        default="http://127.0.0.1:8000",
        metadata=_doc(
            "Public address of the site, used in feeds, links in e-mails and the checker's "
            "User-Agent (a Swedish host name goes there as IDNA). `https://` turns on Secure "
            "cookies. Unset, `linkdir serve` uses the "
            "address it listens on (`--host`, `--port`), so the first-run setup address works "
            "on any port.",
        ),
    )
    demo: bool = field(
        default=False,
        metadata=_doc(
            "Load the demo directory (Swedish resources on digital participation) into an "
            "empty database at start-up. `make run` turns it on.",
        ),
    )
    run_migrations: bool = field(
        default=False,
        metadata=_doc(
            "`1`: `linkdir serve` applies the database migrations before it serves, on "
            "PostgreSQL too (the container's web service sets it). On SQLite they always run "
            "unless `--no-migrate`.",
        ),
    )
    accessibility_contact: str = field(
        default="",
        metadata=_doc(
            "Where visitors report accessibility problems, shown in the accessibility "
            "statement: an e-mail address or an `https://` address of a form. Empty: the "
            "statement asks them to contact the organisation that runs the site.",
            example="tillganglighet@bibliotek.se",
        ),
    )
    log_level: str = field(
        default="INFO",
        metadata=_doc("Python logging level: DEBUG, INFO, WARNING, ERROR or CRITICAL."),
    )
    log_format: str = field(
        default="text",
        metadata=_doc(
            "`text` (lines for people) or `json` (one JSON object a line: time, level, "
            "logger, request id, and host and verdict for checks)."
        ),
    )
    metrics: bool = field(
        default=False,
        metadata=_doc(
            "`1`: serve Prometheus metrics at `/metrics`. Off by default, so the public "
            "site shows none; `LINKDIR_METRICS_TOKEN` turns it on too."
        ),
    )
    metrics_token: str = field(
        default="",
        metadata=_doc(
            "If set, `/metrics` is served and wants `Authorization: Bearer <token>` "
            "(the scraper's `bearer_token`).",
        ),
    )
    shutdown_grace: timedelta = field(
        default=timedelta(seconds=20),
        metadata=_doc(
            "On SIGTERM or SIGINT a worker takes no new jobs and lets running host batches "
            "finish this long; then it gives their unchecked links back and exits. Keep "
            "it below the container's stop timeout (compose: `stop_grace_period`).",
        ),
    )
    job_lease: timedelta = field(
        default=timedelta(seconds=30),
        metadata=_doc(
            "PostgreSQL: how long a worker holds a check job it took (renewed every half of "
            "it while it runs); a killed worker's jobs go to another worker after this.",
        ),
    )
    session_idle: timedelta = field(
        default=timedelta(hours=2),
        metadata=_doc("A curator's browser session ends after this long without a request."),
    )
    session_max_age: timedelta = field(
        default=timedelta(hours=12),
        metadata=_doc("A curator's browser session ends this long after sign-in, whatever."),
    )
    login_max_failures: int = field(
        default=5,
        metadata=_doc(
            "Failed sign-ins on one account (or 4× as many from one address) before it is "
            "locked for `LINKDIR_LOGIN_LOCKOUT`. Failures before that are slowed down."
        ),
    )
    login_lockout: timedelta = field(
        default=timedelta(minutes=15),
        metadata=_doc("How long a locked account or address must wait."),
    )
    checker_per_host: int = field(
        default=2,
        metadata=_doc("Most connections the checker opens to one host at a time."),
    )
    checker_concurrency: int = field(
        default=200,
        metadata=_doc("Most URLs the checker works on at once, over all hosts."),
    )
    checker_timeout: float = field(
        default=30.0,
        metadata=_doc(
            "Total deadline for checking one URL, retries included, in seconds. "
            "Single connect and read timeouts are derived from it."
        ),
    )
    checker_user_agent: str = field(
        default="",
        metadata=_doc(
            "User-Agent of the checker. Empty means `linkdir/VERSION (+BASE_URL; link checker)`.",
        ),
    )
    checker_allow_networks: tuple[str, ...] = field(
        default=(),
        metadata=_doc(
            "Comma-separated CIDRs the checker may reach although they are not public "
            "(loopback, private, link-local). Empty by default: the checker is no proxy "
            "into private networks.",
            example="127.0.0.0/8",
        ),
    )
    check_interval_ok: timedelta = field(
        default=timedelta(days=7),
        metadata=_doc(
            "How often a working link is rechecked (with jitter). Durations take "
            "`s`, `m`, `h`, `d`, `w` or `y` suffixes; a bare number is seconds.",
            example="7d",
        ),
    )
    confirm_checks: int = field(
        default=3,
        metadata=_doc("Failing checks needed before a link is reported broken."),
    )
    check_claim: timedelta = field(
        default=timedelta(minutes=5),
        metadata=_doc(
            "Least time a dispatched link stays claimed; a dead worker's links are checked"
            " again after this."
        ),
    )
    dispatch_batch: int = field(
        default=1000,
        metadata=_doc(
            "Most links one dispatch claims. A host's links claimed together are one batch;"
            " a host gets its next batch only when the last one is done."
        ),
    )
    confirm_span: timedelta = field(
        default=timedelta(hours=48),
        metadata=_doc("Time the failing checks must span before a link is reported broken."),
    )
    stale_after: timedelta = field(
        default=timedelta(days=730),
        metadata=_doc("A page whose own last-updated date is older than this is stale."),
    )
    check_history: int = field(
        default=50,
        metadata=_doc("Check results kept per resource (the newest; older ones are deleted)."),
    )
    wayback_api_url: str = field(
        default="https://archive.org/wayback/available",
        metadata=_doc("Internet Archive availability API used by the `use_archive` fix."),
    )
    doi_resolver_url: str = field(
        default="https://doi.org/",
        metadata=_doc("Resolver a DOI is appended to when a moved resource's new home is sought."),
    )
    urn_resolver_url: str = field(
        default="https://urn.kb.se/resolve?urn=",
        metadata=_doc("Resolver a URN:NBN is appended to (the National Library's, for `se`)."),
    )
    handle_resolver_url: str = field(
        default="https://hdl.handle.net/",
        metadata=_doc("Resolver a Handle is appended to."),
    )
    suggest_max_fetches: int = field(
        default=12,
        metadata=_doc(
            "Most requests made while looking for one broken or replaced link's new home "
            "(sitemaps, section pages, identifiers, candidates)."
        ),
    )
    websub_hub_url: str = field(
        default="",
        metadata=_doc("WebSub hub notified when a feed changes. Empty: no pings."),
    )
    smtp_url: str = field(
        default="",
        metadata=_doc(
            "Mail server for digests, invitations and password resets: `smtp://host:25`, "
            "`smtp+starttls://user:pass@host:587` or `smtps://user:pass@host:465`. Empty: no "
            "mail is sent and the pages say so (development prints mails to the log).",
            example="smtp+starttls://linkdir@bibliotek.se@smtp.bibliotek.se:587",
        ),
    )
    smtp_password_file: str = field(
        default="",
        metadata=_doc(
            "A file holding the SMTP password (for container secrets); used when "
            "`LINKDIR_SMTP_URL` names a user but no password."
        ),
    )
    smtp_timeout: float = field(
        default=30.0,
        metadata=_doc("Seconds to wait for the mail server before a send counts as failed."),
    )
    mail_from: str = field(
        default="",
        metadata=_doc(
            "Sender address of linkdir's mails. Empty: `linkdir@` and the host of "
            "`LINKDIR_BASE_URL`.",
            example="lankar@regionbibliotek.se",
        ),
    )
    digest_hour: int = field(
        default=7,
        metadata=_doc(
            "Hour of the day (0-23, Swedish time) from which the day's digests go out; "
            "weekly digests go out on Mondays."
        ),
    )
    site_name: str = field(
        default="linkdir",
        metadata=_doc(
            "The site's name, shown in page titles, the header, feeds and mails.",
            example="Länkar om digital delaktighet",
        ),
    )
    site_organisation: str = field(
        default="",
        metadata=_doc(
            "The organisation that runs the site (the library), named in the header, "
            "feeds, mails and the accessibility statement. Empty: not named.",
            example="Regionbibliotek Exempel",
        ),
    )
    site_logo: str = field(
        default="",
        metadata=_doc(
            "A PNG, SVG, JPEG or WebP file shown as the logo in the header. Empty: no logo.",
        ),
    )
    embed_origins: tuple[str, ...] = field(
        default=(),
        metadata=_doc(
            "Comma-separated origins (`https://www.bibliotek.se`) whose pages may show "
            "`/embed/…` lists in an iframe and read `/api/v1/embed/…` from a script (CORS). "
            "Empty: no site may frame linkdir; every other page stays unframable anyway.",
            example="https://www.bibliotek.se,https://bibliotek.kommun.se",
        ),
    )
    import_max_bytes: int = field(
        default=20_000_000,
        metadata=_doc(
            "Largest file (or fetched links page) `linkdir import` and `/manage/import` "
            "accept, in bytes."
        ),
    )

    @property
    def is_development(self) -> bool:
        return self.env == "development"

    @property
    def metrics_enabled(self) -> bool:
        return self.metrics or bool(self.metrics_token)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def user_agent(self) -> str:
        from linkdir import __version__

        # A header holds ASCII only: a Swedish host name (länkar.region.se) goes as IDNA.
        return self.checker_user_agent or (
            f"linkdir/{__version__} (+{_ascii_url(self.base_url)}; link checker)"
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read ``LINKDIR_*`` variables; ``overrides`` win (tests use them)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for spec in dataclasses.fields(cls):
            name = PREFIX + spec.name.upper()
            raw = environ.get(name)
            if spec.name == "secret_key" and not raw and environ.get(name + "_FILE"):
                raw = _read_secret_file(environ[name + "_FILE"], name + "_FILE")
            if raw is None:
                continue
            values[spec.name] = _parse(spec, raw.strip(), name)
        values.update(overrides)
        settings = cls(**values)
        return settings.validated()

    def validated(self) -> Settings:
        """Check values that depend on each other; fill a development secret key."""
        if self.env not in {"development", "production"}:
            raise SettingsError(
                f"LINKDIR_ENV must be 'development' or 'production', not {self.env!r}."
            )
        if not re.match(r"^https?://[^/\s]+", self.base_url):
            raise SettingsError(
                f"LINKDIR_BASE_URL must be an absolute http(s) address, not {self.base_url!r}."
            )
        for name in (
            "checker_per_host",
            "checker_concurrency",
            "confirm_checks",
            "check_history",
            "dispatch_batch",
            "import_max_bytes",
        ):
            if getattr(self, name) < 1:
                raise SettingsError(f"{PREFIX}{name.upper()} must be at least 1.")
        if self.log_level.upper() not in LOG_LEVELS:
            raise SettingsError(
                f"LINKDIR_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {self.log_level!r}."
            )
        if not self.checker_user_agent.isascii():
            raise SettingsError(
                "LINKDIR_CHECKER_USER_AGENT must be ASCII (it is sent as an HTTP header), "
                f"not {self.checker_user_agent!r}."
            )
        if self.log_format not in {"text", "json"}:
            raise SettingsError(
                f"LINKDIR_LOG_FORMAT must be 'text' or 'json', not {self.log_format!r}."
            )
        if self.smtp_url and not re.match(r"^(smtp|smtps|smtp\+starttls)://[^/\s]+", self.smtp_url):
            raise SettingsError(
                "LINKDIR_SMTP_URL must start with smtp://, smtp+starttls:// or smtps:// and "
                "name a host."
            )
        if self.mail_from and not re.match(r"^[^@\s]+@[^@\s]+$", self.mail_from):
            raise SettingsError(
                f"LINKDIR_MAIL_FROM must be an e-mail address, not {self.mail_from!r}."
            )
        if not 0 <= self.digest_hour <= 23:
            raise SettingsError("LINKDIR_DIGEST_HOUR must be an hour from 0 to 23.")
        if not self.smtp_timeout > 0 or not math.isfinite(self.smtp_timeout):
            raise SettingsError("LINKDIR_SMTP_TIMEOUT must be a positive number of seconds.")
        if self.site_logo and not self.site_logo.lower().endswith(LOGO_SUFFIXES):
            raise SettingsError(
                "LINKDIR_SITE_LOGO must be a .png, .svg, .jpg, .jpeg or .webp file."
            )
        if not self.checker_timeout > 0 or not math.isfinite(self.checker_timeout):
            raise SettingsError("LINKDIR_CHECKER_TIMEOUT must be a positive number of seconds.")
        if self.job_lease < timedelta(seconds=2):
            raise SettingsError("LINKDIR_JOB_LEASE must be at least 2 seconds.")
        contact = self.accessibility_contact
        if contact and not (
            re.match(r"^https?://[^/\s]+", contact) or re.match(r"^[^@\s/]+@[^@\s/]+$", contact)
        ):
            raise SettingsError(
                "LINKDIR_ACCESSIBILITY_CONTACT must be an e-mail address or an http(s) "
                f"address, not {contact!r}."
            )
        if not self.database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise SettingsError(
                "LINKDIR_DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://."
            )
        problem = secret_key_problem(self.secret_key)
        if problem and not self.is_development:
            raise SettingsError(
                f"LINKDIR_SECRET_KEY {problem}. Generate one with "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'` and set "
                "LINKDIR_SECRET_KEY (or LINKDIR_SECRET_KEY_FILE), or set "
                "LINKDIR_ENV=development for a throw-away key."
            )
        if problem:
            return dataclasses.replace(
                self, secret_key=GENERATED_PREFIX + secrets.token_urlsafe(48)
            )
        return self

    @property
    def mail_enabled(self) -> bool:
        return bool(self.smtp_url)

    @property
    def sender(self) -> str:
        """The From address of linkdir's mails."""
        from urllib.parse import urlsplit

        return self.mail_from or f"linkdir@{urlsplit(self.base_url).hostname or 'localhost'}"

    def smtp_password(self) -> str:
        """The SMTP password from ``LINKDIR_SMTP_PASSWORD_FILE`` ('' when none is named)."""
        if not self.smtp_password_file:
            return ""
        return _read_secret_file(self.smtp_password_file, "LINKDIR_SMTP_PASSWORD_FILE")

    @property
    def secret_key_was_generated(self) -> bool:
        return self.secret_key.startswith(GENERATED_PREFIX)


GENERATED_PREFIX = "generated-for-development:"
# Where `linkdir serve` in development keeps its generated key, so a restart keeps the
# curators signed in (git-ignored; relative to the directory it runs in).
DEVELOPMENT_KEY_FILE = Path(".linkdir-development-key")


def keep_development_key(settings: Settings, path: Path = DEVELOPMENT_KEY_FILE) -> Settings:
    """Development settings whose generated key is the one kept in ``path`` (made once)."""
    if not (settings.is_development and settings.secret_key_was_generated):
        return settings
    try:
        kept = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        kept = ""
    if secret_key_problem(kept.removeprefix(GENERATED_PREFIX)) is not None:
        kept = settings.secret_key
        path.touch(mode=0o600)
        path.write_text(kept + "\n", encoding="utf-8")
    return dataclasses.replace(settings, secret_key=kept)


LOGO_SUFFIXES = (".png", ".svg", ".jpg", ".jpeg", ".webp")


def secret_key_problem(key: str) -> str | None:
    """Why ``key`` is unfit as a secret key, or None when it is fine."""
    if not key:
        return "is not set"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"is too short ({len(key)} characters; at least {MIN_SECRET_KEY_LENGTH} needed)"
    if key.lower() in _WEAK_SECRETS or len(set(key)) < 8:
        return "is too weak (too few different characters)"
    return None


def _read_secret_file(path: str, name: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as error:
        raise SettingsError(f"{name}: cannot read {path!r}: {error.strerror}.") from None
    except UnicodeDecodeError:
        raise SettingsError(
            f"{name}: {path!r} is not text (UTF-8); put a printable secret in it, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'` "
            "or `openssl rand -base64 48`."
        ) from None


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdwy]?)$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def parse_duration(raw: str) -> timedelta:
    """Parse ``90``, ``30m``, ``48h``, ``7d``, ``2w`` or ``2y`` into a timedelta."""
    match = _DURATION.match(raw.strip().lower())
    if not match:
        raise ValueError(f"not a duration: {raw!r} (use e.g. 90, 30m, 48h, 7d)")
    try:
        return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])
    except OverflowError:
        raise ValueError(f"too long a duration: {raw!r}") from None


def _parse(spec: dataclasses.Field[Any], raw: str, name: str) -> Any:
    kind = spec.type
    try:
        if kind == "bool":
            lowered = raw.lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(f"expected true/false, got {raw!r}")
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "timedelta":
            return parse_duration(raw)
        if kind == "tuple[str, ...]":
            items = tuple(item.strip() for item in raw.split(",") if item.strip())
            if spec.name == "checker_allow_networks":
                for item in items:
                    ipaddress.ip_network(item, strict=False)
            if spec.name == "embed_origins":
                return tuple(_origin(item) for item in items)
            return items
        return raw
    except ValueError as error:
        raise SettingsError(f"{name}: {error}") from None


_ORIGIN = re.compile(r"^(https?)://([a-z0-9.-]+|\[[0-9a-f:.]+\])(:\d{1,5})?$")


def _origin(raw: str) -> str:
    """``raw`` as a web origin (scheme, host, port; nothing else), lower-cased."""
    origin = raw.strip().rstrip("/").lower()
    if not _ORIGIN.match(origin):
        raise ValueError(
            f"{raw!r} is not an origin: write scheme and host only, e.g. https://www.bibliotek.se"
        )
    return origin


def _format_default(value: Any) -> str:
    if isinstance(value, bool):
        return "`1`" if value else "`0`"
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        for unit, size in (("y", 31536000), ("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
            if seconds >= size and seconds % size == 0:
                return f"`{seconds // size}{unit}`"
        return f"`{seconds}`"
    if isinstance(value, tuple):
        return "`" + ",".join(value) + "`" if value else "(empty)"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`" if value != "" else "(empty)"


def settings_table() -> str:
    """The README's settings table, made from the dataclass (a test compares the two)."""
    lines = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for spec in dataclasses.fields(Settings):
        name = PREFIX + spec.name.upper()
        lines.append(f"| `{name}` | {_format_default(spec.default)} | {spec.metadata['doc']} |")
        if spec.name == "secret_key":
            lines.append(
                f"| `{name}_FILE` | (empty) | A file holding the secret key (for container "
                f"secrets); read when `{name}` is empty. |"
            )
    return "\n".join(lines)
