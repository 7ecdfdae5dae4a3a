"""Signing in and out: cookies, throttling and lock-out, expiry, CSRF, roles, headers."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import lxml.html
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.auth.models import User, UserSession
from linkdir.auth.service import create_user
from linkdir.config import Settings
from linkdir.db import utcnow
from linkdir.resources.models import Resource
from tests.conftest import make_settings

Client = AsyncTestClient[Any]
PASSWORD = "korrekt häst batteri häfta"


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field in the page"
    return match.group(1)


async def sign_in(client: Client, email: str, password: str = PASSWORD, **extra: str) -> Any:
    page = await client.get("/login")
    return await client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text), **extra},
        follow_redirects=False,
    )


async def account(
    session: AsyncSession, email: str = "kurator@region.se", role: str = "editor"
) -> User:
    user = await create_user(session, email, PASSWORD, role)
    await session.commit()
    return user


async def count(session: AsyncSession, model: Any) -> int:
    session.expunge_all()
    return (await session.execute(select(func.count()).select_from(model))).scalar_one()


@pytest.mark.real_argon2
async def test_sign_in_sets_a_hardened_session_cookie(
    client: Client, session: AsyncSession
) -> None:
    # The one sign-in at the production Argon2id cost (every other test uses a cheap one).
    user = await account(session)
    assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    response = await sign_in(client, "Kurator@Region.se", next="/manage/topics")
    assert response.status_code == 303
    assert response.headers["location"] == "/manage/topics"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("linkdir_session=")
    )
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=lax" in lowered and "path=/" in lowered
    assert "secure" not in lowered  # plain-http base URL
    assert (await client.get("/manage/resources")).status_code == 200


async def test_https_base_url_makes_the_cookie_secure_and_host_only(
    database_url: str, session: AsyncSession, shared_app: Any
) -> None:
    await account(session)
    settings = make_settings(database_url, base_url="https://lankar.example.se")
    async with AsyncTestClient(
        app=shared_app(settings), base_url="https://testserver.local"
    ) as client:
        response = await sign_in(client, "kurator@region.se")
        cookie = next(c for c in response.headers.get_list("set-cookie") if "linkdir_session" in c)
        assert cookie.startswith("__Host-linkdir_session=")
        assert "secure" in cookie.lower()
        assert "strict-transport-security" in response.headers


@pytest.mark.parametrize("email", ["kurator@region.se", "finns.inte@region.se"])
async def test_wrong_password_and_unknown_account_get_the_same_answer(
    client: Client, session: AsyncSession, email: str
) -> None:
    await account(session)
    response = await sign_in(client, email, "fel lösenord här")
    assert response.status_code == 400
    assert "E-postadressen eller lösenordet är fel" in response.text
    assert "linkdir_session=" not in " ".join(response.headers.get_list("set-cookie"))
    assert (await client.get("/manage/resources", follow_redirects=False)).status_code == 303


@pytest.mark.parametrize("disabled", [False, True])
async def test_an_unknown_or_disabled_account_costs_one_verification_at_the_real_cost(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch, disabled: bool
) -> None:
    # Equal timing: without an account (or with a disabled one) the password is still
    # checked once, against a hash made at the hasher's own cost (not a cheaper one).
    from argon2 import PasswordHasher, extract_parameters

    from linkdir.auth import service

    checked: list[str] = []

    class Counting(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            checked.append(str(hash))
            return super().verify(hash, password)

    hasher = Counting(time_cost=2, memory_cost=16, parallelism=1)
    monkeypatch.setattr(service, "_hasher", hasher)
    email = "kurator@region.se" if disabled else "finns.inte@region.se"
    if disabled:
        user = await account(session)
        user.is_active = False
        await session.commit()
    with pytest.raises(service.LoginRefused):
        await service.login(
            session, email, "fel lösenord här", address="192.0.2.9", max_failures=5,
            lockout=timedelta(minutes=15),
        )  # fmt: skip
    assert len(checked) == 1, checked
    assert extract_parameters(checked[0]) == extract_parameters(hasher.hash("x"))


async def test_repeated_failures_lock_the_account_even_for_the_right_password(
    database_url: str, session: AsyncSession, shared_app: Any
) -> None:
    await account(session)
    settings = make_settings(database_url, login_max_failures=3)
    async with AsyncTestClient(
        app=shared_app(settings), base_url="http://testserver.local"
    ) as client:
        for _ in range(3):
            assert (
                await sign_in(client, "kurator@region.se", "fel lösenord här")
            ).status_code == 400
        locked = await sign_in(client, "kurator@region.se")
        assert locked.status_code == 429
        assert int(locked.headers["retry-after"]) > 60
        # Minutes left, in Swedish; the Retry-After header says the same in seconds.
        assert "Försök igen om 15 minuter." in locked.text
        assert 14 * 60 < int(locked.headers["retry-after"]) <= 15 * 60
        # The lock-out is the same for an account that does not exist (nothing is revealed).
        for _ in range(3):
            await sign_in(client, "ingen@region.se", "fel lösenord här")
        assert (await sign_in(client, "ingen@region.se")).status_code == 429


async def test_sign_in_rotates_the_session_id(client: Client, session: AsyncSession) -> None:
    await account(session)
    first = await sign_in(client, "kurator@region.se")
    old = first.cookies["linkdir_session"]
    # Signing in again while the old cookie is still sent (a shared or planted cookie).
    client.cookies.set("linkdir_login_csrf", "en-token", domain="testserver.local", path="/login")
    second = await client.post(
        "/login",
        data={"email": "kurator@region.se", "password": PASSWORD, "csrf_token": "en-token"},
        follow_redirects=False,
    )
    assert second.status_code == 303
    new = second.cookies["linkdir_session"]
    assert old != new
    assert await count(session, UserSession) == 1  # the old session was ended


@pytest.mark.parametrize("column", ["last_seen_at", "expires_at"])
async def test_idle_and_expired_sessions_send_the_curator_to_sign_in_again(
    client: Client, session: AsyncSession, column: str
) -> None:
    await account(session)
    await sign_in(client, "kurator@region.se")
    past = utcnow() - timedelta(days=1)
    await session.execute(update(UserSession).values({column: past}))
    await session.commit()
    response = await client.get("/manage/resources", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=%2Fmanage%2Fresources")
    assert "expired=1" in response.headers["location"]


async def test_a_link_in_english_signs_in_in_english(client: Client) -> None:
    """A curator following /manage/links?lang=en while signed out: the redirect set no
    cookie, and the sign-in page came in Swedish."""
    response = await client.get("/manage/links?lang=en", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fmanage%2Flinks%3Flang%3Den&lang=en"
    login = await client.get(response.headers["location"])
    assert lxml.html.fromstring(login.text).get("lang") == "en"
    odd = await client.get("/manage/links?lang=xx", follow_redirects=False)
    assert odd.headers["location"] == "/login?next=%2Fmanage%2Flinks%3Flang%3Dxx"


async def test_sign_out_ends_the_session(client: Client, session: AsyncSession) -> None:
    await account(session)
    await sign_in(client, "kurator@region.se")
    page = await client.get("/manage/resources")
    response = await client.post(
        "/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert response.status_code == 303
    assert await count(session, UserSession) == 0
    assert (await client.get("/manage/resources", follow_redirects=False)).status_code == 303


async def test_forms_without_the_right_csrf_token_change_nothing(
    client: Client, session: AsyncSession, settings: Settings
) -> None:
    from linkdir.auth.guards import csrf_token_for

    await account(session)
    await sign_in(client, "kurator@region.se")
    another_sessions_token = csrf_token_for(settings, "another-session")
    for token in (None, "fel-token", another_sessions_token):
        data = {"url": "https://www.kb.se/ny", "title": "Ny"}
        if token:
            data["csrf_token"] = token
        response = await client.post("/manage/resources/new", data=data)
        assert response.status_code == 403
        assert "Formuläret hade gått ut eller kom från en annan webbplats." in response.text
    assert await count(session, Resource) == 0


async def test_session_api_writes_need_the_csrf_header(
    client: Client, session: AsyncSession
) -> None:
    await account(session)
    await sign_in(client, "kurator@region.se")
    body = {"url": "https://www.kb.se/api", "title": "Via sessionen"}
    refused = await client.post("/api/v1/resources", json=body)
    assert refused.status_code == 403
    assert await count(session, Resource) == 0
    token = csrf_of((await client.get("/manage/resources")).text)
    accepted = await client.post("/api/v1/resources", json=body, headers={"X-CSRF-Token": token})
    assert accepted.status_code == 201


async def test_the_login_form_itself_is_protected_against_csrf(
    client: Client, session: AsyncSession
) -> None:
    await account(session)
    response = await client.post(
        "/login", data={"email": "kurator@region.se", "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403
    assert await count(session, UserSession) == 0


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
async def test_next_cannot_send_the_curator_to_another_site(
    client: Client, session: AsyncSession, target: str
) -> None:
    await account(session)
    response = await sign_in(client, "kurator@region.se", next=target)
    assert response.headers["location"] == "/manage/resources"


async def test_editors_cannot_manage_accounts(client: Client, session: AsyncSession) -> None:
    await account(session)
    await sign_in(client, "kurator@region.se")
    assert (await client.get("/manage/users")).status_code == 403
    csrf = csrf_of((await client.get("/manage/resources")).text)
    response = await client.post(
        "/manage/users",
        data={"csrf_token": csrf, "email": "ny@region.se", "password": PASSWORD, "role": "admin"},
    )
    assert response.status_code == 403
    assert await count(session, User) == 1


async def test_admin_adds_and_disables_an_account_which_signs_it_out(
    database_url: str, session: AsyncSession, shared_app: Any
) -> None:
    await account(session, "chef@region.se", "admin")
    await account(session, "kurator@region.se", "editor")
    settings = make_settings(database_url)
    async with (
        AsyncTestClient(app=shared_app(settings), base_url="http://testserver.local") as admin,
        AsyncTestClient(app=shared_app(settings, 1), base_url="http://testserver.local") as editor,
    ):
        await sign_in(admin, "chef@region.se")
        await sign_in(editor, "kurator@region.se")
        page = await admin.get("/manage/users")
        weak = await admin.post(
            "/manage/users",
            data={
                "csrf_token": csrf_of(page.text),
                "email": "ny@region.se",
                "password": "kort",
                "role": "editor",
            },
        )
        assert weak.status_code == 422
        assert 'aria-invalid="true"' in weak.text
        assert 'value="ny@region.se"' in weak.text  # what the admin typed is kept
        assert await count(session, User) == 2
        added = await admin.post(
            "/manage/users",
            data={
                "csrf_token": csrf_of(page.text),
                "email": "ny@region.se",
                "password": PASSWORD,
                "role": "editor",
            },
            follow_redirects=False,
        )
        assert added.status_code == 303, added.text
        assert "ny@region.se" in (await admin.get("/manage/users")).text
        # The new account is real: it signs in with the password the admin set.
        async with AsyncTestClient(
            app=shared_app(settings, 2), base_url="http://testserver.local"
        ) as newcomer:
            assert (await sign_in(newcomer, "ny@region.se")).status_code == 303
            assert (await newcomer.get("/manage/resources")).status_code == 200
        session.expunge_all()
        new_user = (
            await session.execute(select(User).where(User.email == "ny@region.se"))
        ).scalar_one()
        assert new_user.role == "editor"
        target = (
            await session.execute(select(User).where(User.email == "kurator@region.se"))
        ).scalar_one()
        response = await admin.post(
            f"/manage/users/{target.id}/disable", data={"csrf_token": csrf_of(page.text)}
        )
        assert response.status_code == 200  # redirected back to the list
        assert (await editor.get("/manage/resources", follow_redirects=False)).status_code == 303


async def test_security_headers_on_every_kind_of_response(client: Client) -> None:
    for path in ("/", "/api/v1/resources", "/finns-inte", "/static/site.css", "/login", "/schema"):
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


async def test_manage_pages_are_not_cached(client: Client, session: AsyncSession) -> None:
    await account(session)
    await sign_in(client, "kurator@region.se")
    assert (await client.get("/manage/resources")).headers["cache-control"] == "no-store"
    assert (await client.get("/login")).headers["cache-control"] == "no-store"


async def test_api_docs_page_describes_the_api_without_scripts(
    client: Client, session: AsyncSession
) -> None:
    page = await client.get("/api/docs")
    assert page.status_code == 200
    assert "/api/v1/resources" in page.text
    assert "<script" not in page.text
    # The header to send is readable, its placeholder too (it was taken for a tag).
    lead = lxml.html.fromstring(page.text).xpath("//p[@class='lead']")[0].text_content()
    assert "”Authorization: Bearer <token>”" in lead
    await account(session)
    await sign_in(client, "kurator@region.se")
    tokens = lxml.html.fromstring((await client.get("/manage/tokens?lang=en")).text)
    assert "“Authorization: Bearer <token>”" in tokens.xpath("//main")[0].text_content()


def test_settings_for_sessions_have_safe_defaults() -> None:
    settings = Settings(secret_key="x" * 8 + "-a-long-enough-and-varied-secret-key")
    assert settings.session_idle == timedelta(hours=2)
    assert settings.session_max_age == timedelta(hours=12)
    assert settings.login_max_failures == 5


async def test_disabled_accounts_tokens_stop_working(client: Client, session: AsyncSession) -> None:
    from linkdir.auth.service import create_token, set_active

    await account(session)
    token = (await create_token(session, "kurator@region.se")).token
    await set_active(session, "kurator@region.se", False)
    await session.commit()
    response = await client.post(
        "/api/v1/resources",
        json={"url": "https://www.kb.se/x", "title": "X"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 401


async def test_accounts_made_in_other_tests_use_the_cheap_test_hash(session: AsyncSession) -> None:
    # The cheap_argon2 fixture (tests/conftest.py) is what keeps sign-ins fast in tests.
    user = await account(session)
    assert user.password_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")
