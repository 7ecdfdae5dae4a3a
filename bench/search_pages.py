"""Search and topic pages on 100,000 generated resources: p50/p95 per database.

    .venv/bin/python bench/search_pages.py [--resources 100000] [--requests 300]
        [--postgres postgresql+asyncpg://postgres@127.0.0.1/linkdir_bench]

Pages are requested through the real ASGI app (routing, database, Jinja rendering) with
httpx's ASGI transport, one request at a time, so the numbers are per-request latency. The
reference in the same run is `/health` (a trivial page): machines here are noisy, so compare
ratios as well as milliseconds. Goal (issue 2): p95 under 50 ms for search on both databases.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from linkdir.app import create_app  # noqa: E402
from linkdir.config import Settings  # noqa: E402
from linkdir.db import create_engine, upgrade  # noqa: E402
from linkdir.resources.search import index_text  # noqa: E402

WORDS = (  # noqa: SIM905 - a paragraph of words reads better than a list
    "bibliotek biblioteket biblioteken bibliotekens digital digitala digitalisering delaktighet "
    "medie informationskunnighet källkritik kompetens kompetensutveckling internet svenskarna "
    "rapport rapporter undersökning statistik agenda strategi region kommun län västerbotten "
    "norrbotten skåne dalarna värmland stockholm äldre unga skola lärande kurs webbkurs guide "
    "verktyg nätverk samverkan projekt e-tjänster service servicecenter folkbibliotek "
    "skolbibliotek demokrati yttrandefrihet desinformation nyheter medier sociala plattform "
    "säkerhet lösenord bedrägerier bankid myndighet förvaltning tillgänglighet läsning "
    "läsfrämjande litteratur barn familj nyanlända språk svenska engelska arabiska finska "
    "samiska programmering robotar artificiell intelligens data öppna arkiv museum kultur"
).split()
TYPES = ["report", "course", "guide", "tool", "organisation", "network", "project", "other"]
QUERIES = [
    "biblioteken",
    "digital delaktighet",
    "källkritik unga",
    "rapport statistik västerbotten",
    "webbkurs",
    "artificiell intelligens",
    "bibliotekens kompetensutveckling",
    "desinformation",
    "säkerhet äldre",
    "dig",
    "medier",
    "läsfrämjande barn",
]
# Misspelt and diacritic-less queries: they find little or nothing, so every one of them
# looks for a correction in the vocabulary and searches again (issue 17).
MISSPELT = [
    "kallkritik",
    "aldre",
    "bibloteken",
    "desinformaton",
    "digital delaktihet",
    "lasframjande barn",
    "sakerhet",
    "kompetensutvekling",
]


def vocabulary() -> tuple[list[str], list[float]]:
    """Real words among 4,000 made-up ones, with Zipf-like frequencies as in real text.

    A uniform draw from a small list would put every word in most documents, which no
    directory looks like; with this distribution the commonest word is in about a third of
    the resources and most words in well under 1 %.
    """
    rng = random.Random(4)
    syllables = [
        "ba",
        "blo",
        "u",
        "tok",
        "dug",
        "e",
        "tyl",
        "dol",
        "ek",
        "tag",
        "hut",
        "mo",
        "kun",
        "nig",
        "käl",
        "kri",
        "tik",
        "lä",
        "sa",
        "mo",
        "rå",
        "ny",
        "hus",
        "vän",
    ]
    made_up = {
        "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(6000)
    }
    words = sorted(made_up - set(WORDS))[:4000] + WORDS
    rng.shuffle(words)
    weights = [1.0 / (rank + 10) for rank in range(len(words))]
    return words, weights


VOCABULARY, WEIGHTS = vocabulary()


def sentence(rng: random.Random, low: int, high: int) -> str:
    count = rng.randint(low, high)
    return " ".join(rng.choices(VOCABULARY, WEIGHTS, k=count)).capitalize()


async def populate(database_url: str, count: int) -> None:
    engine = create_engine(database_url)
    rng = random.Random(20181026)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO topic (slug, name_sv, name_en, description_sv, description_en, "
                "created_at, updated_at) VALUES (:slug, :sv, :en, '', '', :now, :now)"
            ),
            [
                {
                    "slug": f"amne-{n}",
                    "sv": f"Ämne {n}",
                    "en": f"Topic {n}",
                    "now": _now(database_url),
                }
                for n in range(20)
            ],
        )
        batch: list[dict[str, Any]] = []
        links: list[dict[str, Any]] = []
        for number in range(1, count + 1):
            title = sentence(rng, 3, 9)
            description = sentence(rng, 15, 50) + "."
            publisher = f"Region {rng.choice(WORDS).capitalize()}"
            batch.append(
                {
                    "id": number,
                    "url": f"https://site{number % 5000}.example.se/resurs/{number}",
                    "host": f"site{number % 5000}.example.se",
                    "title": title,
                    "description": description,
                    "language": "sv" if rng.random() < 0.85 else "en",
                    "type": rng.choice(TYPES),
                    "publisher": publisher,
                    "now": _now(database_url),
                    "st": index_text(title),
                    "sb": index_text(description, publisher, "Ämne Topic"),
                }
            )
            links.append({"r": number, "t": rng.randint(1, 20)})
            if len(batch) == 2000:
                await _insert(connection, batch, links)
                batch, links = [], []
        if batch:
            await _insert(connection, batch, links)
        if database_url.startswith("postgresql"):
            await connection.execute(text("SELECT setval('resource_id_seq', :n)"), {"n": count})
            await connection.execute(text("ANALYZE"))
    await engine.dispose()


def _now(database_url: str) -> Any:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    return now.replace(tzinfo=None) if database_url.startswith("sqlite") else now


async def _insert(
    connection: Any, batch: list[dict[str, Any]], links: list[dict[str, Any]]
) -> None:
    await connection.execute(
        text(
            "INSERT INTO resource (id, url, title, description, language, resource_type, "
            "publisher, state, created_at, updated_at, published_at, link_status, "
            "consecutive_failures, search_title, search_body, host) VALUES (:id, :url, :title, "
            ":description, :language, :type, :publisher, 'published', :now, :now, :now, "
            "'unchecked', 0, :st, :sb, :host)"
        ),
        batch,
    )
    await connection.execute(
        text("INSERT INTO resource_topic (resource_id, topic_id) VALUES (:r, :t)"), links
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


async def measure(database_url: str, requests: int) -> dict[str, dict[str, float]]:
    settings = Settings(
        env="development", database_url=database_url, secret_key="b" * 20 + "enchmark-secret-key-x"
    ).validated()
    app = create_app(settings)
    rng = random.Random(7)
    results: dict[str, dict[str, float]] = {}
    transport = httpx.ASGITransport(app=app)
    # httpx's ASGI transport runs no lifespan; the vocabulary for "did you mean" lives there.
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=transport, base_url="http://bench") as client,
    ):
        vocabulary = app.state.vocabulary
        started = time.perf_counter()
        words = len(await vocabulary.current())
        print(f"  vocabulary: {words:,} words, {time.perf_counter() - started:.1f} s to build")
        lexicon = await vocabulary.current()
        started = time.perf_counter()
        for _ in range(20):
            corrections = {query: lexicon.correct_query(query) for query in MISSPELT}
        each = (time.perf_counter() - started) / (20 * len(MISSPELT)) * 1000
        print(f"  correcting one query: {each:.2f} ms; {corrections}")
        plans: dict[str, Any] = {
            "health (reference)": lambda: "/health",
            "search page": lambda: "/search?q=" + rng.choice(QUERIES),
            "search page, misspelt (corrected)": lambda: "/search?q=" + rng.choice(MISSPELT),
            "search page, page 3 + topic facet": lambda: (
                f"/search?q={rng.choice(QUERIES)}&topic=amne-{rng.randint(0, 19)}&page=3"
            ),
            "topic page": lambda: f"/topics/amne-{rng.randint(0, 19)}?page={rng.randint(1, 50)}",
            "api search": lambda: "/api/v1/resources?q=" + rng.choice(QUERIES),
        }
        broadest = max(QUERIES, key=lambda q: 0)  # replaced below by the measured broadest
        counts = {}
        for query in QUERIES:
            response = await client.get("/api/v1/resources", params={"q": query, "per_page": 1})
            counts[query] = response.json()["total"]
        broadest = max(counts, key=lambda q: counts[q])
        print(
            "  matches per query: "
            + ", ".join(f"{q!r} {n:,}" for q, n in sorted(counts.items(), key=lambda i: -i[1]))
        )
        plans[f"search page, broadest query ({broadest!r})"] = lambda: "/search?q=" + broadest
        for name, next_path in plans.items():
            for _ in range(10):  # warm caches and connection pool
                await client.get(next_path())
            timings: list[float] = []
            for _ in range(requests):
                path = next_path()
                started = time.perf_counter()
                response = await client.get(path)
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            results[name] = {
                "p50": statistics.median(timings),
                "p95": percentile(timings, 0.95),
            }
        # The cost of "did you mean": the same queries, alternately without and with the
        # vocabulary, in one app (interleaved, so machine noise falls on both alike).
        paired: dict[str, list[float]] = {"without": [], "with": []}
        for number in range(requests):
            path = "/search?q=" + rng.choice(QUERIES)
            # The second request of a pair finds warmer caches: alternate which goes first.
            for kind in ("without", "with") if number % 2 else ("with", "without"):
                app.state.vocabulary = None if kind == "without" else vocabulary
                started = time.perf_counter()
                response = await client.get(path)
                paired[kind].append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
        app.state.vocabulary = vocabulary
        for kind, timings in paired.items():
            results[f"query mix, paired, {kind} suggestions"] = {
                "p50": statistics.median(timings),
                "p95": percentile(timings, 0.95),
            }
    await app.state.engine.dispose()
    return results


def report(label: str, results: dict[str, dict[str, float]]) -> None:
    reference = results["health (reference)"]["p50"]
    print(f"\n{label}")
    print(f"  {'page':36} {'p50 ms':>8} {'p95 ms':>8} {'p50 / health':>13}")
    for name, numbers in results.items():
        print(
            f"  {name:36} {numbers['p50']:8.1f} {numbers['p95']:8.1f} "
            f"{numbers['p50'] / reference:12.1f}x"
        )


async def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "LINKDIR_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1/linkdir_bench"
        ),
        help="PostgreSQL database to (re)create for the run; empty to skip",
    )
    args = parser.parse_args()
    print(f"{args.resources:,} resources, {args.requests} requests per page type, sequential")
    with tempfile.TemporaryDirectory() as folder:
        sqlite_url = f"sqlite+aiosqlite:///{folder}/bench.db"
        await asyncio.to_thread(upgrade, sqlite_url)
        started = time.perf_counter()
        await populate(sqlite_url, args.resources)
        print(f"SQLite filled in {time.perf_counter() - started:.0f} s")
        report("SQLite (FTS5)", await measure(sqlite_url, args.requests))
    if args.postgres:
        name = args.postgres.rsplit("/", 1)[1]
        for statement in (
            f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
            f"CREATE DATABASE {name}",
        ):
            subprocess.run(
                ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", statement], check=True
            )
        await asyncio.to_thread(upgrade, args.postgres)
        started = time.perf_counter()
        await populate(args.postgres, args.resources)
        print(f"\nPostgreSQL filled in {time.perf_counter() - started:.0f} s")
        report("PostgreSQL (GIN, ts_rank)", await measure(args.postgres, args.requests))


if __name__ == "__main__":
    asyncio.run(main())
