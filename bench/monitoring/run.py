"""Link monitoring at 100,000 resources and 1,000,000 check results: claim query and report.

    .venv/bin/python bench/monitoring/run.py [--requests 100] [--claims 50] [--rebuild]
        [--postgres postgresql+asyncpg://postgres@127.0.0.1/linkdir_bench_monitoring]

Measures on SQLite and PostgreSQL, in the same run:

1. the dispatcher's claim statement (``claim_due`` with ``LINKDIR_DISPATCH_BATCH``, as
   ``CheckRunner.dispatch`` calls it; rolled back after each call so every call
   claims the same work), ``claim_due`` with ``linkdir check``'s batch, and ``count_due``;
2. ``/manage/links`` (every tab, a topic and a host filter, a later page) as a signed-in
   editor and ``/api/v1/reports/links`` with a token, through the real ASGI app;
3. references in the same run: ``SELECT 1`` for the database calls, ``/health`` for pages.

The data set is built once and kept: a SQLite file under ``bench/results/monitoring/``
and the PostgreSQL database ``linkdir_bench_monitoring`` (created by the script). The
schema comes from the Alembic migrations; a new migration means a new data set (about a
minute per database). Goal (issue 5): p95 under 200 ms on both databases.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from linkdir.app import create_app  # noqa: E402
from linkdir.auth.service import create_token, create_user, find_user  # noqa: E402
from linkdir.checks import service as monitoring  # noqa: E402
from linkdir.checks.jobs import CLAIM_BATCH, claim_time  # noqa: E402
from linkdir.config import Settings  # noqa: E402
from linkdir.db import alembic_config, create_engine, session_factory, upgrade  # noqa: E402
from linkdir.resources.search import index_text  # noqa: E402

# What one dispatch claims (LINKDIR_DISPATCH_BATCH's default).
DISPATCH_BATCH = next(f.default for f in fields(Settings) if f.name == "dispatch_batch")

CACHE = ROOT / "bench" / "results" / "monitoring"
EDITOR = "bench-redaktor@bibliotek.example.se"
PASSWORD = "korrekt häst batteri häfta"
SECRET = "bench-monitoring-secret-key-0123456789"
TOPICS = 20
# A kept data set describes one moment (``anchor``); after this long it is built anew,
# so "review due", "stale" and the 30-day chart still mean what they meant.
MAX_AGE = timedelta(days=2)

WORDS = (  # noqa: SIM905 - a paragraph of words reads better than a list
    "bibliotek digital delaktighet källkritik kompetens rapport statistik strategi region "
    "kommun skola lärande kurs webbkurs guide verktyg nätverk samverkan projekt e-tjänster "
    "folkbibliotek skolbibliotek demokrati desinformation nyheter säkerhet tillgänglighet "
    "läsning läsfrämjande litteratur barn familj nyanlända språk programmering arkiv museum"
).split()
PLACES = (  # noqa: SIM905
    "umea lulea kiruna ostersund sundsvall gavle uppsala vasteras orebro karlstad falun "
    "stockholm nacka sodertalje norrkoping linkoping jonkoping vaxjo kalmar visby karlskrona "
    "halmstad goteborg boras trollhattan skovde malmo lund helsingborg kristianstad ystad"
).split()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


# The data set ------------------------------------------------------------------------------


@dataclass
class DataSet:
    """Rows of the generated directory, in the column order of the bulk inserts."""

    anchor: datetime
    hosts: list[str]
    resources: list[tuple[Any, ...]] = field(default_factory=list)
    topics: list[tuple[Any, ...]] = field(default_factory=list)
    links: list[tuple[int, int]] = field(default_factory=list)
    history_counts: list[int] = field(default_factory=list)
    status_mix: dict[str, int] = field(default_factory=dict)


RESOURCE_COLUMNS = (  # noqa: SIM905 - one line of names reads better than a list
    "id url title description language resource_type publisher state created_at updated_at "
    "published_at review_by link_status status_since last_checked_at next_check_at "
    "consecutive_failures http_status final_url moved_to reason etag last_modified "
    "content_hash modified_on search_title search_body host"
).split()
HISTORY_COLUMNS = (  # noqa: SIM905
    "id resource_id checked_at verdict http_status reason final_url redirects elapsed_ms worker"
).split()
TOPIC_COLUMNS = ["id", "slug", "name_sv", "name_en", "description_sv", "description_en"]
TOPIC_COLUMNS += ["created_at", "updated_at"]


def host_names(count: int, rng: random.Random) -> list[str]:
    """Municipal, library, school and project sites, like a Swedish directory links to."""
    kinds = ["www.{p}.se", "bibliotek.{p}.se", "www.{p}bibliotek.se", "{p}.skola.se", "{w}.{p}.nu"]
    names: set[str] = set()
    while len(names) < count:
        place = rng.choice(PLACES) + (str(rng.randint(2, 999)) if len(names) > 60 else "")
        names.add(rng.choice(kinds).format(p=place, w=rng.choice(WORDS).replace("-", "")))
    return sorted(names)


def generate(resources: int, history: int, hosts: int, anchor: datetime) -> DataSet:
    """A directory after ~10 weeks of weekly checks: mostly fine, some of every problem."""
    rng = random.Random(20261130)
    data = DataSet(anchor=anchor, hosts=host_names(hosts, rng))
    # Zipf-like: a few big sites (a national agency, a big city) and a long tail.
    host_weights = [1.0 / (rank + 5) for rank in range(hosts)]
    today = anchor.date()
    for number in range(1, TOPICS + 1):
        data.topics.append(
            (number, f"amne-{number}", f"Ämne {number}", f"Topic {number}", "", "", anchor, anchor)
        )
    statuses = ["ok", "moved", "broken", "unverified", "unchecked"]
    status_weights = [0.875, 0.04, 0.025, 0.03, 0.008]
    per_resource: list[int] = []
    for number in range(1, resources + 1):
        host = rng.choices(data.hosts, host_weights)[0]
        title = " ".join(rng.choices(WORDS, k=rng.randint(3, 8))).capitalize()
        description = " ".join(rng.choices(WORDS, k=rng.randint(12, 30))).capitalize() + "."
        publisher = f"{host.split('.')[-2].capitalize()}"
        roll = rng.random()
        state = "published" if roll < 0.95 else ("draft" if roll < 0.975 else "retired")
        created = anchor - timedelta(days=rng.uniform(70, 2000))
        status = rng.choices(statuses, status_weights)[0]
        failures = 0
        http_status: int | None = 200
        reason: str | None = None
        moved_to: str | None = None
        url = f"https://{host}/{rng.choice(WORDS)}/{number}"
        final_url: str | None = url
        status_since: datetime | None = anchor - timedelta(days=rng.uniform(0, 70))
        last_checked: datetime | None = anchor - timedelta(seconds=rng.uniform(0, 7 * 86400))
        next_check: datetime | None = anchor + timedelta(seconds=rng.uniform(-4 * 3600, 7 * 86400))
        if status == "ok" and rng.random() < 0.017:  # a suspect: failing, not yet confirmed
            failures = rng.randint(1, 2)
            http_status, reason = rng.choice([(503, "http_503"), (None, "timeout")])
            next_check = anchor + timedelta(seconds=rng.uniform(-3600, 86400))
        elif status == "moved":
            http_status, reason = 301, "moved_permanently"
            moved_to = f"https://{host}/ny/{rng.choice(WORDS)}/{number}"
            final_url = moved_to
        elif status == "broken":
            failures = rng.randint(3, 12)
            http_status, reason = rng.choice(
                [(404, "http_404"), (410, "http_410"), (None, "dns"), (200, "soft_404")]
            )
        elif status == "unverified":
            http_status, reason = rng.choice([(403, "bot_wall"), (429, "rate_limited")])
        elif status == "unchecked":
            status_since = last_checked = next_check = None
            http_status = final_url = None
        review_by = today + timedelta(days=rng.randint(-365, 730)) if rng.random() < 0.25 else None
        modified_on = (
            today - timedelta(days=int(rng.expovariate(1 / 550))) if rng.random() < 0.55 else None
        )
        data.resources.append(
            (
                number,
                url,
                title,
                description,
                "sv" if rng.random() < 0.85 else "en",
                rng.choice(["report", "course", "guide", "tool", "project", "other"]),
                publisher,
                state,
                created,
                created,
                created if state != "draft" else None,
                review_by,
                status,
                status_since,
                last_checked,
                next_check,
                failures,
                http_status,
                final_url,
                moved_to,
                reason,
                None,
                None,
                None,
                modified_on,
                index_text(title),
                index_text(description, publisher),
                host,
            )
        )
        for topic in rng.sample(range(1, TOPICS + 1), rng.choice([1, 1, 1, 2, 2, 3])):
            data.links.append((number, topic))
        per_resource.append(0 if status == "unchecked" else rng.randint(1, 19))
        data.status_mix[status] = data.status_mix.get(status, 0) + 1
    # Exactly ``history`` rows: scale the draws, then hand out what rounding left over.
    scale = history / max(1, sum(per_resource))
    counts = [math.floor(n * scale) for n in per_resource]
    checked = [i for i, n in enumerate(per_resource) if n]
    while sum(counts) < history:
        counts[rng.choice(checked)] += 1
    data.history_counts = counts
    return data


def history_rows(data: DataSet) -> Iterator[tuple[Any, ...]]:
    """Check results newest-to-oldest per resource, a week apart, verdicts matching status."""
    rng = random.Random(5)
    counts = data.history_counts
    row_id = 0
    week = 7 * 86400
    for resource, count in zip(data.resources, counts, strict=True):
        if not count:
            continue
        resource_id, url, status, last_checked, failures = (
            resource[0],
            resource[1],
            resource[12],
            resource[14],
            resource[16],
        )
        at = last_checked
        for back in range(count):
            if back < failures:
                verdict, http_status, reason = "broken", resource[17], resource[20]
                step = 86400 if status != "broken" or back < 3 else week
            elif status in {"moved", "unverified"} and back < 3:
                verdict, http_status, reason = status, resource[17], resource[20]
                step = week
            else:
                verdict, http_status, reason = "ok", 200, None
                step = week
            row_id += 1
            yield (
                row_id,
                resource_id,
                at,
                verdict,
                http_status,
                reason,
                url,
                "[]",
                rng.randint(40, 2500),
                "bench:1",
            )
            at = at - timedelta(seconds=step * rng.uniform(0.9, 1.1))


def chunks(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _sqlite_value(value: Any) -> Any:
    # SQLAlchemy's SQLite formats, so stored values compare as the app's own writes do.
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def fill_sqlite(path: Path, data: DataSet) -> None:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA foreign_keys=OFF")

    def insert(table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        marks = ", ".join("?" for _ in columns)
        connection.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
            [tuple(_sqlite_value(v) for v in row) for row in rows],
        )

    with connection:
        insert("topic", TOPIC_COLUMNS, data.topics)
        for batch in chunks(iter(data.resources), 5000):
            insert("resource", RESOURCE_COLUMNS, batch)
        connection.executemany(
            "INSERT INTO resource_topic (resource_id, topic_id) VALUES (?, ?)", data.links
        )
        for batch in chunks(history_rows(data), 20000):
            insert("check_result", HISTORY_COLUMNS, batch)
    connection.close()


async def fill_postgres(url: str, data: DataSet) -> None:
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        async with connection.transaction():
            await connection.copy_records_to_table(
                "topic", records=data.topics, columns=TOPIC_COLUMNS
            )
            await connection.copy_records_to_table(
                "resource", records=data.resources, columns=RESOURCE_COLUMNS
            )
            await connection.copy_records_to_table(
                "resource_topic", records=data.links, columns=["resource_id", "topic_id"]
            )
            for batch in chunks(history_rows(data), 50000):
                await connection.copy_records_to_table(
                    "check_result", records=batch, columns=HISTORY_COLUMNS
                )
            for table in ("topic", "resource", "check_result"):
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
        # What autovacuum does to a table this size soon after a bulk load: statistics
        # for the planner and a visibility map for index-only scans.
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


def _manifest() -> dict[str, Any]:
    path = CACHE / "datasets.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _remember(key: str, value: dict[str, Any]) -> None:
    manifest = _manifest()
    manifest[key] = value
    (CACHE / "datasets.json").write_text(json.dumps(manifest, indent=2))


def _migrations() -> list[str]:
    """Every revision id: a migration slotted in before the head also means a rebuild."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return sorted(script.revision for script in scripts.walk_revisions())


