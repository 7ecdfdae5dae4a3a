"""Curating many resources at once (issue 16): the list, bulk edits, undo and restore."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import lxml.html
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.db import utcnow
from linkdir.errors import Conflict, ValidationFailed
from linkdir.resources import curating, service
from linkdir.resources.models import ChangeBatch, Resource, Revision
from tests.auth.test_sessions import account, csrf_of, sign_in
from tests.conftest import make_resource, make_settings, make_topic
from tests.feeds.conftest import Hub, feed_client, hub, hub_socket  # noqa: F401 - fixtures
from tests.feeds.test_websub import settle

# Search and bulk writes differ between the databases: run on both (issue 16).
pytestmark = pytest.mark.both_databases

Client = AsyncTestClient[Any]
BY = service.Actor("tests")


async def signed_in(client: Client, session: AsyncSession) -> str:
    await account(session)
    await sign_in(client, "kurator@region.se")
    return csrf_of((await client.get("/manage/resources/new")).text)


def titles(html: str) -> list[str]:
    page = lxml.html.fromstring(html)
    return [str(a.text_content()) for a in page.xpath("//table[@class='listing']/tbody//th/a")]


async def fresh(session: AsyncSession, resource_id: int) -> Resource:
    session.expunge_all()
    found = await session.get(Resource, resource_id)
    assert found is not None
    return found


async def state_of(session: AsyncSession, resource_id: int) -> tuple[Any, ...]:
    resource = await fresh(session, resource_id)
    topics = [t.slug for t in (await service.topics_of(session, [resource_id]))[resource_id]]
    tags = (await service.tags_of(session, [resource_id]))[resource_id]
    return (
        resource.state,
        resource.resource_type,
        resource.language,
        resource.review_by,
        topics,
        tags,
    )


# The list --------------------------------------------------------------------------------


async def test_search_uses_the_public_stemming_and_includes_drafts_and_retired(
    session: AsyncSession,
) -> None:
    await make_resource(session, title="Biblioteken i regionen", state="draft")
    await make_resource(session, title="Bibliotekens strategi", state="retired")
    await make_resource(session, title="Folkhälsa", state="published")
    found = await curating.find(session, curating.Filters(q="bibliotek"))
    assert sorted(r.title for r in found.items) == [
        "Biblioteken i regionen",
        "Bibliotekens strategi",
    ]
    assert found.total == 2
    nothing = await curating.find(session, curating.Filters(q="!!!"))
    assert nothing.total == 0 and nothing.items == []


async def test_filters_combine(session: AsyncSession) -> None:
    await make_topic(session, slug="mik")
    today = date(2027, 1, 10)
    wanted = await make_resource(
        session,
        title="Rätt",
        topics=["mik"],
        tags=["kalla"],
        resource_type="guide",
        language="en",
        state="draft",
        review_by="2027-01-01",
    )
    # Each differs from the wanted one in one filter only.
    await make_resource(
        session,
        title="Fel ämne",
        tags=["kalla"],
        resource_type="guide",
        language="en",
        state="draft",
        review_by="2027-01-01",
    )
    await make_resource(
        session,
        title="Fel tagg",
        topics=["mik"],
        resource_type="guide",
        language="en",
        state="draft",
        review_by="2027-01-01",
    )
    await make_resource(
        session,
        title="Fel typ",
        topics=["mik"],
        tags=["kalla"],
        resource_type="tool",
        language="en",
        state="draft",
        review_by="2027-01-01",
    )
    await make_resource(
        session,
        title="Fel språk",
        topics=["mik"],
        tags=["kalla"],
        resource_type="guide",
        language="sv",
        state="draft",
        review_by="2027-01-01",
    )
    await make_resource(
        session,
        title="Fel läge",
        topics=["mik"],
        tags=["kalla"],
        resource_type="guide",
        language="en",
        state="published",
        review_by="2027-01-01",
    )
    await make_resource(
        session,
        title="Inte dags",
        topics=["mik"],
        tags=["kalla"],
        resource_type="guide",
        language="en",
        state="draft",
        review_by="2027-02-01",
    )
    filters = curating.Filters(
        state="draft",
        topic="mik",
        tag="kalla",
        link_status="unchecked",
        resource_type="guide",
        language="en",
        review_due=True,
    )
    found = await curating.find(session, filters, today=today)
    assert [r.id for r in found.items] == [wanted.id]
    broken = await curating.find(session, curating.Filters(link_status="broken"))
    assert broken.total == 0


async def test_the_link_status_filter_lists_what_the_column_shows(
    session: AsyncSession,
) -> None:
    """A link whose checks fail but are not confirmed shows *suspect* in the list, so
    choosing "Misstänkt" lists it and "Inte kontrollerad än" does not (the filter read
    the stored status: 44 of 48 "unchecked" rows said suspect in the demo)."""
    from sqlalchemy import update

    from linkdir.resources.models import Resource

    failing = await make_resource(session, title="Svarar inte")
    fresh = await make_resource(session, title="Ny")
    confirmed = await make_resource(session, title="Trasig")
    working = await make_resource(session, title="Fungerar")
    for resource, status, failures in (
        (failing, "unchecked", 2),
        (fresh, "unchecked", 0),
        (confirmed, "broken", 3),
        (working, "ok", 0),
    ):
        await session.execute(
            update(Resource)
            .where(Resource.id == resource.id)
            .values(link_status=status, consecutive_failures=failures)
        )
    await session.commit()

    async def titles(status: str) -> list[str]:
        found = await curating.find(session, curating.filters_from({"link_status": status}))
        return sorted(r.title for r in found.items)

    assert await titles("suspect") == ["Svarar inte"]
    assert await titles("unchecked") == ["Ny"]
    assert await titles("broken") == ["Trasig"]
    assert await titles("ok") == ["Fungerar"]


async def test_sorting_and_pages(session: AsyncSession) -> None:
    for title in ("Bravo", "alfa", "Charlie"):
        await make_resource(session, title=title)
    up = await curating.find(session, curating.Filters(sort="title"), per_page=2)
    assert [r.title for r in up.items] == ["alfa", "Bravo"] and up.pages == 2
    second = await curating.find(session, curating.Filters(sort="title"), per_page=2, page=2)
    assert [r.title for r in second.items] == ["Charlie"]
    down = await curating.find(session, curating.Filters(sort="-title"))
    assert [r.title for r in down.items] == ["Charlie", "Bravo", "alfa"]


async def test_the_list_page_keeps_filters_in_links_and_marks_the_sorted_column(
    client: Client, session: AsyncSession
) -> None:
    await make_resource(session, title="Biblioteket Alfa", state="draft")
    await make_resource(session, title="Biblioteket Beta", state="draft")
    await make_resource(session, title="Museet", state="draft")
    await signed_in(client, session)
    page = await client.get(
        "/manage/resources", params={"q": "bibliotek", "state": "draft", "sort": "-title"}
    )
    assert page.status_code == 200
    assert titles(page.text) == ["Biblioteket Beta", "Biblioteket Alfa"]
    doc = lxml.html.fromstring(page.text)
    [sorted_th] = doc.xpath("//th[@aria-sort]")
    assert sorted_th.get("aria-sort") == "descending"
    link = sorted_th.xpath(".//a")[0].get("href")
    assert "q=bibliotek" in link and "state=draft" in link and "sort=title" in link
    ascending = await client.get(link)
    assert titles(ascending.text) == ["Biblioteket Alfa", "Biblioteket Beta"]
    assert (
        lxml.html.fromstring(ascending.text).xpath("//th[@aria-sort]")[0].get("aria-sort")
        == "ascending"
    )


async def test_empty_states_are_translated(client: Client, session: AsyncSession) -> None:
    await signed_in(client, session)
    empty = await client.get("/manage/resources", params={"lang": "sv"})
    assert "Det finns inga resurser ännu." in empty.text
    await make_resource(session, title="Något")
    none = await client.get("/manage/resources", params={"q": "zzzyx", "lang": "en"})
    assert "No resources match these filters." in none.text


# Bulk edits ------------------------------------------------------------------------------


async def test_bulk_validation_names_each_field(session: AsyncSession) -> None:
    try:
        curating.validate_bulk(
            {
                "ids": [],
                "add_topics": "mik",
                "remove_topics": "mik",
                "resource_type": "poem",
                "review_by": "30/6",
            }
        )
    except ValidationFailed as failed:
        fields = {e.field for e in failed.errors}
    else:
        raise AssertionError("accepted")
    assert fields == {"ids", "remove_topics", "resource_type", "review_by"}
    try:
        curating.validate_bulk({"ids": [1]})
    except ValidationFailed as failed:
        assert [e.field for e in failed.errors] == ["change"]
    else:
        raise AssertionError("accepted a bulk edit that changes nothing")
    edit = curating.validate_bulk({"ids": [10**9], "language": "en"})
    try:
        await curating.plan(session, edit)
    except ValidationFailed as failed:
        assert [e.field for e in failed.errors] == ["ids"]
    else:
        raise AssertionError("planned for a resource that does not exist")


async def test_bulk_edit_makes_one_revision_per_changed_resource_in_one_batch(
    session: AsyncSession,
) -> None:
    await make_topic(session, slug="mik")
    await make_topic(session, slug="lasfrämjande")
    first = await make_resource(session, topics=["lasfrämjande"], tags=["gammal", "kvar"])
    second = await make_resource(session, tags=["kvar"], language="en")
    # Already as the edit wants it: no revision for this one.
    same = await make_resource(session, topics=["mik"], tags=["ny"], language="en")
    edit = curating.validate_bulk(
        {
            "ids": [first.id, second.id, same.id],
            "add_topics": ["mik"],
            "remove_topics": ["lasfrämjande"],
            "add_tags": "ny",
            "remove_tags": "gammal, kvar",
            "language": "en",
        }
    )
    planned = await curating.plan(session, edit)
    assert planned[0].changes == {
        "topics": [["lasfrämjande"], ["mik"]],
        "tags": [["gammal", "kvar"], ["ny"]],
        "language": ["sv", "en"],
    }
    assert planned[2].changes == {}
    batch, _ = await curating.apply(session, edit, by=BY)
    await session.commit()
    assert batch is not None
    revisions = list((await session.execute(select(Revision).where(col_batch(batch.id)))).scalars())
    assert sorted(r.resource_id for r in revisions) == sorted([first.id, second.id])
    assert (await state_of(session, first.id))[2:] == ("en", None, ["mik"], ["ny"])
    assert (await state_of(session, same.id))[4:] == (["mik"], ["ny"])


def col_batch(batch_id: str) -> Any:
    return Revision.batch == batch_id  # type: ignore[arg-type]


async def test_undo_restores_exactly_the_previous_values(session: AsyncSession) -> None:
    await make_topic(session, slug="mik")
    one = await make_resource(session, tags=["a"], review_by="2027-03-01", state="published")
    two = await make_resource(session, state="draft", resource_type="tool")
    before = [await state_of(session, one.id), await state_of(session, two.id)]
    edit = curating.validate_bulk(
        {
            "ids": [one.id, two.id],
            "add_topics": ["mik"],
            "add_tags": ["b"],
            "resource_type": "guide",
            "review_by": None,
            "state": "retired",
        }
    )
    batch, _ = await curating.apply(session, edit, by=BY)
    await session.commit()
    assert batch is not None
    assert (await state_of(session, one.id))[0] == "retired"
    restored = await curating.undo(session, batch.id, by=BY)
    await session.commit()
    assert sorted(restored) == sorted([one.id, two.id])
    assert [await state_of(session, one.id), await state_of(session, two.id)] == before
    history = await service.revisions_of(session, one.id)
    assert history[0].action == "undo"
    try:
        await curating.undo(session, batch.id, by=BY)
    except Conflict as conflict:
        assert "already" in conflict.error.message
    else:
        raise AssertionError("undone twice")


async def test_undo_is_refused_after_ten_minutes_and_after_a_later_change(
    session: AsyncSession,
) -> None:
    resource = await make_resource(session)
    batch = await curating.change_state(session, resource.id, "retired", by=BY)
    await session.commit()
    assert batch is not None
    late = batch.expires_at + timedelta(seconds=1)
    try:
        await curating.undo(session, batch.id, by=BY, now=late)
    except Conflict as conflict:
        assert "Too late" in conflict.error.message
    else:
        raise AssertionError("undone after the window")
    # Still undoable just before the end of the window.
    second = await curating.change_state(session, resource.id, "draft", by=BY)
    await session.commit()
    assert second is not None
    await service.update_resource(session, resource.id, {"title": "Ändrad sedan"}, by=BY)
    await session.commit()
    try:
        await curating.undo(session, second.id, by=BY, now=second.expires_at - timedelta(1e-3))
    except Conflict as conflict:
        assert "changed since" in conflict.error.message
    else:
        raise AssertionError("a later change was overwritten")
    assert (await fresh(session, resource.id)).state == "draft"


async def test_restore_brings_a_retired_resource_back_to_its_earlier_state(
    session: AsyncSession,
) -> None:
    resource = await make_resource(session, state="published")
    await service.update_resource(session, resource.id, {"state": "retired"}, by=BY)
    await session.commit()
    restored = await curating.restore(session, resource.id, by=BY)
    await session.commit()
    assert restored.state == "published"
    assert (await service.revisions_of(session, resource.id))[0].action == "restore"
    try:
        await curating.restore(session, resource.id, by=BY)
    except Conflict:
        pass
    else:
        raise AssertionError("restored a resource that is not retired")


# Pages -----------------------------------------------------------------------------------


async def test_bulk_edit_in_the_browser_flow_confirms_then_applies_and_undoes(
    client: Client, session: AsyncSession
) -> None:
    await make_topic(session, slug="mik", name_sv="Medie- och informationskunnighet")
    one = await make_resource(session, title="Ett", state="draft")
    two = await make_resource(session, title="Två", state="draft")
    csrf = await signed_in(client, session)
    back = "/manage/resources?state=draft&sort=title"
    confirm = await client.post(
        "/manage/resources/bulk",
        data={
            "csrf_token": csrf,
            "back": back,
            "ids": [str(one.id), str(two.id)],
            "add_topics": "mik",
            "state": "published",
        },
    )
    assert confirm.status_code == 200
    assert "Medie- och informationskunnighet" in confirm.text
    # Nothing is written before the confirmation.
    assert (await state_of(session, one.id))[0] == "draft"
    form = lxml.html.fromstring(confirm.text).get_element_by_id("bulk-apply")
    data: dict[str, Any] = {}
    for field in form.xpath(".//input"):
        data.setdefault(field.get("name"), []).append(field.get("value"))
    applied = await client.post("/manage/resources/bulk/apply", data=data, follow_redirects=False)
    assert applied.status_code == 303
    target = applied.headers["location"]
    assert target.startswith("/manage/resources?state=draft&sort=title&undo=")
    assert (await state_of(session, one.id))[0] == "published"
    listed = await client.get(target)
    notice = lxml.html.fromstring(listed.text).get_element_by_id("undo-notice")
    assert "2 resurser ändrades." in " ".join(notice.text_content().split()), notice.text_content()
    undo_form = notice.xpath(".//form")[0]
    undone = await client.post(
        undo_form.get("action"),
        data={
            "csrf_token": csrf,
            "back": undo_form.xpath(".//input[@name='back']")[0].get("value"),
        },
        follow_redirects=False,
    )
    assert undone.status_code == 303 and "undone=2" in undone.headers["location"]
    assert await state_of(session, one.id) == ("draft", "report", "sv", None, [], [])


async def test_bulk_errors_are_shown_beside_the_fields_in_the_readers_language(
    client: Client, session: AsyncSession
) -> None:
    resource = await make_resource(session, title="Ett")
    csrf = await signed_in(client, session)
    bad = await client.post(
        "/manage/resources/bulk?lang=en",
        data={"csrf_token": csrf, "ids": [str(resource.id)], "review_by": "imorgon"},
    )
    assert bad.status_code == 422
    page = lxml.html.fromstring(bad.text)
    assert "YYYY-MM-DD" in page.get_element_by_id("error-review_by").text_content()
    assert page.get_element_by_id(f"choose-{resource.id}").get("checked") is not None
    nothing = await client.post(
        "/manage/resources/bulk?lang=sv", data={"csrf_token": csrf, "ids": [str(resource.id)]}
    )
    assert nothing.status_code == 422
    assert "Välj minst en ändring" in nothing.text


async def test_choose_all_on_page_works_without_javascript(
    client: Client, session: AsyncSession
) -> None:
    one = await make_resource(session, title="Ett")
    two = await make_resource(session, title="Två")
    csrf = await signed_in(client, session)
    confirm = await client.post(
        "/manage/resources/bulk",
        data={
            "csrf_token": csrf,
            "all_on_page": "1",
            "page_ids": [str(one.id), str(two.id)],
            "language": "en",
        },
    )
    assert confirm.status_code == 200
    assert "Ett" in confirm.text and "Två" in confirm.text


async def test_retire_from_the_list_offers_undo_and_expiry_is_explained(
    client: Client, session: AsyncSession
) -> None:
    resource = await make_resource(session, title="Att pensionera")
    csrf = await signed_in(client, session)
    retired = await client.post(
        f"/manage/resources/{resource.id}/state",
        data={"csrf_token": csrf, "action": "retire", "back": "/manage/resources"},
        follow_redirects=False,
    )
    assert retired.status_code == 303
    batch_id = retired.headers["location"].split("undo=")[1]
    listed = await client.get(retired.headers["location"])
    assert 'action="/manage/undo/' + batch_id in listed.text
    # Ten minutes pass.
    batch = await session.get(ChangeBatch, batch_id)
    assert batch is not None
    batch.expires_at = utcnow() - timedelta(seconds=1)
    await session.commit()
    late = await client.post(
        f"/manage/undo/{batch_id}",
        data={"csrf_token": csrf, "back": "/manage/resources"},
        headers={"Accept-Language": "en"},
    )
    assert late.status_code == 409
    assert "Too late to undo" in late.text and 'href="/manage/resources"' in late.text
    assert (await fresh(session, resource.id)).state == "retired"
    expired_notice = await client.get(retired.headers["location"])
    assert "has run out" in expired_notice.text or "har gått ut" in expired_notice.text
    restored = await client.post(
        f"/manage/resources/{resource.id}/restore",
        data={"csrf_token": csrf, "back": "/manage/resources?state=retired"},
        follow_redirects=False,
    )
    assert restored.status_code == 303
    assert (await fresh(session, resource.id)).state == "published"
    # From its own page: it says so there; a second click is no dead end either.
    edit = f"/manage/resources/{resource.id}"
    await client.post(edit + "/state", data={"csrf_token": csrf, "action": "retire", "back": edit})
    again = await client.post(
        edit + "/restore",
        data={"csrf_token": csrf, "back": edit},
        headers={"Accept-Language": "en"},
    )
    assert (
        "The resource is restored"
        in lxml.html.fromstring(again.text).get_element_by_id("restored-notice").text_content()
    )
    twice = await client.post(edit + "/restore", data={"csrf_token": csrf, "back": edit})
    assert twice.status_code == 200  # the resource's page, not a 409 with no way on
    notice = lxml.html.fromstring(twice.text).get_element_by_id("not-retired-notice")
    assert (
        notice.text_content()
        == "Resursen är inte arkiverad (längre): det fanns inget att återställa."
    )


async def test_bulk_pages_need_a_signed_in_curator_and_csrf(
    client: Client, session: AsyncSession
) -> None:
    anonymous = await client.post("/manage/resources/bulk", data={}, follow_redirects=False)
    assert anonymous.status_code in {302, 303, 401}
    await signed_in(client, session)
    forged = await client.post("/manage/resources/bulk", data={"ids": ["1"], "language": "en"})
    assert forged.status_code == 403


# API -------------------------------------------------------------------------------------


async def test_api_list_filters_and_sorts(
    client: Client, session: AsyncSession, auth_headers_factory: Any
) -> None:
    await make_resource(session, title="Guide B", resource_type="guide", language="en")
    await make_resource(
        session, title="Guide A", resource_type="guide", language="en", state="draft"
    )
    await make_resource(session, title="Verktyg", resource_type="tool", language="en")
    headers = await auth_headers_factory()
    answer = await client.get(
        "/api/v1/resources",
        params={"type": "guide", "language": "en", "sort": "title", "link_status": "unchecked"},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    assert [r["title"] for r in answer.json()["items"]] == ["Guide A", "Guide B"]
    public = await client.get("/api/v1/resources", params={"type": "guide"})
    assert [r["title"] for r in public.json()["items"]] == ["Guide B"]
    bad = await client.get("/api/v1/resources", params={"sort": "colour"}, headers=headers)
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("application/problem+json")


async def test_api_bulk_dry_run_then_apply_then_undo(
    client: Client, session: AsyncSession, auth_headers_factory: Any
) -> None:
    resource = await make_resource(session, title="Ett", tags=["a"])
    headers = await auth_headers_factory()
    body = {"ids": [resource.id], "add_tags": ["b"], "review_by": "2027-06-30"}
    dry = await client.post(
        "/api/v1/resources/bulk", json={**body, "dry_run": True}, headers=headers
    )
    assert dry.status_code == 200, dry.text
    assert dry.json()["batch"] is None
    assert dry.json()["resources"][0]["changes"] == {
        "tags": [["a"], ["a", "b"]],
        "review_by": [None, "2027-06-30"],
    }
    assert (await state_of(session, resource.id))[5] == ["a"]
    applied = await client.post("/api/v1/resources/bulk", json=body, headers=headers)
    assert applied.status_code == 200 and applied.json()["changed"] == 1
    assert (await state_of(session, resource.id))[3:] == (date(2027, 6, 30), [], ["a", "b"])
    undo = await client.post(applied.json()["undo_url"], headers=headers)
    assert undo.status_code == 200 and undo.json()["restored"] == [resource.id]
    again = await client.post(applied.json()["undo_url"], headers=headers)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    missing = await client.post("/api/v1/undo/" + "0" * 32, headers=headers)
    assert missing.status_code == 404
    invalid = await client.post(
        "/api/v1/resources/bulk", json={"ids": [resource.id], "state": "gone"}, headers=headers
    )
    assert invalid.status_code == 422
    assert [e["field"] for e in invalid.json()["errors"]] == ["state"]
    anonymous = await client.post("/api/v1/resources/bulk", json=body)
    assert anonymous.status_code == 401


async def test_api_restore(
    client: Client, session: AsyncSession, auth_headers_factory: Any
) -> None:
    resource = await make_resource(session, state="retired")
    headers = await auth_headers_factory()
    answer = await client.post(f"/api/v1/resources/{resource.id}/restore", headers=headers)
    assert answer.status_code == 200 and answer.json()["state"] == "draft"
    again = await client.post(f"/api/v1/resources/{resource.id}/restore", headers=headers)
    assert again.status_code == 409


async def test_bulk_edit_is_one_transaction(
    session: AsyncSession, client: Client, auth_headers_factory: Any
) -> None:
    """A failure half-way (a topic deleted under the edit) leaves every resource as it was."""
    await make_topic(session, slug="mik")
    one = await make_resource(session)
    headers = await auth_headers_factory()
    revisions = (await session.execute(select(func.count()).select_from(Revision))).scalar_one()
    answer = await client.post(
        "/api/v1/resources/bulk",
        json={"ids": [one.id, 10**9], "add_topics": ["mik"]},
        headers=headers,
    )
    assert answer.status_code == 422
    session.expunge_all()
    after = (await session.execute(select(func.count()).select_from(Revision))).scalar_one()
    assert after == revisions
    assert (await session.execute(select(func.count()).select_from(ChangeBatch))).scalar_one() == 0


async def test_bulk_publish_pings_the_hub_like_a_single_publish(
    database_url: str,
    hub: Hub,  # noqa: F811 - the fixture imported above
    session: AsyncSession,
    auth_headers_factory: Any,  # noqa: F811
    shared_app: Any,
) -> None:
    settings = make_settings(database_url, websub_hub_url=hub.url)
    draft = await make_resource(session, state="draft")
    headers = await auth_headers_factory()
    async with feed_client(settings, shared_app(settings)) as c:
        answer = await c.post(
            "/api/v1/resources/bulk",
            json={"ids": [draft.id], "state": "published"},
            headers=headers,
        )
        assert answer.status_code == 200, answer.text
        await hub.wait_for("http://testserver.local/feeds/new.atom")
        await settle(c)
    assert "http://testserver.local/feeds/new.atom" in hub.urls()
