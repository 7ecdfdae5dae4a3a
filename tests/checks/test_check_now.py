"""A curator's "check now" button checks one link at once and records it like a scheduled check."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.auth.test_sessions import account, csrf_of, sign_in
from tests.conftest import make_resource

from linkdir.checks.models import CheckResult
from linkdir.resources.models import Resource


class Gone(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        self.send_error(404)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def gone_site() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Gone)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/rapport-2018.pdf"
    server.shutdown()
    server.server_close()


async def test_check_now_records_a_check_and_comes_back(
    client: Any, session: Any, gone_site: str
) -> None:
    resource = await make_resource(session, url=gone_site, title="Rapport 2018")
    await account(session)
    await sign_in(client, "kurator@region.se")
    csrf = csrf_of((await client.get("/manage/links")).text)
    response = await client.post(
        f"/manage/links/{resource.id}/check",
        data={"csrf_token": csrf, "back": "/manage/links?tab=broken"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert location == f"/manage/links?tab=broken&checked={resource.id}#resource-{resource.id}"
    session.expunge_all()
    checks = (await session.execute(select(func.count()).select_from(CheckResult))).scalar_one()
    assert checks == 1
    checked = await session.get(Resource, resource.id)
    # One failure makes a suspect, not yet a broken link (DESIGN §3).
    assert checked.consecutive_failures == 1
    assert checked.http_status == 404
    assert checked.last_checked_at is not None
    page = await client.get(location.split("#")[0])
    assert "checked" not in page.url.path and page.status_code == 200


async def test_check_now_needs_a_curator_and_csrf(
    client: Any, session: Any, gone_site: str
) -> None:
    resource = await make_resource(session, url=gone_site)
    anonymous = await client.post(f"/manage/links/{resource.id}/check", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    await account(session)
    await sign_in(client, "kurator@region.se")
    refused = await client.post(f"/manage/links/{resource.id}/check", data={"csrf_token": "fel"})
    assert refused.status_code == 403
    session.expunge_all()
    assert (await session.execute(select(func.count()).select_from(CheckResult))).scalar_one() == 0


async def test_the_report_charts_checks_per_day_with_a_text_alternative(
    client: Any, session: Any, gone_site: str
) -> None:
    import lxml.html

    first = await make_resource(session, url=gone_site)
    second = await make_resource(session, url=gone_site.replace(".pdf", "-b.pdf"))
    await account(session)
    await sign_in(client, "kurator@region.se")
    empty = lxml.html.fromstring((await client.get("/manage/links")).text)
    assert not empty.xpath("//section[contains(@class,'health-chart')]//svg")
    checks = "//section[@aria-labelledby='checks-title']"
    csrf = csrf_of((await client.get("/manage/links")).text)
    for resource in (first, second):
        await client.post(f"/manage/links/{resource.id}/check", data={"csrf_token": csrf})
    page = lxml.html.fromstring((await client.get("/manage/links")).text)
    chart = page.xpath(checks + "//svg[@role='img']")[0]
    assert chart.get("aria-labelledby") == "checks-svg-title checks-svg-desc"
    assert chart.xpath(".//rect[@fill='#b00020']"), "a broken segment for today"
    rows = page.xpath(checks + "//details//tbody/tr")
    assert len(rows) == 1
    cells = [cell.text_content() for cell in rows[0].xpath("td")]
    assert cells == ["0", "0", "0", "2"]  # ok, moved, unverified, broken


async def test_bulk_fix_applies_to_the_selection_and_skips_what_does_not_fit(
    client: Any, session: Any
) -> None:
    from linkdir.db import utcnow
    from linkdir.resources.models import Revision

    moved = await make_resource(session, title="Flyttad")
    broken = await make_resource(session, title="Trasig")
    untouched = await make_resource(session, title="Orörd")
    for resource, status in ((moved, "moved"), (broken, "broken"), (untouched, "broken")):
        stored = await session.get(Resource, resource.id)
        stored.link_status = status
        stored.status_since = utcnow()
        if status == "moved":
            stored.moved_to = "https://www.kb.se/ny-adress"
    await session.commit()
    await account(session)
    await sign_in(client, "kurator@region.se")
    page = await client.get("/manage/links?tab=broken")
    csrf = csrf_of(page.text)
    response = await client.post(
        "/manage/links/bulk",
        data={
            "csrf_token": csrf,
            "action": "accept_redirect",
            "ids": [str(moved.id), str(broken.id)],
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith("bulk=1&skipped=1")
    session.expunge_all()
    assert (await session.get(Resource, moved.id)).url == "https://www.kb.se/ny-adress"
    assert (await session.get(Resource, broken.id)).link_status == "broken"
    fixes = (
        await session.execute(
            select(func.count()).select_from(Revision).where(Revision.action == "fix")
        )
    ).scalar_one()
    assert fixes == 1
    both = {"csrf_token": csrf, "action": "retire", "ids": [str(broken.id), str(untouched.id)]}
    asked = await client.post("/manage/links/bulk", data=both)
    # Retiring more than one asks first, listing what will change; nothing changed yet.
    assert asked.status_code == 200 and "Trasig" in asked.text and "Orörd" in asked.text
    session.expunge_all()
    assert (await session.get(Resource, untouched.id)).state != "retired"
    retire = await client.post("/manage/links/bulk", data={**both, "confirmed": "yes"})
    assert retire.status_code == 200
    session.expunge_all()
    assert (await session.get(Resource, untouched.id)).state == "retired"
    assert "2 länkar åtgärdade." in retire.text  # Swedish by default: "2 links fixed."
    no_csrf = await client.post(
        "/manage/links/bulk", data={"action": "retire", "ids": [str(moved.id)]}
    )
    assert no_csrf.status_code == 403