def _fresh(entry: dict[str, Any] | None, args: argparse.Namespace) -> datetime | None:
    if not entry or args.rebuild:
        return None
    if (entry["resources"], entry["history"], entry["hosts"], entry.get("migrations")) != (
        args.resources,
        args.history,
        args.hosts,
        _migrations(),
    ):
        return None
    anchor = datetime.fromisoformat(entry["anchor"])
    return anchor if datetime.now(UTC) - anchor < MAX_AGE else None


def _psql(statement: str, database: str = "postgres") -> str:
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-Atqc", statement],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


async def prepare(kind: str, url: str, args: argparse.Namespace) -> datetime:
    """The kept data set if it fits the arguments, else a new one; migrated to head."""
    CACHE.mkdir(parents=True, exist_ok=True)
    key = f"{kind}:{url}"
    anchor = _fresh(_manifest().get(key), args)
    if kind == "sqlite":
        path = Path(url.split("///", 1)[1])
        if anchor is not None and not path.exists():
            anchor = None
    else:
        database = url.rsplit("/", 1)[1]
        exists = _psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}'")
        if anchor is not None and not exists:
            anchor = None
    if anchor is not None:
        print(f"{kind}: kept data set from {anchor:%Y-%m-%d %H:%M} UTC (--rebuild for a new one)")
        return anchor
    anchor = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
    data = generate(args.resources, args.history, args.hosts, anchor)
    generated = time.perf_counter() - started
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        await asyncio.to_thread(upgrade, url)
        fill_sqlite(path, data)
    else:
        _psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        _psql(f"CREATE DATABASE {database}")
        await asyncio.to_thread(upgrade, url)
        await fill_postgres(url, data)
    print(
        f"{kind}: built {args.resources:,} resources on {args.hosts:,} hosts and "
        f"{args.history:,} check results in {time.perf_counter() - started:.0f} s "
        f"(generating {generated:.0f} s); status mix {data.status_mix}"
    )
    _remember(
        key,
        {
            "anchor": anchor.isoformat(),
            "resources": args.resources,
            "history": args.history,
            "hosts": args.hosts,
            "migrations": _migrations(),
        },
    )
    return anchor


