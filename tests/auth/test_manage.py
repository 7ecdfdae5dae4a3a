"""The management UI as a curator uses it, and as an anonymous visitor cannot."""

from __future__ import annotations

import os
import re
from typing import Any

import lxml.html
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.auth.guards import LOGIN_CSRF_COOKIE
from linkdir.resources.models import Resource, Revision, Topic
from tests.auth.test_sessions import PASSWORD, account, csrf_of, sign_in
from tests.conftest import TEST_SECRET, database_snapshot, make_editor, make_resource, make_topic
from tests.linkdir_cli import Ran
from tests.linkdir_cli import run as run_cli

Client = AsyncTestClient[Any]


async def counts(session: AsyncSession) -> tuple[int, int, int]:
    session.expunge_all()
    values = []
    for model in (Resource, Revision, Topic):
        values.append((await session.execute(select(func.count()).select_from(model))).scalar_one())
    return values[0], values[1], values[2]


async def test_a_curator_adds_fixes_publishes_and_reviews_history(
    client: Client, session: AsyncSession
) -> None:
    await make_topic(session, slug="mik", name_sv="MIK", name_en="MIL")
    await account(session)
    await sign_in(client, "kurator@region.se")
    form = await client.get("/manage/resources/new")
    csrf = csrf_of(form.text)
    data = {
        "csrf_token": csrf,
        "url": "javascript:alert(1)",
        "title": "Källkritik för bibliotekarier",
        "description": "En kurs.",
        "language": "sv",
        "resource_type": "course",
        "topics": ["mik"],
        "tags": "källkritik, kurs",
    }
    rejected = await client.post("/manage/resources/new", data=data)
    assert rejected.status_code == 422
    page = lxml.html.fromstring(rejected.text)
    url_input = page.get_element_by_id("field-url")
    assert url_input.get("aria-invalid") == "true"
    error = page.get_element_by_id("error-url").text_content()
    assert "http" in error
    assert "error-url" in url_input.get("aria-describedby")
    # What the curator typed is kept.
    assert page.get_element_by_id("field-title").get("value") == "Källkritik för bibliotekarier"
    assert page.xpath("//input[@name='topics'][@value='mik']")[0].get("checked") is not None
    assert page.xpath("//div[contains(@class,'error-summary')]//a[@href='#field-url']")
    data["url"] = "https://www.kallkritikbyran.se/kurs"
    created = await client.post("/manage/resources/new", data=data, follow_redirects=False)
    assert created.status_code == 303
    resource_path = created.headers["location"].split("?")[0]
    resource_id = int(resource_path.rsplit("/", 1)[1])
    assert (await client.get(f"/resources/{resource_id}")).status_code == 404  # still a draft
    published = await client.post(
        f"{resource_path}/state", data={"csrf_token": csrf, "action": "publish"}
    )
    assert published.status_code == 200
    public = await client.get(f"/resources/{resource_id}")
    assert public.status_code == 200 and "Källkritik för bibliotekarier" in public.text
    edit = await client.post(
        resource_path,
        data={**data, "title": "Källkritik för folkbibliotekarier", "tags": "källkritik"},
    )
    assert edit.status_code == 200
    history = await client.get(f"{resource_path}/history")
    rows = lxml.html.fromstring(history.text)
    entries = [
        " ".join(h.text_content().split()) for h in rows.xpath("//ol[@class='history']/li/h2")
    ]
    assert len(entries) == 3
    assert all("kurator@region.se" in entry for entry in entries)
    changed = {
        " ".join(r.xpath("th")[0].text_content().split()): [c.text_content() for c in r.xpath("td")]
        for r in rows.xpath("//ol[@class='history']/li[1]//tbody/tr")
    }
    assert changed["Titel"] == [
        "Källkritik för bibliotekarier",
        "Källkritik för folkbibliotekarier",
    ]
    assert changed["Taggar"] == ["kurs, källkritik", "källkritik"]
    # A topics change reads as the topics' names (the history showed their slugs).
    await make_topic(session, slug="natverk-och-samverkan", name_sv="Nätverk och samverkan")
    moved = await client.post(
        resource_path, data={**data, "topics": ["mik", "natverk-och-samverkan"]}
    )
    assert moved.status_code == 200
    newest = lxml.html.fromstring((await client.get(f"{resource_path}/history")).text)
    topics_row = {
        " ".join(r.xpath("th")[0].text_content().split()): [c.text_content() for c in r.xpath("td")]
        for r in newest.xpath("//ol[@class='history']/li[1]//tbody/tr")
    }["Ämnen"]
    assert topics_row == ["MIK", "MIK, Nätverk och samverkan"]
    # On a phone the stacked cells say which is which.
    labels = newest.xpath("//ol[@class='history']/li[1]//tbody/tr[1]/td/@data-label")
    assert labels == ["Före", "Efter"]


