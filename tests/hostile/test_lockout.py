"""The lock-out holds under a burst: 30 wrong passwords at once (defect 9)."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.app import create_app
from linkdir.auth.models import LoginThrottle
from tests.auth.test_sessions import PASSWORD, account, csrf_of
from tests.conftest import make_settings

BURST = 30
LIMIT = 5


async def attempt(app: object, password: str) -> int:
    """One browser: its own cookies, the sign-in page, then the form."""
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as c:
        page = await c.get("/login")
        response = await c.post(
            "/login",
            data={
                "email": "kurator@region.se",
                "password": password,
                "csrf_token": csrf_of(page.text),
            },
        )
        return response.status_code


async def test_thirty_parallel_wrong_passwords_get_exactly_the_allowed_tries(
    database_url: str, session: AsyncSession
) -> None:
    await account(session)
    # A different client address per attempt would be the same: the account key decides.
    app = create_app(make_settings(database_url, login_max_failures=LIMIT))
    try:
        statuses = await asyncio.gather(*(attempt(app, "fel lösenord här") for _ in range(BURST)))
        assert Counter(statuses) == {400: LIMIT, 429: BURST - LIMIT}
        session.expunge_all()
        record = (
            await session.execute(
                select(LoginThrottle).where(LoginThrottle.key == "account:kurator@region.se")
            )
        ).scalar_one()
        assert record.failures == BURST and record.locked_until is not None
        # Locked: even the right password is refused now.
        assert await attempt(app, PASSWORD) == 429
    finally:
        await app.state.engine.dispose()  # no lifespan runs under ASGITransport
