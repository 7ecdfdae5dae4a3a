"""The Internet Archive client fails soft, and a fix that cannot apply never dead-ends.

Each way the availability API can let us down is played by a local fake on loopback
(the same API as archive.org/wayback/available): slow, reset, refused by the address
guard, 5xx, not JSON, no copy, and a "snapshot" that is not a web address at all.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from tests.auth.test_sessions import account, csrf_of, sign_in
from tests.conftest import make_resource, make_settings

from linkdir.app import create_app
from linkdir.checks.fixes import FixRefused, find_snapshot
from linkdir.resources.models import Resource

BEFORE = datetime(2024, 5, 1, tzinfo=UTC)


def availability(snapshot: str | None) -> bytes:
    closest = {"status": "200", "available": True, "url": snapshot, "timestamp": "20180101"}
    return json.dumps({"archived_snapshots": {"closest": closest} if snapshot else {}}).encode()


def json_reply(web: Any, body: bytes, **kwargs: Any) -> Any:
    return web.Reply(200, body, content_type="application/json", **kwargs)


async def hang_up(_request: Any, _reader: asyncio.StreamReader, writer: Any) -> bool:
    writer.transport.abort()  # a reset, not a polite close
    return False


@pytest.fixture
def wayback(web: Any) -> Any:
    """A fake archive whose answer each test sets on ``/available``."""
    return web.site("127.0.213.2", {}, ip="127.0.213.2")


def settings_for(database_url: str, wayback: Any, **overrides: Any) -> Any:
    return make_settings(
        database_url,
        wayback_api_url=wayback.url("/available"),
        checker_timeout=overrides.pop("checker_timeout", 5.0),
        **overrides,
    )


async def refusal(settings: Any, url: str = "https://gone.example.se/") -> str:
    with pytest.raises(FixRefused) as refused:
        await find_snapshot(settings, url, BEFORE)
    return refused.value.code


async def test_a_snapshot_is_found_and_served_over_https(web, wayback, database_url):
    wayback.routes["/available"] = json_reply(
        web, availability("http://web.archive.org/web/20180101000000/https://gone.example.se/")
    )
    found = await find_snapshot(
        settings_for(database_url, wayback), "https://gone.example.se/", BEFORE
    )
    assert found == "https://web.archive.org/web/20180101000000/https://gone.example.se/"
    asked = wayback.hits("/available")[0]
    assert "timestamp=20240501000000" in asked.target


async def test_no_copy_is_no_snapshot(web, wayback, database_url):
    wayback.routes["/available"] = json_reply(web, availability(None))
    assert await refusal(settings_for(database_url, wayback)) == "no_snapshot"


async def test_a_slow_archive_is_unreachable_not_a_hang(web, wayback, database_url):
    wayback.routes["/available"] = json_reply(web, availability(None), delay=5.0)
    settings = settings_for(database_url, wayback, checker_timeout=1.0)
    assert await refusal(settings) == "archive_unreachable"


async def test_a_reset_connection_is_unreachable(web, wayback, database_url):
    wayback.routes["/available"] = web.Raw(hang_up)
    assert await refusal(settings_for(database_url, wayback)) == "archive_unreachable"


async def test_an_address_the_guard_refuses_is_unreachable(web, wayback, database_url):
    wayback.routes["/available"] = json_reply(web, availability("https://web.archive.org/web/1/x"))
    # Without 127.0.0.0/8 allowed, the guard refuses the loopback "archive" outright.
    settings = settings_for(database_url, wayback, checker_allow_networks=())
    assert await refusal(settings) == "archive_unreachable"
    assert not wayback.hits("/available")


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_a_failing_archive_is_unreachable(web, wayback, database_url, status):
    wayback.routes["/available"] = web.Reply(status, b"<h1>Service Unavailable</h1>")
    assert await refusal(settings_for(database_url, wayback)) == "archive_unreachable"


@pytest.mark.parametrize(
    "body",
    [b"<html><h1>Wayback Machine</h1></html>", b"[1, 2, 3]", b'{"archived_snapshots": 7}', b""],
)
async def test_an_answer_that_is_not_the_apis_json_is_a_bad_answer(
    web, wayback, database_url, body
):
    wayback.routes["/available"] = json_reply(web, body)
    code = await refusal(settings_for(database_url, wayback))
    assert code in {"archive_bad_answer", "no_snapshot"}
    if body.startswith(b"<") or body == b"":
        assert code == "archive_bad_answer"


@pytest.mark.parametrize(
    "snapshot",
    [
        "javascript:alert(document.cookie)",
        "data:text/html,<script>x</script>",
        "//evil",
        "ftp://x/y",
        "http://10.1.2.3/web/2018/https://gone.example.se/",
        "http://192.168.0.7/",
        # A fullwidth-dot loopback: NFKC makes it 127.0.0.1 before it is judged.
        "http://127\uff0e0\uff0e0\uff0e1/web/2018/x",
        "http://127.1/",
    ],
)
async def test_a_snapshot_that_is_not_a_public_web_address_is_refused(
    web, wayback, database_url, snapshot
):
    wayback.routes["/available"] = json_reply(web, availability(snapshot))
    # The fake archive is on loopback and allowed; the snapshot it names never is.
    assert await refusal(settings_for(database_url, wayback)) == "archive_unsafe_address"


async def test_use_archive_with_an_unsafe_snapshot_says_why_and_stores_nothing(
    web, wayback, database_url, session
):
    wayback.routes["/available"] = json_reply(
        web, availability("http://127\uff0e0\uff0e0\uff0e1/web/2018/https://gone.example.se/")
    )
    _resource, resource_id, seen = await use_archive_in_the_report(
        settings_for(database_url, wayback), session
    )
    location, html = seen.split("\n", 1)
    assert location.endswith(f"#resource-{resource_id}")
    assert "is not a public web page" in html
    session.expunge_all()
    assert (await session.get(Resource, resource_id)).archive_url is None


# No dead ends in the report ------------------------------------------------------------------


async def use_archive_in_the_report(settings: Any, session: Any) -> tuple[Any, int, str]:
    resource = await make_resource(session, url="https://gone.example.se/rapport.pdf")
    resource.link_status, resource.http_status, resource.reason = "broken", 404, "http_404"
    resource.status_since = BEFORE
    await session.commit()
    await account(session)
    async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as ui:
        await sign_in(ui, "kurator@region.se")
        csrf = csrf_of((await ui.get("/manage/links?tab=broken&page=1")).text)
        answer = await ui.post(
            f"/manage/links/{resource.id}/fix",
            data={
                "action": "use_archive",
                "csrf_token": csrf,
                "back": "/manage/links?tab=broken&page=1",
            },
            follow_redirects=False,
        )
        assert answer.status_code == 303
        location = answer.headers["location"]
        page = await ui.get(location.split("#")[0] + "&lang=en")
        assert page.status_code == 200
        return resource, resource.id, location + "\n" + page.text


async def test_use_archive_without_a_copy_returns_to_the_row_with_a_message(
    web, wayback, database_url, session
):
    wayback.routes["/available"] = json_reply(web, availability(None))
    _resource, resource_id, seen = await use_archive_in_the_report(
        settings_for(database_url, wayback), session
    )
    location, html = seen.split("\n", 1)
    assert location.startswith("/manage/links?tab=broken&page=1&")
    assert location.endswith(f"#resource-{resource_id}")
    assert f'id="refusal-{resource_id}"' in html
    assert "The Internet Archive has no copy of this page." in html
    session.expunge_all()
    assert (await session.get(Resource, resource_id)).archive_url is None


@pytest.mark.parametrize("fault", ["503", "timeout", "reset", "not_json"])
async def test_use_archive_with_the_archive_down_returns_to_the_row_with_a_message(
    web, wayback, database_url, session, fault
):
    wayback.routes["/available"] = {
        "503": web.Reply(503, b"down for maintenance"),
        "timeout": json_reply(web, availability(None), delay=5.0),
        "reset": web.Raw(hang_up),
        "not_json": json_reply(web, b"<html>not the API</html>"),
    }[fault]
    settings = settings_for(database_url, wayback, checker_timeout=1.0)
    _resource, resource_id, seen = await use_archive_in_the_report(settings, session)
    assert wayback.hits("/available")  # the fake archive was really asked
    location, html = seen.split("\n", 1)
    assert location.endswith(f"#resource-{resource_id}")
    expected = (
        "The Internet Archive gave an answer we could not read."
        if fault == "not_json"
        else "The Internet Archive could not be reached or did not answer in time."
    )
    assert expected in html
    assert "Traceback" not in html
    session.expunge_all()
    assert (await session.get(Resource, resource_id)).archive_url is None  # nothing stored


async def test_the_api_says_why_a_fix_cannot_apply(web, wayback, database_url, session):
    wayback.routes["/available"] = json_reply(web, b"not json at all")
    resource = await make_resource(session, url="https://gone.example.se/")
    resource.link_status = "broken"
    await session.commit()
    from tests.checks.test_report import _token

    _, token = await _token(session)
    app = create_app(settings_for(database_url, wayback))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as api:
        answer = await api.post(
            f"/api/v1/resources/{resource.id}/fix",
            json={"action": "use_archive"},
            headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
        )
    assert answer.status_code == 422
    assert "could not read" in answer.json()["detail"]
