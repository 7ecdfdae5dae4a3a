"""An admin manages accounts: duplicates, their own account, disabling and re-enabling."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.auth.models import User
from tests.auth.test_sessions import PASSWORD, account, count, csrf_of, sign_in
from tests.conftest import make_settings

Client = AsyncTestClient[Any]


async def user_id(session: AsyncSession, email: str) -> int:
    session.expunge_all()
    user = (await session.execute(select(User).where(User.email == email))).scalar_one()
    assert user.id is not None
    return user.id


async def is_active(session: AsyncSession, email: str) -> bool:
    session.expunge_all()
    return bool(
        (await session.execute(select(User.is_active).where(User.email == email))).scalar_one()
    )


async def test_a_duplicate_address_is_refused_with_409_keeping_what_was_typed(
    client: Client, session: AsyncSession
) -> None:
    await account(session, "chef@region.se", "admin")
    await account(session, "kurator@region.se", "editor")
    await sign_in(client, "chef@region.se")
    csrf = csrf_of((await client.get("/manage/users")).text)
    again = await client.post(
        "/manage/users",
        data={
            "csrf_token": csrf,
            "email": "Kurator@Region.se",  # the same address, written differently
            "password": PASSWORD,
            "role": "admin",
        },
    )
    assert again.status_code == 409
    assert "Det finns redan ett konto med den här e-postadressen." in again.text
    assert 'value="Kurator@Region.se"' in again.text
    assert await count(session, User) == 2


async def test_an_address_with_an_invisible_character_is_refused_not_stored(
    client: Client, session: AsyncSession
) -> None:
    """A NUL or a right-to-left mark cannot be typed at sign-in (the account would be
    unusable) and shows the address reversed in the list of accounts."""
    await account(session, "chef@region.se", "admin")
    await sign_in(client, "chef@region.se")
    csrf = csrf_of((await client.get("/manage/users")).text)
    for address in ("ny@region.se\x00", "\u202eny@region.se", "ny\u200b@region.se"):
        refused = await client.post(
            "/manage/users",
            data={"csrf_token": csrf, "email": address, "password": PASSWORD, "role": "editor"},
        )
        assert refused.status_code == 422, address
        assert "E-postadressen innehåller ett osynligt tecken eller ett styrtecken." in (
            refused.text
        )
        invited = await client.post(
            "/manage/users/invite", data={"csrf_token": csrf, "email": address, "role": "editor"}
        )
        assert invited.status_code == 422, (address, invited.text[:300])
    assert await count(session, User) == 1


async def test_an_admin_cannot_disable_their_own_account(
    client: Client, session: AsyncSession
) -> None:
    await account(session, "chef@region.se", "admin")
    await sign_in(client, "chef@region.se")
    csrf = csrf_of((await client.get("/manage/users")).text)
    own = await user_id(session, "chef@region.se")
    refused = await client.post(f"/manage/users/{own}/disable", data={"csrf_token": csrf})
    assert refused.status_code == 409
    assert "Du kan inte stänga av ditt eget konto." in refused.text
    assert await is_active(session, "chef@region.se")
    assert (await client.get("/manage/users")).status_code == 200  # still signed in


async def test_a_disabled_account_cannot_sign_in_until_re_enabled(
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
        csrf = csrf_of((await admin.get("/manage/users")).text)
        target = await user_id(session, "kurator@region.se")
        disabled = await admin.post(
            f"/manage/users/{target}/disable", data={"csrf_token": csrf}, follow_redirects=False
        )
        assert disabled.status_code == 303
        assert not await is_active(session, "kurator@region.se")
        # The right password no longer lets them in, and the answer reveals nothing more
        # than a wrong password would.
        refused = await sign_in(editor, "kurator@region.se")
        assert refused.status_code == 400
        assert "E-postadressen eller lösenordet är fel" in refused.text
        assert (await editor.get("/manage/resources", follow_redirects=False)).status_code == 303
        enabled = await admin.post(
            f"/manage/users/{target}/enable", data={"csrf_token": csrf}, follow_redirects=False
        )
        assert enabled.status_code == 303
        assert await is_active(session, "kurator@region.se")
        assert (await sign_in(editor, "kurator@region.se")).status_code == 303
        assert (await editor.get("/manage/resources")).status_code == 200


async def test_an_editor_cannot_revoke_another_curators_token_but_an_admin_can(
    database_url: str, session: AsyncSession, shared_app: Any
) -> None:
    from linkdir.auth.models import ApiToken
    from linkdir.auth.service import create_token

    await account(session, "chef@region.se", "admin")
    await account(session, "kurator@region.se", "editor")
    await account(session, "annan@region.se", "editor")
    theirs = await create_token(session, "annan@region.se", "importskript")
    await session.commit()
    token_id = (await session.execute(select(ApiToken.id))).scalar_one()
    headers = {"Authorization": f"Bearer {theirs.token}"}
    settings = make_settings(database_url)
    async with (
        AsyncTestClient(app=shared_app(settings), base_url="http://testserver.local") as editor,
        AsyncTestClient(app=shared_app(settings, 1), base_url="http://testserver.local") as admin,
    ):
        await sign_in(editor, "kurator@region.se")
        csrf = csrf_of((await editor.get("/manage/tokens")).text)
        refused = await editor.post(f"/manage/tokens/{token_id}/revoke", data={"csrf_token": csrf})
        assert refused.status_code == 404  # someone else's token is not even acknowledged
        # The token still works for its owner's program.
        assert (await editor.get("/api/v1/checks/runs", headers=headers)).status_code == 200
        await sign_in(admin, "chef@region.se")
        csrf = csrf_of((await admin.get("/manage/tokens")).text)
        revoked = await admin.post(
            f"/manage/tokens/{token_id}/revoke", data={"csrf_token": csrf}, follow_redirects=False
        )
        assert revoked.status_code == 303
        assert (await admin.get("/api/v1/checks/runs", headers=headers)).status_code == 401
