"""Lock-out per client address, and its expiry, with the clock handed to ``login``.

The account lock has its tests (tests/auth/test_sessions.py, tests/hostile/test_lockout.py);
here one address tries many accounts, as a password sprayer does: after ``4 ×
max_failures`` failures it is locked for every account, other addresses are not, and when
the lock runs out the address gets one more try before it closes again.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.auth.service import LoginRefused, create_user, login
from linkdir.db import utcnow

PASSWORD = "korrekt häst batteri häfta"
LIMIT = 3  # per account; per address 4 × LIMIT
LOCKOUT = timedelta(minutes=15)
SPRAYER = "203.0.113.7"


async def attempt(
    session: AsyncSession, email: str, password: str, address: str, now: object
) -> timedelta | None:
    """None when signed in; the lock left when locked; ``timedelta(0)`` for a plain no."""
    try:
        await login(session, email, password, address=address, max_failures=LIMIT,
                    lockout=LOCKOUT, now=now)  # type: ignore[arg-type]  # fmt: skip
    except LoginRefused as refused:
        return refused.locked_for or timedelta(0)
    await session.commit()
    return None


async def test_one_address_is_locked_for_every_account_and_only_until_the_lock_runs_out(
    session: AsyncSession,
) -> None:
    await create_user(session, "kurator@region.se", PASSWORD, "editor")
    await session.commit()
    start = utcnow()
    # Twelve accounts, one wrong password each: no account reaches its own limit.
    for number in range(4 * LIMIT):
        refused = await attempt(session, f"gissning{number}@region.se", "fel", SPRAYER, start)
        assert refused == timedelta(0), f"attempt {number + 1} is a plain refusal"
    # Now the address is locked: even the right password of a real account is refused...
    locked = await attempt(session, "kurator@region.se", PASSWORD, SPRAYER, start)
    assert locked is not None and timedelta(minutes=14) < locked <= LOCKOUT
    # ...while another address signs in to that account at once.
    assert await attempt(session, "kurator@region.se", PASSWORD, "198.51.100.2", start) is None

    # A second before the lock runs out it still holds, and says how long is left.
    almost = start + LOCKOUT - timedelta(seconds=1)
    assert await attempt(session, "kurator@region.se", PASSWORD, SPRAYER, almost) == (
        timedelta(seconds=1)
    )
    # Once it has run out: one more try is allowed; a wrong one closes the lock again...
    after = start + LOCKOUT + timedelta(seconds=1)
    assert await attempt(session, "gissning99@region.se", "fel", SPRAYER, after) == timedelta(0)
    relocked = await attempt(session, "kurator@region.se", PASSWORD, SPRAYER, after)
    assert relocked is not None and relocked > timedelta(minutes=14)
    # ...and after that lock, the right password gets in and clears the address's count.
    later = after + LOCKOUT + timedelta(seconds=1)
    assert await attempt(session, "kurator@region.se", PASSWORD, SPRAYER, later) is None
    for number in range(4 * LIMIT - 1):
        assert await attempt(session, f"ny{number}@region.se", "fel", SPRAYER, later) == (
            timedelta(0)
        ), "a sign-in clears the address's failures"


@pytest.mark.parametrize("elapsed", [timedelta(minutes=59), timedelta(minutes=61)])
async def test_failures_count_within_an_hour_only(
    session: AsyncSession, elapsed: timedelta
) -> None:
    start = utcnow()
    for number in range(4 * LIMIT - 1):
        await attempt(session, f"gissning{number}@region.se", "fel", SPRAYER, start)
    # The twelfth failure locks the address only if the first eleven are within the hour.
    await attempt(session, "sista@region.se", "fel", SPRAYER, start + elapsed)
    next_try = await attempt(session, "sist@region.se", "fel", SPRAYER, start + elapsed)
    if elapsed < timedelta(hours=1):
        assert next_try is not None and next_try > timedelta(0)
    else:
        assert next_try == timedelta(0)
