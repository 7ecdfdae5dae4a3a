"""The private maintainer feed: per-user read-only secrets, link-status revisions only."""

from __future__ import annotations

from typing import Any

from lxml import etree
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.auth.service import set_active
from linkdir.db import utcnow
from linkdir.feeds.service import create_feed_secret
from linkdir.resources.models import Revision
from tests.conftest import make_editor, make_resource
from tests.feeds.conftest import Client, assert_valid_atom, read_feed


async def record(
    session: AsyncSession, resource: Any, action: str, changes: dict[str, Any]
) -> None:
    """A link-status revision as the checker writes it (see feeds/service.py)."""
    session.add(
        Revision(
            resource_id=resource.id,
            actor="checker",
            action=action,
            resource_url=resource.url,
            resource_title=resource.title,
            changes=changes,
            created_at=utcnow(),
        )
    )
    await session.commit()


async def secret_for(session: AsyncSession) -> tuple[Any, str]:
    user, _token = await make_editor(session)
    secret = await create_feed_secret(session, user.email)
    await session.commit()
    return user, secret


async def test_maintainers_see_link_status_changes_in_their_private_feed(
    client: Client, session: AsyncSession, atom_schema: etree.RelaxNG
) -> None:
    broken = await make_resource(session, title="Försvunnen rapport")
    moved = await make_resource(session, title="Flyttad kurs", state="draft")
    await record(
        session,
        broken,
        "link_broken",
        {"link_status": ["ok", "broken"], "http_status": [200, 404], "reason": [None, "http_404"]},
    )
    await record(
        session,
        moved,
        "link_moved",
        {"link_status": ["ok", "moved"], "moved_to": [None, "https://ny.example.se/kurs"]},
    )
    await record(session, broken, "link_recovered", {"link_status": ["broken", "ok"]})
    await record(session, broken, "link_stale", {"modified_on": [None, "2018-10-26"]})
    _user, secret = await secret_for(session)

    feed = await read_feed(client, f"/feeds/link-problems.atom?token={secret}&lang=en")
    titles = [e.title for e in feed.entries]
    assert titles == [
        "Not updated for a long time: Försvunnen rapport",
        "Working again: Försvunnen rapport",
        "Moved: Flyttad kurs",
        "Broken link: Försvunnen rapport",
    ]
    broken_entry = feed.entries[3]
    assert "Status: works → broken" in broken_entry.summary
    assert "HTTP status: 404" in broken_entry.summary
    # The reason in words, never the code (issue 13).
    assert "The page does not exist (HTTP 404)" in broken_entry.summary
    assert "http_404" not in broken_entry.summary
    assert "New address: https://ny.example.se/kurs" in feed.entries[2].summary
    assert "2018-10-26" in feed.entries[0].summary
    assert broken_entry.id.startswith(f"tag:testserver.local,2026:resource/{broken.id}/revision/")
    assert feed.response.headers["cache-control"].startswith("private")
    assert feed.response.headers["referrer-policy"] == "no-referrer"
    assert_valid_atom(atom_schema, feed.response.content)
    swedish = await read_feed(client, f"/feeds/link-problems.atom?token={secret}")
    assert swedish.entries[3].title == "Trasig länk: Försvunnen rapport"
    assert "Status: fungerar → trasig" in swedish.entries[3].summary

    # None of it reaches the public feeds.
    for path in ("/feeds/updated.atom", "/feeds/new.atom"):
        response = await client.get(path)
        assert "Trasig" not in response.text and "http_404" not in response.text


async def test_the_feed_needs_a_live_feed_secret_not_an_api_token(
    client: Client, session: AsyncSession
) -> None:
    user, api_token = await make_editor(session)
    for query in ("", "?token=", "?token=ldf_nonsense", f"?token={api_token}"):
        response = await client.get(f"/feeds/link-problems.atom{query}")
        assert response.status_code == 403, query
        assert "xml" not in response.headers["content-type"]
    first = await create_feed_secret(session, user.email)
    await session.commit()
    assert (await client.get(f"/feeds/link-problems.atom?token={first}")).status_code == 200
    # A feed secret opens nothing else.
    api = await client.post(
        "/api/v1/resources",
        json={"url": "https://www.kb.se/", "title": "KB"},
        headers={"Authorization": f"Bearer {first}"},
    )
    assert api.status_code == 401
    # A new secret revokes the old one.
    second = await create_feed_secret(session, user.email)
    await session.commit()
    assert (await client.get(f"/feeds/link-problems.atom?token={first}")).status_code == 403
    assert (await client.get(f"/feeds/link-problems.atom?token={second}")).status_code == 200


async def test_the_self_link_of_the_private_feed_keeps_its_secret(
    client: Client, session: AsyncSession
) -> None:
    _user, secret = await secret_for(session)
    feed = await read_feed(client, f"/feeds/link-problems.atom?token={secret}")
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["self"] == f"http://testserver.local/feeds/link-problems.atom?token={secret}"
    assert "hub" not in links


async def test_a_disabled_accounts_feed_secret_stops_working_until_it_is_enabled(
    client: Client, session: AsyncSession
) -> None:
    user, secret = await secret_for(session)
    path = f"/feeds/link-problems.atom?token={secret}"
    assert (await client.get(path)).status_code == 200  # and now in the feed cache
    await set_active(session, user.email, False)
    await session.commit()
    refused = await client.get(path)
    assert refused.status_code == 403, "a disabled account's secret opens no feed"
    assert "xml" not in refused.headers["content-type"]
    await set_active(session, user.email, True)
    await session.commit()
    assert (await client.get(path)).status_code == 200
