"""API for curating many resources at once (issue 16): bulk edit, undo, restore."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, post
from litestar.di import Provide
from litestar.params import FromPath, JSONBody

from linkdir.auth.guards import Editor, actor_of, provide_editor, provide_user
from linkdir.config import Settings
from linkdir.resources import curating
from linkdir.resources.api import ResourceOut, resource_out
from linkdir.web import DbSession


class BulkIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A bulk edit: the resources, and the changes (a field left out is not changed)."""

    ids: list[int]
    add_topics: list[str] | msgspec.UnsetType = msgspec.UNSET
    remove_topics: list[str] | msgspec.UnsetType = msgspec.UNSET
    add_tags: list[str] | msgspec.UnsetType = msgspec.UNSET
    remove_tags: list[str] | msgspec.UnsetType = msgspec.UNSET
    resource_type: str | msgspec.UnsetType = msgspec.UNSET
    language: str | msgspec.UnsetType = msgspec.UNSET
    # null removes the review date.
    review_by: str | None | msgspec.UnsetType = msgspec.UNSET
    # draft (unpublish), published (publish) or retired (retire).
    state: str | msgspec.UnsetType = msgspec.UNSET
    # true: only answer what would change; nothing is written.
    dry_run: bool = False


class PlannedOut(msgspec.Struct):
    id: int
    title: str
    # field: [old value, new value]; empty when this resource would not change.
    changes: dict[str, list[Any]]


class BulkOut(msgspec.Struct):
    dry_run: bool
    changed: int
    resources: list[PlannedOut]
    # The change batch to undo (POST undo_url) until undo_until; null when nothing changed.
    batch: str | None
    undo_url: str | None
    undo_until: datetime | None


class UndoOut(msgspec.Struct):
    batch: str
    restored: list[int]


class CuratingApi(Controller):
    path = "/api/v1"
    tags = ["resources"]
    dependencies = {"user": Provide(provide_user), "editor": Provide(provide_editor)}

    @post("/resources/bulk", summary="Change many resources at once", status_code=200)
    async def bulk(self, session: DbSession, editor: Editor, data: JSONBody[BulkIn]) -> BulkOut:
        """One transaction, one revision per changed resource, undoable for 10 minutes.

        With ``dry_run`` the answer lists what would change and nothing is written.
        """
        given = {
            name: getattr(data, name)
            for name in curating.BULK_FIELDS
            if getattr(data, name) is not msgspec.UNSET
        }
        edit = curating.validate_bulk(given)
        if data.dry_run:
            planned = await curating.plan(session, edit)
            batch = None
        else:
            batch, planned = await curating.apply(session, edit, by=actor_of(editor))
        return BulkOut(
            dry_run=data.dry_run,
            changed=sum(1 for p in planned if p.changes),
            resources=[PlannedOut(p.resource_id, p.title, p.changes) for p in planned],
            batch=batch.id if batch else None,
            undo_url=f"/api/v1/undo/{batch.id}" if batch else None,
            undo_until=batch.expires_at if batch else None,
        )

    @post("/undo/{batch:str}", summary="Undo a bulk edit or a state change", status_code=200)
    async def undo(self, session: DbSession, editor: Editor, batch: FromPath[str]) -> UndoOut:
        """Put back the previous values; 409 once undone, too late, or changed since."""
        restored = await curating.undo(session, batch, by=actor_of(editor))
        return UndoOut(batch=batch, restored=restored)

    @post(
        "/resources/{resource_id:int}/restore",
        summary="Restore a retired resource",
        status_code=200,
    )
    async def restore(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        editor: Editor,
        resource_id: FromPath[int],
    ) -> ResourceOut:
        """Back to the state it had before it was retired; 409 if it is not retired."""
        settings: Settings = request.app.state.settings
        resource = await curating.restore(session, resource_id, by=actor_of(editor))
        [out] = await resource_out(session, [resource], settings.base_url)
        return out
