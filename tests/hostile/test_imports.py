"""Imports under hostile files: bad link health and out-of-range values are rejected rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.resources.models import Resource
from tests.test_cli import base_env, run
from tests.transfer.test_manage import confirm, form_fields, replace, signed_in

Client = AsyncTestClient[Any]


async def count(session: AsyncSession) -> int:
    session.expunge_all()
    return (await session.execute(select(func.count()).select_from(Resource))).scalar_one()


def document(*resources: dict[str, Any]) -> str:
    return json.dumps({"format": "linkdir", "version": 1, "resources": list(resources)}, indent=2)


GOOD = {"url": "https://www.kb.se/rapport", "title": "Rapport", "state": "published"}
HOSTILE = [
    {**GOOD, "url": "https://a.example.se/1", "link": {"http_status": 10**30}},
    {**GOOD, "url": "https://a.example.se/2", "created_at": "0001-01-01T00:00:00+05:00"},
    {**GOOD, "url": "https://a.example.se/3", "link": {"archive_url": "javascript:alert(1)"}},
    {**GOOD, "url": "https://a.example.se/4", "link": {"moved_to": "http://127.1/"}},
    {**GOOD, "url": "https://a.example.se/5", "link": {"final_url": "http://0x7f.0.0.1/"}},
    {**GOOD, "url": "https://a.example.se/6", "updated_at": "9999-12-31T23:59:59-05:00"},
]


async def test_the_cli_rejects_out_of_range_and_unsafe_link_health_row_by_row(
    database_url: str, session: AsyncSession, tmp_path: Path
) -> None:
    source = tmp_path / "hostile.json"
    source.write_text(document(GOOD, *HOSTILE))
    result = run(["import", str(source)], base_env(database_url, LINKDIR_CHECKER_ALLOW_NETWORKS=""))
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    rejected = [line for line in result.stdout.splitlines() if ": rejected: " in line]
    assert len(rejected) == len(HOSTILE), result.stdout
    fields = [line.split(": ")[2] for line in rejected]
    assert fields == [
        "link.http_status",
        "created_at",
        "link.archive_url",
        "link.moved_to",
        "link.final_url",
        "updated_at",
    ]
    assert all(line.startswith("line ") for line in rejected)
    assert "imported 1 of 7 json rows" in result.stdout
    assert await count(session) == 1


async def test_the_preview_rejects_hostile_link_health_and_never_shows_it(
    strict_client: Client, session: AsyncSession
) -> None:
    client = strict_client
    csrf = await signed_in(client, session)
    preview = await client.post(
        "/manage/import/file",
        data={"csrf_token": csrf, "format": "json"},
        files={"file": ("backup.json", document(GOOD, *HOSTILE).encode(), "application/json")},
    )
    assert preview.status_code == 200, preview.text
    everything = form_fields(preview.text) + [(f"d{i}-import", "1") for i in range(7)]
    refused = await confirm(client, everything)
    assert refused.status_code == 422, refused.text
    assert await count(session) == 0
    # A clean row whose hidden "extra" field was edited to carry a script address.
    only_good = [
        (k, v) for k, v in form_fields(preview.text) if not k.startswith("d") or k.startswith("d0-")
    ]
    extra = {
        "restore": {
            "link": {"status": "broken", "archive_url": "javascript:alert(document.domain)"}
        }
    }
    tampered = replace(only_good, "d0-extra", json.dumps(extra)) + [("d0-import", "1")]
    refused = await confirm(client, replace(tampered, "count", "1"))
    assert refused.status_code == 422, refused.text
    assert 'href="javascript' not in refused.text
    assert await count(session) == 0
    # The same row with a real archive address goes in, and its page shows that address.
    extra["restore"]["link"]["archive_url"] = (
        "https://web.archive.org/web/2020/https://www.kb.se/rapport"
    )
    done = await confirm(
        client,
        replace(
            replace(replace(tampered, "d0-extra", json.dumps(extra)), "count", "1"),
            "state",
            "published",
        ),
    )
    assert done.status_code == 200, done.text
    resource = (await session.execute(select(Resource))).scalar_one()
    assert resource.state == "published", resource
    page = await client.get(f"/resources/{resource.id}")
    assert page.status_code == 200, page.text
    assert "javascript:" not in page.text
    assert 'href="https://web.archive.org/web/2020/https://www.kb.se/rapport"' in page.text


async def test_an_overlong_topic_or_tag_in_a_file_is_a_rejected_row_not_cut(
    session: AsyncSession,
) -> None:
    from linkdir.transfer import service
    from linkdir.transfer.csvio import parse_csv

    text = (
        "url;title;topics;tags\r\n"
        f"https://a.example.se/1;Rapport;{'Ä' * 10_000};\r\n"
        f"https://a.example.se/2;Rapport;;{'t' * 10_000}\r\n"
        "https://a.example.se/3;Rapport;Läsfrämjande;tagg\r\n"
    )
    reviewed = await service.review(session, parse_csv(text))
    assert [[e.field for e in row.errors] for row in reviewed.rows] == [["topics"], ["tags"], []]
    assert all("at most" in row.errors[0].message for row in reviewed.rows[:2])