async def test_a_form_the_handler_refuses_answers_a_page_that_says_why(
    client: Client, session: AsyncSession
) -> None:
    """A refused form that no page handles itself (here a state action no button sends)
    gets the error page with the field and the reason, in the curator's language."""
    resource = await make_resource(session, title="KB")
    await account(session)
    await sign_in(client, "kurator@region.se")
    csrf = csrf_of((await client.get(f"/manage/resources/{resource.id}")).text)
    refused = await client.post(
        f"/manage/resources/{resource.id}/state", data={"csrf_token": csrf, "action": "radera"}
    )
    assert refused.status_code == 422
    page = lxml.html.fromstring(refused.text)
    assert page.xpath("//h1")[0].text_content() == "Några fält är inte rätt ifyllda."
    detail = page.xpath("//main//h1/following-sibling::p")[0].text_content()
    assert detail.startswith("action: Välj ett av följande: publish, ")
    assert page.xpath("//main//a[@href='/']")


async def test_duplicate_address_points_to_the_existing_resource(
    client: Client, session: AsyncSession
) -> None:
    existing = await make_resource(session, url="https://www.kb.se/", title="KB")
    await account(session)
    await sign_in(client, "kurator@region.se")
    csrf = csrf_of((await client.get("/manage/resources/new")).text)
    response = await client.post(
        "/manage/resources/new",
        data={
            "csrf_token": csrf,
            "url": "HTTPS://WWW.KB.SE",
            "title": "KB igen",
            "language": "sv",
            "resource_type": "other",
        },
    )
    assert response.status_code == 409
    assert f'href="/manage/resources/{existing.id}"' in response.text


async def test_filters_in_the_resource_list(client: Client, session: AsyncSession) -> None:
    await make_topic(session, slug="mik")
    await make_resource(session, title="Publicerad MIK", topics=["mik"])
    await make_resource(session, title="Utkast utan ämne", state="draft")
    await account(session)
    await sign_in(client, "kurator@region.se")
    drafts = await client.get("/manage/resources", params={"state": "draft"})
    assert "Utkast utan ämne" in drafts.text and "Publicerad MIK" not in drafts.text
    in_topic = await client.get("/manage/resources", params={"topic": "mik"})
    assert "Publicerad MIK" in in_topic.text and "Utkast utan ämne" not in in_topic.text
    unchecked = await client.get("/manage/resources", params={"status": "broken"})
    assert "Publicerad MIK" not in unchecked.text


async def test_topics_are_edited_in_both_languages(client: Client, session: AsyncSession) -> None:
    await account(session)
    await sign_in(client, "kurator@region.se")
    csrf = csrf_of((await client.get("/manage/topics")).text)
    bad = await client.post(
        "/manage/topics", data={"csrf_token": csrf, "name_sv": "", "name_en": "Reading"}
    )
    assert bad.status_code == 422 and 'id="error-name_sv"' in bad.text
    # A name with nothing to make an address from: asked for one, next to the slug field,
    # in Swedish, the form kept (an empty slug would put the topic at /topics/, the list).
    nameless = await client.post(
        "/manage/topics", data={"csrf_token": csrf, "name_sv": "#", "name_en": "#"}
    )
    assert nameless.status_code == 422 and 'id="error-slug"' in nameless.text
    assert "Det går inte att göra en adress av det svenska namnet" in nameless.text
    assert 'value="#"' in nameless.text
    assert (await session.execute(select(func.count()).select_from(Topic))).scalar_one() == 0
    created = await client.post(
        "/manage/topics",
        data={"csrf_token": csrf, "name_sv": "Läsfrämjande", "name_en": "Reading promotion"},
        follow_redirects=False,
    )
    assert created.status_code == 303
    updated = await client.post(
        "/manage/topics/läsfrämjande",
        data={
            "csrf_token": csrf,
            "slug": "läsfrämjande",
            "name_sv": "Läsfrämjande",
            "name_en": "Promoting reading",
        },
        follow_redirects=False,
    )
    assert updated.status_code == 303
    english = await client.get("/topics/läsfrämjande?lang=en")
    assert "Promoting reading" in english.text