# Measuring ---------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    timings: list[float]
    note: str = ""

    @property
    def p50(self) -> float:
        return statistics.median(self.timings)

    @property
    def p95(self) -> float:
        return percentile(self.timings, 0.95)


async def timed(call: Callable[[], Awaitable[Any]], runs: int, warm: int = 3) -> list[float]:
    for _ in range(warm):
        await call()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


async def vacuum(url: str) -> None:
    """Clear what the rolled-back claims left behind (autovacuum's job; a server may run
    without it, as this machine's does, and every run would then read a bigger table)."""
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await connection.execute("VACUUM ANALYZE resource, check_lease")
    finally:
        await connection.close()


async def measure_queries(url: str, anchor: datetime, runs: int) -> tuple[list[Row], Row]:
    """The dispatcher's statements, each rolled back so every run claims the same work."""
    settings = Settings(env="development", database_url=url, secret_key=SECRET).validated()
    engine = create_engine(url)
    factory = session_factory(engine)
    rows: list[Row] = []
    now = anchor  # the dispatcher's clock at the moment the data set describes
    async with factory() as session:
        due = await monitoring.count_due(session, now=now)
    notes: dict[str, str] = {}

    def claim(limit: int) -> Callable[[], Awaitable[Any]]:
        async def call() -> None:
            async with factory() as session:
                batches = await monitoring.claim_due(
                    session, now=now, limit=limit, claim_for=claim_time(settings, limit)
                )
                await session.rollback()
            claimed = sum(len(items) for items in batches.values())
            notes[f"claim {limit}"] = f"{claimed:,} claimed on {len(batches):,} hosts"

        return call

    async def count() -> None:
        async with factory() as session:
            await monitoring.count_due(session, now=now)

    async def select_one() -> None:
        async with factory() as session:
            await session.execute(text("SELECT 1"))

    reference = Row("SELECT 1 (reference)", await timed(select_one, runs * 4))
    rows.append(
        Row(
            f"claim_due, dispatch ({DISPATCH_BATCH:,})",
            await timed(claim(DISPATCH_BATCH), runs),
            "",
        )
    )
    rows[-1].note = notes[f"claim {DISPATCH_BATCH}"]
    rows.append(
        Row(f"claim_due, linkdir check ({CLAIM_BATCH})", await timed(claim(CLAIM_BATCH), runs))
    )
    rows[-1].note = notes[f"claim {CLAIM_BATCH}"]
    rows.append(Row("count_due (linkdir check)", await timed(count, runs), f"{due:,} due"))
    await engine.dispose()
    return rows, reference


