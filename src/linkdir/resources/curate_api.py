"""API twins of the tag and topic-order pages: /api/v1/tags, /api/v1/topics/{slug}/pins.

Same services, same validation; errors are problem+json (app.py's handlers: 422 invalid
fields, 409 a taken name, 404 an unknown tag or topic).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.di import Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from linkdir.auth.guards import CurrentUser, Editor, actor_of, provide_editor, provide_user
from linkdir.config import Settings
from linkdir.resources import pins, tags
from linkdir.web import DbSession


class TagOut(msgspec.Struct):
    slug: str
    published_count: int
    # Every state; signed-in clients only (null for anonymous ones).
    resource_count: int | None
    html_url: str
    feed_url: str


class RenameIn(msgspec.Struct, forbid_unknown_fields=True):
    slug: str


class MergeIn(msgspec.Struct, forbid_unknown_fields=True):
    into: str
    dry_run: bool = False


class MergeOut(msgspec.Struct):
    source: str
    into: TagOut
    resource_ids: list[int]  # every resource that carried the source tag
    already_tagged: list[int]  # of those, the ones carrying the target already
    redirected: list[str]  # slugs whose addresses now redirect to the target
    dry_run: bool


class PinnedOut(msgspec.Struct):
    id: int
    title: str
    state: str
    position: int


class PinsOut(msgspec.Struct):
    topic: str
    pins: list[int]
    items: list[PinnedOut]


class PinsIn(msgspec.Struct, forbid_unknown_fields=True):
    pins: list[int]


def _tag_out(settings: Settings, count: tags.TagCount, *, signed_in: bool) -> TagOut:
    base = settings.base_url.rstrip("/")
    slug = quote(count.slug, safe="")
    return TagOut(
        slug=count.slug,
        published_count=count.published,
        resource_count=count.total if signed_in else None,
        html_url=f"{base}/tags/{slug}",
        feed_url=f"{base}/feeds/tags/{slug}.atom",
    )


async def _one(session: DbSession, settings: Settings, slug: str) -> TagOut:
    [count] = [t for t in await tags.list_tags(session, slug) if t.slug == slug]
    return _tag_out(settings, count, signed_in=True)


def _pins_out(order: pins.TopicOrder) -> PinsOut:
    items = [
        PinnedOut(id=r.id or 0, title=r.title, state=r.state, position=number)
        for number, r in enumerate(order.pinned, start=1)
    ]
    return PinsOut(topic=order.topic.slug, pins=[item.id for item in items], items=items)


class TagApi(Controller):
    path = "/api/v1/tags"
    tags = ["tags"]
    dependencies = {"user": Provide(provide_user), "editor": Provide(provide_editor)}

    @get("/", summary="All tags with their resource counts")
    async def list_tags(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        user: CurrentUser,
        q: Annotated[
            str | None, QueryParameter(max_length=80, description="Part of the tag's name")
        ] = None,
    ) -> list[TagOut]:
        """Anonymous clients see tags carried by published resources only."""
        settings: Settings = request.app.state.settings
        found = await tags.list_tags(session, q or "")
        if user is None:
            found = [t for t in found if t.published]
        return [_tag_out(settings, t, signed_in=user is not None) for t in found]

    @post("/{slug:str}/rename", summary="Rename a tag (the old name redirects)", status_code=200)
    async def rename(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        editor: Editor,
        slug: FromPath[str],
        data: JSONBody[RenameIn],
    ) -> TagOut:
        tag = await tags.rename_tag(session, slug, data.slug, by=actor_of(editor))
        return await _one(session, request.app.state.settings, tag.slug)

    @post("/{slug:str}/merge", summary="Merge a tag into another", status_code=200)
    async def merge(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        editor: Editor,
        slug: FromPath[str],
        data: JSONBody[MergeIn],
    ) -> MergeOut:
        """Every resource moves to ``into``; the old tag's addresses answer 301 from now on.

        With ``dry_run`` nothing changes: the answer says what the merge would do.
        """
        if data.dry_run:
            plan = await tags.plan_merge(session, slug, data.into)
        else:
            plan = await tags.merge_tags(session, slug, data.into, by=actor_of(editor))
        return MergeOut(
            source=plan.source,
            into=await _one(session, request.app.state.settings, plan.target),
            resource_ids=[r.id for r in plan.resources if r.id is not None],
            already_tagged=sorted(plan.already_tagged),
            redirected=plan.aliases,
            dry_run=data.dry_run,
        )


class PinApi(Controller):
    path = "/api/v1/topics/{slug:str}/pins"
    tags = ["topics"]
    dependencies = {"editor": Provide(provide_editor), "user": Provide(provide_user)}

    @get("/", summary="The pinned resources of a topic, in order")
    async def get_pins(self, session: DbSession, editor: Editor, slug: FromPath[str]) -> PinsOut:
        return _pins_out(await pins.topic_order(session, slug))

    @put("/", summary="Pin exactly these resources, in this order")
    async def put_pins(
        self, session: DbSession, editor: Editor, slug: FromPath[str], data: JSONBody[PinsIn]
    ) -> PinsOut:
        """``{"pins": []}`` unpins everything; at most 20; each must be in the topic."""
        return _pins_out(await pins.set_pins(session, slug, data.pins))