async def test_tokens_are_shown_once_and_can_be_revoked(
    client: Client, session: AsyncSession
) -> None:
    await account(session)
    await sign_in(client, "kurator@region.se")
    csrf = csrf_of((await client.get("/manage/tokens")).text)
    created = await client.post("/manage/tokens", data={"csrf_token": csrf, "name": "importskript"})
    token = lxml.html.fromstring(created.text).get_element_by_id("new-token").get("value")
    assert token.startswith("ldt_")
    listing = await client.get("/manage/tokens")
    assert token not in listing.text and "importskript" in listing.text
    headers = {"Authorization": f"Bearer {token}"}
    body = {"url": "https://www.kb.se/t", "title": "T"}
    # A program sends only the token (the bearer header wins over the browser's cookie).
    assert (await client.post("/api/v1/resources", json=body, headers=headers)).status_code == 201
    revoke = lxml.html.fromstring(listing.text).xpath(
        "//form[contains(@action,'/revoke')]/@action"
    )[0]
    await client.post(revoke, data={"csrf_token": csrf})
    body["url"] = "https://www.kb.se/u"
    assert (await client.post("/api/v1/resources", json=body, headers=headers)).status_code == 401


# Writes anyone may send: signing in and out, invitations and password resets by their own
# secret, first-run setup (refused once an account exists), a visitor's report of a broken
# link, unsubscribing by a mail's own link.
PUBLIC_WRITES = {
    "/login",
    "/logout",
    "/invite",
    "/password/forgot",
    "/password/reset",
    "/setup",
    "/resources/{resource_id:int}/report",
    "/mail/unsubscribe",
}
PATH_VALUES = {"action": "disable", "part": "password", "batch_id": "1", "batch": "1"}


def writes_of(app: Any) -> list[tuple[str, str]]:
    """Every route of the app that writes: (method, path template)."""
    return sorted(
        (method, route.path)
        for route in app.routes
        for method in getattr(route, "methods", set()) - {"GET", "HEAD", "OPTIONS"}
    )


# Every writing route that needs an account (a test below holds this list equal to the
# app's routes, so a new route fails until it is here).
CURATOR_WRITES = [
    ("DELETE", "/api/v1/resources/{resource_id:int}"),
    ("DELETE", "/api/v1/topics/{slug:str}"),
    ("PATCH", "/api/v1/resources/{resource_id:int}"),
    ("PATCH", "/api/v1/topics/{slug:str}"),
    ("POST", "/api/v1/checks/runs"),
    ("POST", "/api/v1/resources"),
    ("POST", "/api/v1/resources/bulk"),
    ("POST", "/api/v1/resources/{resource_id:int}/fix"),
    ("POST", "/api/v1/resources/{resource_id:int}/restore"),
    ("POST", "/api/v1/tags/{slug:str}/merge"),
    ("POST", "/api/v1/tags/{slug:str}/rename"),
    ("POST", "/api/v1/topics"),
    ("POST", "/api/v1/undo/{batch:str}"),
    ("POST", "/manage/account/tokens/{token_id:int}/revoke"),
    ("POST", "/manage/account/{part:str}"),
    ("POST", "/manage/checks"),
    ("POST", "/manage/import/confirm"),
    ("POST", "/manage/import/file"),
    ("POST", "/manage/import/page"),
    ("POST", "/manage/links/bulk"),
    ("POST", "/manage/links/{resource_id:int}/check"),
    ("POST", "/manage/links/{resource_id:int}/fix"),
    ("POST", "/manage/resources/bulk"),
    ("POST", "/manage/resources/bulk/apply"),
    ("POST", "/manage/resources/new"),
    ("POST", "/manage/resources/new/lookup"),
    ("POST", "/manage/resources/{resource_id:int}"),
    ("POST", "/manage/resources/{resource_id:int}/restore"),
    ("POST", "/manage/resources/{resource_id:int}/state"),
    ("POST", "/manage/tags/{slug:str}/merge"),
    ("POST", "/manage/tags/{slug:str}/rename"),
    ("POST", "/manage/tokens"),
    ("POST", "/manage/tokens/{token_id:int}/revoke"),
    ("POST", "/manage/topics"),
    ("POST", "/manage/topics/{slug:str}"),
    ("POST", "/manage/topics/{slug:str}/order"),
    ("POST", "/manage/undo/{batch_id:str}"),
    ("POST", "/manage/users"),
    ("POST", "/manage/users/invite"),
    ("POST", "/manage/users/{user_id:int}/{action:str}"),
    ("PUT", "/api/v1/topics/{slug:str}/pins"),
]


def test_every_writing_route_is_public_or_in_the_list_of_curator_writes(client: Client) -> None:
    assert [w for w in writes_of(client.app) if w[1] not in PUBLIC_WRITES] == CURATOR_WRITES