async def signed_in_client(app: Any, url: str) -> tuple[httpx.AsyncClient, str]:
    """A client with an editor's session cookie, and an API token of the same editor."""
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        if await find_user(session, EDITOR) is None:
            await create_user(session, EDITOR, PASSWORD, "editor")
        token = (await create_token(session, EDITOR, "bench")).token
        await session.commit()
    await engine.dispose()
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench.local"
    )
    page = await client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf, "no CSRF field on /login"
    signed = await client.post(
        "/login", data={"email": EDITOR, "password": PASSWORD, "csrf_token": csrf.group(1)}
    )
    assert signed.status_code in {200, 303}, signed.status_code
    assert (await client.get("/manage/links")).status_code == 200, "not signed in"
    return client, token


async def measure_pages(url: str, requests: int) -> tuple[list[Row], Row]:
    settings = Settings(env="development", database_url=url, secret_key=SECRET).validated()
    app = create_app(settings)
    client, token = await signed_in_client(app, url)
    api = {"Authorization": f"Bearer {token}"}
    first = (await client.get("/api/v1/reports/links?status=stale&per_page=1", headers=api)).json()
    counts = first["counts"]
    widest = max(counts, key=lambda tab: counts[tab])
    late_page = max(2, (counts[widest] // 50) * 2 // 3)
    big_host = await _biggest_host(url)
    plans: list[tuple[str, str, dict[str, str]]] = [
        ("/health (reference)", "/health", {}),
        (f"broken tab ({counts['broken']:,})", "/manage/links?tab=broken", {}),
        (f"suspect tab ({counts['suspect']:,})", "/manage/links?tab=suspect", {}),
        (f"reported tab ({counts['reported']:,})", "/manage/links?tab=reported", {}),
        (f"moved tab ({counts['moved']:,})", "/manage/links?tab=moved", {}),
        (f"unverified tab ({counts['unverified']:,})", "/manage/links?tab=unverified", {}),
        (f"review due tab ({counts['review_due']:,})", "/manage/links?tab=review_due", {}),
        (f"stale tab ({counts['stale']:,})", "/manage/links?tab=stale", {}),
        ("broken tab, topic filter", "/manage/links?tab=broken&topic=amne-7", {}),
        (f"broken tab, host filter ({big_host})", f"/manage/links?tab=broken&host={big_host}", {}),
        (f"{widest} tab, page {late_page}", f"/manage/links?tab={widest}&page={late_page}", {}),
        ("API report, broken", "/api/v1/reports/links?status=broken", api),
        ("API report, suspect", "/api/v1/reports/links?status=suspect", api),
        (
            f"API report, {widest}, page {late_page}",
            f"/api/v1/reports/links?status={widest}&page={late_page}",
            api,
        ),
    ]
    rows: list[Row] = []
    for name, path, headers in plans:

        async def call(path: str = path, headers: dict[str, str] = headers) -> None:
            response = await client.get(path, headers=headers)
            assert response.status_code == 200, (path, response.status_code)

        rows.append(Row(name, await timed(call, requests, warm=5)))
    await client.aclose()
    await app.state.engine.dispose()
    return rows[1:], rows[0]


async def _biggest_host(url: str) -> str:
    engine = create_engine(url)
    async with engine.connect() as connection:
        some = (
            await connection.execute(text("SELECT url FROM resource ORDER BY id LIMIT 2000"))
        ).scalars()
        hosts: dict[str, int] = {}
        for found in some:
            host = found.split("/")[2]
            hosts[host] = hosts.get(host, 0) + 1
    await engine.dispose()
    return max(hosts, key=lambda host: hosts[host])


def report(label: str, rows: list[Row], reference: Row) -> None:
    """A table; the ratios divide by the reference's p50 and p95 measured in the same run."""
    print(f"\n{label}")
    print(
        f"  {'what':46} {'p50 ms':>8} {'p95 ms':>8} {'p50/ref':>8} {'p95/ref':>8}  "
        f"{'<200 ms':>7}  note"
    )
    for row in [reference, *rows]:
        meets = "" if row is reference else ("yes" if row.p95 < 200 else "NO")
        print(
            f"  {row.name:46} {row.p50:8.1f} {row.p95:8.1f} {row.p50 / reference.p50:7.0f}x "
            f"{row.p95 / reference.p95:7.0f}x  {meets:>7}  {row.note}"
        )


async def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--history", type=int, default=1_000_000)
    parser.add_argument("--hosts", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=100, help="requests per page type")
    parser.add_argument("--claims", type=int, default=50, help="calls per database statement")
    parser.add_argument("--rebuild", action="store_true", help="build the data sets anew")
    parser.add_argument("--sqlite", default=str(CACHE / "monitoring.db"))
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "LINKDIR_BENCH_MONITORING_URL",
            "postgresql+asyncpg://postgres@127.0.0.1/linkdir_bench_monitoring",
        ),
        help="PostgreSQL database to create (or keep) for the run; empty to skip",
    )
    args = parser.parse_args()
    databases = [("sqlite", f"sqlite+aiosqlite:///{Path(args.sqlite).resolve()}")]
    if args.postgres:
        databases.append(("postgresql", args.postgres))
    print(
        f"{args.resources:,} resources, {args.history:,} check results; "
        f"{args.claims} calls per statement, {args.requests} requests per page type, "
        f"one at a time; load average {os.getloadavg()[0]:.1f}"
    )
    for kind, url in databases:
        anchor = await prepare(kind, url, args)
        queries, query_reference = await measure_queries(url, anchor, args.claims)
        report(f"{kind}: dispatch statements", queries, query_reference)
        if kind == "postgresql":
            await vacuum(url)
        pages, page_reference = await measure_pages(url, args.requests)
        report(
            f"{kind}: /manage/links and the report API (signed-in editor)", pages, page_reference
        )
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    asyncio.run(main())
