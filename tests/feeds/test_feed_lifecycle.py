"""What feeds show when published resources are unpublished or deleted, when topics are
renamed or deleted, and how many entries a feed holds."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.db import utcnow
from linkdir.resources import service
from linkdir.resources.models import Resource
from tests.conftest import make_resource, make_topic
from tests.feeds.conftest import Client, read_feed

EDITOR = service.Actor("tests")


def ids(feed: object) -> list[str]:
    return [entry.id.rsplit("/", 1)[-1] for entry in feed.entries]  # type: ignore[attr-defined]


async def test_a_feed_holds_the_newest_fifty_entries(client: Client, session: AsyncSession) -> None:
    made = [await make_resource(session, title=f"Resurs {n:02d}") for n in range(55)]
    start = utcnow() - timedelta(days=100)
    for n, resource in enumerate(made):  # distinct, increasing publication times
        await session.execute(
            update(Resource)
            .where(Resource.id == resource.id)
            .values(published_at=start + timedelta(hours=n), created_at=start + timedelta(hours=n))
        )
    await session.commit()
    feed = await read_feed(client, "/feeds/new.atom")
    titles = [entry.title for entry in feed.entries]
    assert len(titles) == 50
    assert titles[0] == "Resurs 54" and titles[-1] == "Resurs 05"  # newest first
    assert "Resurs 04" not in titles


async def test_an_unpublished_or_deleted_resource_leaves_every_feed(
    client: Client, session: AsyncSession
) -> None:
    topic = await make_topic(session, slug="mik")
    kept = await make_resource(session, title="Stannar kvar", topics=[topic.slug])
    unpublished = await make_resource(session, title="Avpublicerad", topics=[topic.slug])
    deleted = await make_resource(session, title="Raderad", topics=[topic.slug])
    before = await read_feed(client, "/feeds/topics/mik.atom")
    assert sorted(e.title for e in before.entries) == ["Avpublicerad", "Raderad", "Stannar kvar"]
    await service.update_resource(session, unpublished.id, {"state": "draft"}, by=EDITOR)
    await service.delete_resource(session, deleted.id, by=EDITOR)
    await session.commit()
    for path in ("/feeds/new.atom", "/feeds/topics/mik.atom", "/feeds/updated.atom"):
        feed = await read_feed(client, path)
        titles = " ".join(e.title for e in feed.entries)
        assert "Avpublicerad" not in titles and "Raderad" not in titles, (path, titles)
    assert [e.title for e in (await read_feed(client, "/feeds/new.atom")).entries] == [
        "Stannar kvar"
    ]
    assert kept.id is not None


async def test_a_renamed_topic_renames_its_feed_and_a_deleted_one_has_none(
    client: Client, session: AsyncSession
) -> None:
    await make_topic(session, slug="mik", name_sv="Medier", name_en="Media")
    await make_resource(session, title="Källkritik", topics=["mik"])
    assert "Medier" in (await read_feed(client, "/feeds/topics/mik.atom")).feed.title
    await service.update_topic(session, "mik", {"name_sv": "Medie- och informationskunnighet"})
    await session.commit()
    renamed = await read_feed(client, "/feeds/topics/mik.atom")
    assert "Medie- och informationskunnighet" in renamed.feed.title
    assert [e.title for e in renamed.entries] == ["Källkritik"]
    await service.delete_topic(session, "mik")
    await session.commit()
    gone = await client.get("/feeds/topics/mik.atom")
    assert gone.status_code == 404
    # The resource itself stays in the directory's own feed.
    assert [e.title for e in (await read_feed(client, "/feeds/new.atom")).entries] == ["Källkritik"]
