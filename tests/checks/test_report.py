"""The maintainer's link report and its one-click fixes, in the UI and the API."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import lxml.html
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from tests.auth.test_sessions import account, csrf_of, sign_in
from tests.conftest import make_resource, make_settings, make_topic

from linkdir.app import create_app
from linkdir.auth.service import create_token
from linkdir.db import utcnow
from linkdir.resources.models import Resource, Revision


async def problems(session: Any) -> dict[str, Any]:
    """One resource per report tab, plus a healthy one."""
    now = utcnow()
    topic = await make_topic(session, slug="lasframjande")
    broken = await make_resource(
        session, url="https://trasig.example.se/rapport", topics=[topic.slug]
    )
    moved = await make_resource(session, url="https://gammal.example.se/guide")
    unverified = await make_resource(session, url="https://vagg.example.se/")
    review = await make_resource(session, url="https://granska.example.se/", review_by="2020-01-01")
    stale = await make_resource(session, url="https://gammal.example.se/2018")
    healthy = await make_resource(session, url="https://fungerar.example.se/")
    broken.link_status, broken.http_status, broken.reason = "broken", 404, "http_404"
    broken.status_since = broken.last_checked_at = now - timedelta(days=1)
    broken.consecutive_failures = 3
    moved.link_status, moved.http_status, moved.reason = "moved", 200, "moved_permanently"
    moved.moved_to = "https://ny.example.se/guide"
    unverified.link_status, unverified.http_status, unverified.reason = (
        "unverified",
        403,
        "bot_wall",
    )
    stale.link_status, stale.modified_on = "ok", date(2018, 10, 26)
    healthy.link_status = "ok"
    await session.commit()
    return {
        "broken": broken,
        "moved": moved,
        "unverified": unverified,
        "review": review,
        "stale": stale,
        "healthy": healthy,
    }


async def signed_in(client: Any, session: Any, role: str = "editor") -> str:
    await account(session, role=role)
    assert (await sign_in(client, "kurator@region.se")).status_code == 303
    return csrf_of((await client.get("/manage/links")).text)


async def test_anonymous_visitors_are_sent_to_sign_in(client, session):
    response = await client.get("/manage/links", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=%2Fmanage%2Flinks")
    assert (await client.get("/manage/links.csv", follow_redirects=False)).status_code == 303
    fix = await client.post(
        "/manage/links/1/fix", data={"action": "retire"}, follow_redirects=False
    )
    assert fix.status_code in {303, 401, 403}
    assert (await client.get("/api/v1/reports/links")).status_code == 401
    api_fix = await client.post("/api/v1/resources/1/fix", json={"action": "retire"})
    assert api_fix.status_code == 401


async def test_the_report_counts_every_status_and_shows_evidence_per_tab(client, session):
    found = await problems(session)
    await signed_in(client, session)
    page = await client.get("/manage/links?lang=en")
    assert page.status_code == 200
    html = page.text
    assert html.count("<h1") == 1
    assert '<th scope="row">' in html
    assert found["broken"].url in html and "The page does not exist (HTTP 404)" in html
    assert "http_404" not in html  # reasons in words, never the code
    assert found["moved"].url not in html  # another tab
    assert "Broken (1)" in html and "Moved (1)" in html and "Stale (1)" in html
    # Each count names its status on the cell itself: on a phone the table's cells stack
    # and its header row is hidden (site.css), so a bare number would say nothing.
    counts = html[html.index('<table class="counts">') : html.index("</table>")]
    assert '<td data-label="Broken">1</td>' in counts and 'data-label="Works"' in counts
    assert counts.count("<td ") == counts.count('<th scope="col">')
    moved = (await client.get("/manage/links?tab=moved&lang=en")).text
    assert "https://ny.example.se/guide" in moved and 'value="accept_redirect"' in moved
    assert found["unverified"].url in (await client.get("/manage/links?tab=unverified")).text
    assert found["review"].url in (await client.get("/manage/links?tab=review_due")).text
    stale = (await client.get("/manage/links?tab=stale&lang=en")).text
    assert found["stale"].url in stale and found["healthy"].url not in stale
    swedish = (await client.get("/manage/links?lang=sv")).text
    assert "Länkrapport" in swedish and "Trasig (1)" in swedish


async def test_an_empty_tab_names_the_tabs_with_links_waiting(client, session):
    """A curator who lands on an empty Broken tab while links wait elsewhere (suspects
    waiting for their confirming checks, say) is pointed to them, in their language."""
    found = await problems(session)
    found["broken"].link_status = "ok"  # failing still, not yet confirmed: a suspect
    await session.commit()
    await signed_in(client, session)
    html = (await client.get("/manage/links?lang=en")).text
    assert "No confirmed broken links." in html
    waiting = html[html.index("Links are waiting in other tabs:") :]
    waiting = waiting[: waiting.index("</p>")]
    named = re.findall(r'<a href="([^"]+)">([^<]+)</a>', waiting)
    assert [label for _href, label in named] == [
        "Suspect (1)",
        "Moved (1)",
        "Unverified (1)",
        "Review due (1)",
        "Stale (1)",
    ]
    assert all("tab=" in href for href, _label in named)
    swedish = (await client.get("/manage/links?lang=sv")).text
    assert "Länkar väntar i andra flikar:" in swedish and ">Flyttad (1)</a>" in swedish
    # A tab with links of its own shows them, not the pointer.
    assert "Links are waiting" not in (await client.get("/manage/links?tab=moved&lang=en")).text


async def test_filters_by_topic_and_host(client, session):
    found = await problems(session)
    await signed_in(client, session)
    by_topic = (await client.get("/manage/links?tab=broken&topic=lasframjande")).text
    assert found["broken"].url in by_topic
    stale_in_topic = (await client.get("/manage/links?tab=stale&topic=lasframjande")).text
    assert found["stale"].url not in stale_in_topic
    by_host = (await client.get("/manage/links?tab=stale&host=gammal.example.se")).text
    assert found["stale"].url in by_host
    other_host = (await client.get("/manage/links?tab=stale&host=annan.example.se")).text
    assert found["stale"].url not in other_host


async def test_csv_export_has_the_evidence_of_the_tab(client, session):
    found = await problems(session)
    await signed_in(client, session)
    response = await client.get("/manage/links.csv?tab=broken")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    # For Swedish Excel: a BOM, ";" between columns.
    assert response.content.startswith(b"\xef\xbb\xbfid;title;url;")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert [row["url"] for row in rows] == [found["broken"].url]
    assert rows[0]["http_status"] == "404" and rows[0]["reason"] == "http_404"


async def fresh(session: Any, resource_id: int) -> Resource:
    session.expunge_all()
    return await session.get(Resource, resource_id)


async def revisions(session: Any, resource_id: int) -> list[Revision]:
    session.expunge_all()
    statement = select(Revision).where(Revision.resource_id == resource_id).order_by(Revision.id)
    return list((await session.execute(statement)).scalars())


async def test_one_click_fixes_in_the_ui_record_revisions(client, session):
    found = await problems(session)
    csrf = await signed_in(client, session)
    moved_id = found["moved"].id
    refused = await client.post(
        f"/manage/links/{moved_id}/fix", data={"action": "accept_redirect"}, follow_redirects=False
    )
    assert refused.status_code == 403  # no CSRF token
    accepted = await client.post(
        f"/manage/links/{moved_id}/fix",
        data={"action": "accept_redirect", "csrf_token": csrf, "back": "/manage/links?tab=moved"},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    back = f"/manage/links?tab=moved&fixed={moved_id}#resource-{moved_id}"
    assert accepted.headers["location"] == back
    resource = await fresh(session, moved_id)
    assert resource.url == "https://ny.example.se/guide"
    assert resource.link_status == "unchecked"
    last = (await revisions(session, moved_id))[-1]
    assert last.action == "fix" and last.actor == "kurator@region.se"
    assert last.changes["url"] == ["https://gammal.example.se/guide", "https://ny.example.se/guide"]

    broken_id = found["broken"].id
    marked = await client.post(
        f"/manage/links/{broken_id}/fix",
        data={"action": "mark_ok", "csrf_token": csrf, "back": "/manage/links?tab=broken"},
    )
    resource = await fresh(session, broken_id)
    assert (resource.link_status, resource.consecutive_failures) == ("ok", 0)
    # Its row left the tab: the page it returns to says the fix was done, at the top.
    notice = lxml.html.fromstring(marked.text).get_element_by_id("fixed-elsewhere")
    assert notice.text_content().startswith("Åtgärdat. Länken har lämnat den här fliken")
    assert notice.xpath(".//a/@href") == [f"/manage/resources/{broken_id}"]
    assert (await revisions(session, broken_id))[-1].changes["link_status"] == ["broken", "ok"]

    stale_id = found["stale"].id
    await client.post(
        f"/manage/links/{stale_id}/fix", data={"action": "retire", "csrf_token": csrf}
    )
    resource = await fresh(session, stale_id)
    assert resource.state == "retired"
    assert (await revisions(session, stale_id))[-1].action == "fix"
    page = (await client.get("/manage/links?tab=stale")).text
    assert found["stale"].url not in page


async def test_the_api_fixes_links_with_a_token_or_a_session_and_csrf(client, session):
    found = await problems(session)
    user = await account(session)
    token = (await create_token(session, user.email, "tests")).token
    await session.commit()
    bearer = {"Authorization": f"Bearer {token}"}

    response = await client.post(
        f"/api/v1/resources/{found['moved'].id}/fix", json={"action": "accept_redirect"},
        headers=bearer,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["url"] == "https://ny.example.se/guide"
    nothing_to_accept = await client.post(
        f"/api/v1/resources/{found['broken'].id}/fix", json={"action": "accept_redirect"},
        headers=bearer,
    )  # fmt: skip
    assert nothing_to_accept.status_code == 422
    unknown = await client.post(
        f"/api/v1/resources/{found['broken'].id}/fix", json={"action": "explode"}, headers=bearer
    )
    assert unknown.status_code == 422
    missing = await client.post("/api/v1/resources/99999/fix", json={"action": "retire"},
                                headers=bearer)  # fmt: skip
    assert missing.status_code == 404

    assert (await sign_in(client, user.email)).status_code == 303
    without_csrf = await client.post(
        f"/api/v1/resources/{found['broken'].id}/fix", json={"action": "mark_ok"}
    )
    assert without_csrf.status_code == 403
    csrf = csrf_of((await client.get("/manage/links")).text)
    with_csrf = await client.post(
        f"/api/v1/resources/{found['broken'].id}/fix",
        json={"action": "mark_ok"},
        headers={"X-CSRF-Token": csrf},
    )
    assert with_csrf.status_code == 200 and with_csrf.json()["link_status"] == "ok"


async def test_the_api_report_is_paged_and_has_the_same_data(client, session):
    found = await problems(session)
    for n in range(3):
        extra = await make_resource(session, url=f"https://trasig{n}.example.se/")
        extra.link_status = "broken"
    await session.commit()
    _, token = await _token(session)
    headers = {"Authorization": f"Bearer {token}"}
    first = await client.get("/api/v1/reports/links?status=broken&per_page=3", headers=headers)
    assert first.status_code == 200
    body = first.json()
    assert (body["status"], body["total"], body["page"], len(body["items"])) == ("broken", 4, 1, 3)
    assert body["counts"]["moved"] == 1 and body["counts"]["stale"] == 1
    second = await client.get(
        "/api/v1/reports/links?status=broken&per_page=3&page=2", headers=headers
    )
    urls = [item["url"] for item in body["items"] + second.json()["items"]]
    assert sorted(urls) == sorted(
        [found["broken"].url] + [f"https://trasig{n}.example.se/" for n in range(3)]
    )
    row = next(
        item
        for item in body["items"] + second.json()["items"]
        if item["url"] == found["broken"].url
    )
    assert (row["http_status"], row["reason"], row["consecutive_failures"]) == (404, "http_404", 3)
    moved = (await client.get("/api/v1/reports/links?status=moved", headers=headers)).json()
    assert moved["items"][0]["moved_to"] == "https://ny.example.se/guide"
    assert re.match(r"\d{4}-\d\d-\d\d", row["status_since"])


async def _token(session: Any) -> tuple[Any, str]:
    user = await account(session, email="api@region.se")
    new = await create_token(session, user.email, "tests")
    await session.commit()
    return user, new.token


async def test_use_archive_stores_the_snapshot_from_before_the_link_broke(
    web, database_url, session
):
    asked: list[dict[str, list[str]]] = []

    def available(request: Any) -> Any:
        query = parse_qs(urlsplit(request.target).query)
        asked.append(query)
        url = query["url"][0]
        snapshots: dict[str, Any] = {}
        if "utan-kopia" not in url:
            snapshots["closest"] = {
                "status": "200",
                "available": True,
                "url": f"http://web.archive.org/web/20240101000000/{url}",
                "timestamp": "20240101000000",
            }
        body = json.dumps({"url": url, "archived_snapshots": snapshots}).encode()
        return web.Reply(200, body, content_type="application/json")

    wayback = web.site("127.0.202.2", {"/wayback/available": available}, ip="127.0.202.2")
    found = await problems(session)
    broken = found["broken"]
    without_copy = await make_resource(session, url="https://utan-kopia.example.se/")
    without_copy.link_status = "broken"
    await session.commit()
    _, token = await _token(session)
    headers = {"Authorization": f"Bearer {token}"}
    settings = make_settings(database_url, wayback_api_url=wayback.url("/wayback/available"))
    async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as api:
        response = await api.post(
            f"/api/v1/resources/{broken.id}/fix", json={"action": "use_archive"}, headers=headers
        )
        assert response.status_code == 200, response.text
        missing = await api.post(
            f"/api/v1/resources/{without_copy.id}/fix", json={"action": "use_archive"},
            headers=headers,
        )  # fmt: skip
        assert missing.status_code == 422
        assert "ingen kopia" in missing.text
    assert asked[0]["url"] == [broken.url]
    assert asked[0]["timestamp"] == [broken.status_since.strftime("%Y%m%d%H%M%S")]
    resource = await fresh(session, broken.id)
    assert resource.archive_url == f"https://web.archive.org/web/20240101000000/{broken.url}"
    last = (await revisions(session, broken.id))[-1]
    assert last.action == "fix" and last.changes["fix"] == [None, "use_archive"]