@pytest.mark.parametrize(("method", "template"), CURATOR_WRITES)
async def test_anonymous_writes_to_a_curator_route_change_nothing(
    client: Client, session: AsyncSession, method: str, template: str
) -> None:
    """Sent by someone signed out, with a form and a JSON body: refused, nothing written."""
    topic = await make_topic(session)
    resource = await make_resource(session, topics=[topic.slug])
    # Something for every id in the paths to hit: user 1 with token 1.
    await make_editor(session, "admin")
    before = await database_snapshot(session)
    assert before["user_account"] and before["api_token"] and before["resource"]
    values = {"resource_id": resource.id, "token_id": 1, "user_id": 1, "slug": topic.slug}
    # Someone signed out can send a form token that passes: the sign-in form's token is
    # checked against a cookie, and in their own browser they set both. Only the account
    # check stands between these requests and a write.
    client.cookies.set(LOGIN_CSRF_COOKIE, "chosen-by-the-sender")
    form = {
        "csrf_token": "chosen-by-the-sender",
        "url": "https://evil.example.se/",
        "title": "Hackad",
        "action": "retire",
        "name_sv": "X",
        "name_en": "X",
        "ids": str(resource.id),
    }
    path = re.sub(r"\{(\w+):\w+\}", lambda m: str({**PATH_VALUES, **values}[m.group(1)]), template)
    api = path.startswith("/api/")
    response = await client.request(
        method,
        path,
        **({"json": form} if api else {"data": form}),  # type: ignore[arg-type]
        follow_redirects=False,
    )
    assert response.status_code == (401 if api else 303)
    if not api:
        assert response.headers["location"].startswith("/login?next=")
    # Every table, row for row (a disabled account or a revoked token changes no count).
    assert await database_snapshot(session) == before
    session.expunge_all()
    assert (await session.get(Resource, resource.id)).state == "published"  # type: ignore[union-attr]


async def test_signing_out_without_a_session_changes_nothing(
    client: Client, session: AsyncSession
) -> None:
    await make_editor(session, "admin")
    before = await database_snapshot(session)
    csrf = csrf_of((await client.get("/login")).text)
    response = await client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert (response.status_code, response.headers.get("location")) == (303, "/")
    assert await database_snapshot(session) == before


@pytest.mark.parametrize(
    "path", ["/manage", "/manage/resources", "/manage/topics", "/manage/tokens", "/manage/users"]
)
async def test_anonymous_visitors_are_sent_to_sign_in(client: Client, path: str) -> None:
    response = await client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


async def test_user_text_is_escaped_in_management_pages(
    client: Client, session: AsyncSession
) -> None:
    payload = '<script>alert("x")</script>'
    await make_topic(session, slug="t", name_sv=payload, name_en=payload)
    resource = await make_resource(
        session, title=payload, description=payload, publisher=payload, topics=["t"]
    )
    await account(session)
    await sign_in(client, "kurator@region.se")
    for path in (
        "/manage/resources",
        f"/manage/resources/{resource.id}",
        f"/manage/resources/{resource.id}/history",
        "/manage/topics",
        "/manage/topics/t",
    ):
        body = (await client.get(path)).text
        assert payload not in body, path
        assert "&lt;script&gt;" in body, path


def test_cli_manages_accounts(database_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKDIR_")}
    env.update(LINKDIR_DATABASE_URL=database_url, LINKDIR_SECRET_KEY=TEST_SECRET)

    def run(*args: str, stdin: str = "") -> Ran:
        return run_cli(list(args), env, stdin)  # in-process (tests/linkdir_cli.py)

    assert (
        run(
            "user", "add", "a@region.se", "--role", "admin", "--password-stdin", stdin=PASSWORD
        ).returncode
        == 0
    )
    assert run("user", "passwd", "a@region.se", "--password-stdin", stdin="kort").returncode == 2
    changed = run(
        "user", "passwd", "a@region.se", "--password-stdin", stdin="ett helt nytt lösenord"
    )
    assert changed.returncode == 0 and "ett helt nytt" not in changed.stdout + changed.stderr
    assert run("user", "disable", "a@region.se").returncode == 0
    listed = run("user", "list")
    assert "a@region.se\tadmin\tdisabled" in listed.stdout
    assert run("user", "disable", "nobody@region.se").returncode == 1
    assert run("user", "disable", "a@region.se", "--enable").returncode == 0
    assert "a@region.se\tadmin\tactive" in run("user", "list").stdout
