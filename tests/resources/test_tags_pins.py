"""Tags (counts, rename, merge, old addresses answering 301) and pinned order in a topic."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import feedparser
import pytest
from litestar.testing import AsyncTestClient
from lxml import etree
from sqlalchemy import func, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.config import Settings
from linkdir.db import create_engine, session_factory
from linkdir.errors import Conflict, NotFound, ValidationFailed
from linkdir.resources import pins, service, tags
from linkdir.resources.models import ResourceTag, Revision, Tag, TagAlias
from tests.auth.test_sessions import account, csrf_of, sign_in
from tests.conftest import make_editor, make_resource, make_topic
from tests.feeds.conftest import SCHEMA, assert_valid_atom, feed_client

Client = AsyncTestClient[Any]
BY = service.Actor("tests")


@pytest.fixture
async def client(settings: Settings, shared_app: Any) -> AsyncIterator[Client]:
    async with feed_client(settings, shared_app(settings)) as c:
        yield c


async def signed_in(client: Client, session: AsyncSession) -> str:
    await account(session)
    await sign_in(client, "kurator@region.se")
    return csrf_of((await client.get("/manage/tags")).text)


async def tag_rows(session: AsyncSession, resource_id: int) -> list[str]:
    rows = await session.execute(
        select(Tag.slug)
        .join(ResourceTag, ResourceTag.tag_id == Tag.id)  # type: ignore[arg-type]
        .where(ResourceTag.resource_id == resource_id)
        .order_by(Tag.slug)
    )
    return list(rows.scalars())


# Tags: service ------------------------------------------------------------------------


async def test_tags_are_listed_with_published_and_total_counts_and_filtered(
    session: AsyncSession,
) -> None:
    await make_resource(session, tags=["strategi", "mik"])
    await make_resource(session, tags=["strategi"], state="draft")
    await make_resource(session, tags=["strategy"])
    counts = {t.slug: (t.published, t.total) for t in await tags.list_tags(session)}
    assert counts == {"strategi": (1, 2), "mik": (1, 1), "strategy": (1, 1)}
    assert [t.slug for t in await tags.list_tags(session, " STRAT")] == ["strategi", "strategy"]
    assert await tags.list_tags(session, "zz") == []


async def test_merge_moves_every_resource_without_duplicate_rows_and_records_revisions(
    session: AsyncSession,
) -> None:
    only_old = await make_resource(session, tags=["strategy"])
    both = await make_resource(session, tags=["strategy", "strategi"], state="draft")
    untouched = await make_resource(session, tags=["strategi"])
    plan = await tags.merge_tags(session, "strategy", "Strategi", by=BY)
    await session.commit()
    assert plan.already_tagged == {both.id}
    assert await tag_rows(session, only_old.id) == ["strategi"]
    assert await tag_rows(session, both.id) == ["strategi"]
    assert await tag_rows(session, untouched.id) == ["strategi"]
    assert not await service.tag_exists(session, "strategy")
    revisions = (
        (await session.execute(select(Revision).where(Revision.action == "update"))).scalars().all()
    )
    assert {r.resource_id: r.changes for r in revisions} == {
        only_old.id: {"tags": [["strategy"], ["strategi"]]},
        both.id: {"tags": [["strategi", "strategy"], ["strategi"]]},
    }
    assert await tags.moved_to(session, "strategy") == "strategi"
    # The search words follow: the old tag no longer finds the resource.
    refreshed = await service.get_resource(session, only_old.id)
    assert "strategy" not in refreshed.search_body


async def test_merge_refuses_a_missing_target_and_the_same_tag(session: AsyncSession) -> None:
    await make_resource(session, tags=["mik"])
    with pytest.raises(ValidationFailed) as missing:
        await tags.plan_merge(session, "mik", "mil")
    assert missing.value.errors[0].field == "into"
    assert "no tag" in missing.value.errors[0].message
    with pytest.raises(ValidationFailed) as same:
        await tags.plan_merge(session, "mik", " MIK ")
    assert "itself" in same.value.errors[0].message
    with pytest.raises(NotFound):
        await tags.plan_merge(session, "finns-inte", "mik")


async def test_rename_leaves_an_alias_and_refuses_a_taken_name(session: AsyncSession) -> None:
    resource = await make_resource(session, tags=["mil"])
    await make_resource(session, tags=["mik"])
    with pytest.raises(Conflict) as taken:
        await tags.rename_tag(session, "mil", "mik", by=BY)
    assert taken.value.error.field == "slug"
    with pytest.raises(ValidationFailed):
        await tags.rename_tag(session, "mil", "mil", by=BY)
    await tags.rename_tag(session, "mil", "Medie- och informationskunnighet", by=BY)
    await tags.rename_tag(session, "medie-och-informationskunnighet", "mil-2", by=BY)
    await session.commit()
    assert await tag_rows(session, resource.id) == ["mil-2"]
    # Every earlier name leads to the current one, however many renames ago.
    assert await tags.moved_to(session, "mil") == "mil-2"
    assert await tags.moved_to(session, "medie-och-informationskunnighet") == "mil-2"
    # Back to an earlier name: it is the tag's own again, not an alias of itself.
    await tags.rename_tag(session, "mil-2", "mil", by=BY)
    assert await tags.moved_to(session, "mil") is None
    # An alias of another tag is not free: its addresses lead there.
    await tags.merge_tags(session, "mik", "mil", by=BY)
    await make_resource(session, tags=["annat"])
    with pytest.raises(Conflict):
        await tags.rename_tag(session, "annat", "mik", by=BY)


async def test_merging_a_renamed_tag_carries_its_earlier_names_to_the_target(
    session: AsyncSession,
) -> None:
    await make_resource(session, tags=["a-gammal"])
    await make_resource(session, tags=["mal"])
    await tags.rename_tag(session, "a-gammal", "b-ny", by=BY)
    plan = await tags.merge_tags(session, "b-ny", "mal", by=BY)
    assert sorted(plan.aliases) == ["a-gammal", "b-ny"]
    assert await tags.moved_to(session, "a-gammal") == "mal"
    assert await tags.moved_to(session, "b-ny") == "mal"


# Tags: HTTP ---------------------------------------------------------------------------


async def test_old_tag_addresses_answer_301_and_the_new_feed_validates(
    client: Client, session: AsyncSession
) -> None:
    await make_resource(session, title="Strategi för bibliotek", tags=["strategy"])
    await make_resource(session, title="Regional strategi", tags=["strategi"])
    csrf = await signed_in(client, session)
    confirm = await client.post(
        "/manage/tags/strategy/merge", data={"csrf_token": csrf, "into": "strategi"}
    )
    assert confirm.status_code == 200
    assert "Strategi för bibliotek" in confirm.text
    assert not await tags.moved_to(session, "strategy")  # nothing done before the confirmation
    done = await client.post(
        "/manage/tags/strategy/merge",
        data={"csrf_token": csrf, "into": "strategi", "confirm": "1"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    expected = {
        "/feeds/tags/strategy.atom": "/feeds/tags/strategi.atom",
        "/feeds/tags/strategy.rss?lang=en": "/feeds/tags/strategi.rss?lang=en",
        "/tags/strategy?page=2": "/tags/strategi?page=2",
        "/tags/strategy/print": "/tags/strategi/print",
        "/embed/tags/strategy": "/embed/tags/strategi",
        "/api/v1/embed/tags/strategy": "/api/v1/embed/tags/strategi",
    }
    for old, new in expected.items():
        moved = await client.get(old, follow_redirects=False)
        assert (moved.status_code, moved.headers["location"]) == (301, new), old
    followed = await client.get("/feeds/tags/strategy.atom")
    assert followed.status_code == 200
    assert_valid_atom(etree.RelaxNG(etree.parse(str(SCHEMA))), followed.content)
    parsed = feedparser.parse(followed.content)
    assert not parsed.bozo
    assert {e.title for e in parsed.entries} == {"Strategi för bibliotek", "Regional strategi"}
    # A tag that never existed is still not found, in feeds as on pages.
    assert (await client.get("/feeds/tags/aldrig.atom")).status_code == 404
    assert (await client.get("/tags/aldrig")).status_code == 404


async def test_rename_form_errors_are_specific_and_translated(
    client: Client, session: AsyncSession
) -> None:
    await make_resource(session, tags=["mil"])
    await make_resource(session, tags=["mik"])
    csrf = await signed_in(client, session)
    taken = await client.post(
        "/manage/tags/mil/rename?lang=en", data={"csrf_token": csrf, "slug": "mik"}
    )
    assert taken.status_code == 409
    assert "The tag mik exists already; merge into it instead." in taken.text
    swedish = await client.post(
        "/manage/tags/mil/merge?lang=sv", data={"csrf_token": csrf, "into": "saknas"}
    )
    assert swedish.status_code == 422
    assert "Det finns ingen tagg saknas att slå ihop med" in swedish.text
    renamed = await client.post(
        "/manage/tags/mil/rename",
        data={"csrf_token": csrf, "slug": "MIL nytt"},
        follow_redirects=False,
    )
    assert renamed.status_code == 303
    assert (await client.get("/tags/mil", follow_redirects=False)).headers["location"] == (
        "/tags/mil-nytt"
    )
    listing = await client.get("/manage/tags?q=nytt")
    assert "#mil-nytt" in listing.text and "#mik" not in listing.text


async def test_tag_api_lists_renames_and_merges_with_problem_errors(
    client: Client, session: AsyncSession
) -> None:
    await make_resource(session, tags=["strategy"])
    await make_resource(session, tags=["utkast"], state="draft")
    await make_resource(session, tags=["strategi"])
    _, token = await make_editor(session)
    auth = {"Authorization": f"Bearer {token}"}
    public = (await client.get("/api/v1/tags")).json()
    assert [t["slug"] for t in public] == ["strategi", "strategy"]
    assert public[0]["resource_count"] is None
    assert (await client.get("/api/v1/tags", headers=auth, params={"q": "utk"})).json()[0][
        "resource_count"
    ] == 1
    anonymous = await client.post("/api/v1/tags/strategy/merge", json={"into": "strategi"})
    assert anonymous.status_code == 401
    missing = await client.post(
        "/api/v1/tags/strategy/merge", json={"into": "saknas"}, headers=auth
    )
    assert missing.status_code == 422
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert missing.json()["errors"][0]["field"] == "into"
    dry = await client.post(
        "/api/v1/tags/strategy/merge", json={"into": "strategi", "dry_run": True}, headers=auth
    )
    assert dry.json()["dry_run"] is True and await service.tag_exists(session, "strategy")
    merged = await client.post(
        "/api/v1/tags/strategy/merge", json={"into": "strategi"}, headers=auth
    )
    assert merged.status_code == 200
    assert merged.json()["into"]["published_count"] == 2
    assert merged.json()["redirected"] == ["strategy"]
    taken = await client.post("/api/v1/tags/utkast/rename", json={"slug": "strategy"}, headers=auth)
    assert taken.status_code == 409  # an earlier name of strategi
    renamed = await client.post("/api/v1/tags/utkast/rename", json={"slug": "skiss"}, headers=auth)
    assert renamed.json()["slug"] == "skiss"
    unknown = await client.post("/api/v1/tags/nej/rename", json={"slug": "x"}, headers=auth)
    assert unknown.status_code == 404
    schema = (await client.get("/schema/openapi.json")).json()
    for path in ("/api/v1/tags", "/api/v1/tags/{slug}/merge", "/api/v1/topics/{slug}/pins"):
        assert path in schema["paths"], path
    merge_doc = schema["paths"]["/api/v1/tags/{slug}/merge"]["post"]["responses"]
    assert "application/problem+json" in merge_doc["422"]["content"]


# Pins ---------------------------------------------------------------------------------


async def test_pinned_resources_come_first_in_pin_order_on_page_and_feed(
    client: Client, session: AsyncSession
) -> None:
    topic = await make_topic(session, slug="mik")
    alfa = await make_resource(session, title="Alfa", topics=["mik"])
    beta = await make_resource(session, title="Beta", topics=["mik"])
    gamma = await make_resource(session, title="Gamma", topics=["mik"])
    await pins.set_pins(session, topic.slug, [gamma.id, beta.id])
    await session.commit()
    listing = await service.list_resources(session, topic="mik", order="title", pinned_first=True)
    assert [r.title for r in listing.items] == ["Gamma", "Beta", "Alfa"]
    page = (await client.get("/topics/mik")).text
    assert page.index("Gamma") < page.index("Beta") < page.index("Alfa")
    feed = feedparser.parse((await client.get("/feeds/topics/mik.atom")).content)
    assert [e.title for e in feed.entries] == ["Gamma", "Beta", "Alfa"]
    # Moving a pin changes the feed at once (the topic's version moves with it).
    await pins.change_pin(session, "mik", "up", beta.id)
    await session.commit()
    feed = feedparser.parse((await client.get("/feeds/topics/mik.atom")).content)
    assert [e.title for e in feed.entries] == ["Beta", "Gamma", "Alfa"]
    del alfa


async def test_pin_buttons_move_and_refuse_what_is_not_in_the_topic(
    client: Client, session: AsyncSession
) -> None:
    await make_topic(session, slug="mik")
    first = await make_resource(session, title="Första", topics=["mik"])
    second = await make_resource(session, title="Andra", topics=["mik"])
    stranger = await make_resource(session, title="Utanför")
    csrf = await signed_in(client, session)
    for resource_id in (first.id, second.id):
        answer = await client.post(
            "/manage/topics/mik/order",
            data={"csrf_token": csrf, "action": "pin", "resource_id": str(resource_id)},
            follow_redirects=False,
        )
        assert answer.status_code == 303
    await client.get("/manage/topics/mik/order?lang=en")  # the language cookie
    moved = await client.post(
        "/manage/topics/mik/order",
        data={"csrf_token": csrf, "action": "up", "resource_id": str(second.id)},
    )
    assert moved.status_code == 200
    assert "Andra moved: now 1 of 2." in moved.text
    document = etree.HTML(moved.text)
    [focused] = document.xpath("//button[@autofocus]")
    assert focused.get("value") == "down"  # the top one can only go down
    assert focused.xpath("ancestor::li/@id") == [f"resource-{second.id}"]
    assert (await pins.topic_order(session, "mik")).pinned[0].id == second.id
    refused = await client.post(
        "/manage/topics/mik/order?lang=en",
        data={"csrf_token": csrf, "action": "pin", "resource_id": str(stranger.id)},
    )
    assert refused.status_code == 422
    assert f"Resource {stranger.id} is not in this topic." in refused.text
    bad = await client.post(
        "/manage/topics/mik/order",
        data={"csrf_token": csrf, "action": "sideways", "resource_id": str(first.id)},
    )
    assert bad.status_code == 422


async def test_pins_api_reads_and_replaces_the_order(client: Client, session: AsyncSession) -> None:
    await make_topic(session, slug="mik")
    one = await make_resource(session, title="Ett", topics=["mik"])
    two = await make_resource(session, title="Två", topics=["mik"])
    other = await make_resource(session, title="Annat")
    _, token = await make_editor(session)
    auth = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/topics/mik/pins")).status_code == 401
    put = await client.put("/api/v1/topics/mik/pins", json={"pins": [two.id, one.id]}, headers=auth)
    assert put.status_code == 200 and put.json()["pins"] == [two.id, one.id]
    assert (await client.get("/api/v1/topics/mik/pins", headers=auth)).json()["items"][0][
        "title"
    ] == "Två"
    for body in ({"pins": [other.id]}, {"pins": [one.id, one.id]}):
        refused = await client.put("/api/v1/topics/mik/pins", json=body, headers=auth)
        assert refused.status_code == 422, body
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["errors"][0]["field"] == "pins"
    unknown = await client.put("/api/v1/topics/nej/pins", json={"pins": []}, headers=auth)
    assert unknown.status_code == 404
    cleared = await client.put("/api/v1/topics/mik/pins", json={"pins": []}, headers=auth)
    assert cleared.json()["pins"] == []


# Migration ----------------------------------------------------------------------------


async def test_migration_0013_downgrades_and_upgrades_again(database_url: str) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory

    from linkdir.db import alembic_config, upgrade

    config = alembic_config(database_url)
    before = ScriptDirectory.from_config(config).get_revision("0013").down_revision
    assert isinstance(before, str)
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            await make_topic(session, slug="mik")
            resource = await make_resource(session, topics=["mik"], tags=["gammal"])
            await pins.set_pins(session, "mik", [resource.id])
            await tags.rename_tag(session, "gammal", "ny", by=BY)
            await session.commit()
        await asyncio.to_thread(command.downgrade, config, before)
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
            columns = await connection.run_sync(
                lambda c: [column["name"] for column in inspect(c).get_columns("resource_topic")]
            )
            kept = (await connection.execute(text("SELECT count(*) FROM resource_topic"))).scalar()
        assert "tag_alias" not in tables and "pin_position" not in columns
        assert kept == 1  # the rebuilt table kept its rows
        await asyncio.to_thread(upgrade, database_url)
        async with session_factory(engine)() as session:
            assert (await session.execute(select(func.count()).select_from(TagAlias))).scalar() == 0
            assert (await pins.topic_order(session, "mik")).others[0].id == resource.id
    finally:
        await engine.dispose()


async def test_an_old_tag_name_typed_again_means_the_tag_it_became(session: AsyncSession) -> None:
    await make_resource(session, tags=["strategy"])
    await make_resource(session, tags=["strategi"])
    await tags.merge_tags(session, "strategy", "strategi", by=BY)
    await session.commit()
    added = await make_resource(session, tags=["Strategy", "strategi", "mik"])
    assert await tag_rows(session, added.id) == ["mik", "strategi"]
    edited = await make_resource(session, tags=["annat"])
    await service.update_resource(session, edited.id, {"tags": ["strategy"]}, by=BY)
    await service.create_many(
        session,
        [
            service.validate_resource(
                {"url": "https://bulk.example.se/", "title": "Import", "tags": ["strategy"]},
                partial=False,
            )
        ],
        by=BY,
    )
    await session.commit()
    assert await tag_rows(session, edited.id) == ["strategi"]
    # The old name never became a tag again, so its addresses still redirect.
    assert not await service.tag_exists(session, "strategy")
    assert await tags.moved_to(session, "strategy") == "strategi"
    assert [t.total for t in await tags.list_tags(session, "strategi")] == [5]


async def test_changing_a_resources_topics_keeps_its_pin_in_the_topics_it_stays_in(
    session: AsyncSession,
) -> None:
    await make_topic(session, slug="mik")
    await make_topic(session, slug="ai")
    pinned = await make_resource(session, title="Fäst", topics=["mik"])
    await make_resource(session, title="Annan", topics=["mik"])
    await pins.set_pins(session, "mik", [pinned.id])
    await service.update_resource(session, pinned.id, {"topics": ["mik", "ai"]}, by=BY)
    await session.commit()
    assert [r.id for r in (await pins.topic_order(session, "mik")).pinned] == [pinned.id]
    assert [r.title for r in (await pins.topic_order(session, "ai")).others] == ["Fäst"]
