"""One explicit notification path for changes to the directory (#15).

Every service that writes a ``Revision`` (resources, imports, checker jobs, fixes) reports
it here with :func:`report`. Whoever commits the session then calls :func:`take` and hands
the ids to :func:`announce` (the web app does it in the background after each request; the
CLI awaits it before exiting). WebSub pings hang on this path; digests need no
bookkeeping of their own because they read the revisions themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from linkdir.config import Settings

if TYPE_CHECKING:
    from linkdir.resources.models import Revision

log = logging.getLogger("linkdir.changes")
_KEY = "linkdir.changed_revisions"


def report(session: AsyncSession, revision: Revision) -> None:
    """Note that ``revision`` is part of this session's change (announced after commit)."""
    session.info.setdefault(_KEY, []).append(revision)


def report_ids(session: AsyncSession, revision_ids: Sequence[int]) -> None:
    """Like :func:`report`, for revisions written in bulk without ORM objects."""
    session.info.setdefault(_KEY, []).extend(revision_ids)


def take(session: AsyncSession) -> list[int]:
    """The ids of the revisions reported since the last call (call after commit)."""
    reported: list[Revision | int] = session.info.pop(_KEY, [])
    ids = {item if isinstance(item, int) else item.id for item in reported}
    return sorted(i for i in ids if i is not None)


def forget(session: AsyncSession) -> None:
    """Drop what was reported (after a rollback nothing changed)."""
    session.info.pop(_KEY, None)


async def announce(
    settings: Settings, factory: async_sessionmaker[AsyncSession], revision_ids: Sequence[int]
) -> None:
    """Tell the outside what ``revision_ids`` changed: WebSub pings for public feeds."""
    if not revision_ids or not settings.websub_hub_url:
        return
    from linkdir.feeds import websub

    await websub.publish(settings, factory, list(revision_ids))
