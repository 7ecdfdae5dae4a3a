"""JSON API ``/api/v1`` for resources and topics (DESIGN §6)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import FromPath, JSONBody, QueryParameter

from linkdir.auth.guards import CurrentUser, Editor, actor_of, provide_editor, provide_user
from linkdir.config import Settings
from linkdir.errors import NotFound
from linkdir.i18n import gettext
from linkdir.resources import curating, lookup, service
from linkdir.resources.models import (
    LANGUAGES,
    LinkStatus,
    Resource,
    ResourceState,
    ResourceType,
    Topic,
)
from linkdir.resources.search import search
from linkdir.web import DbSession

MAX_PER_PAGE = 100
SORT_PATTERN = "^-?(" + "|".join(curating.SORT_KEYS) + ")$"
Language = StrEnum("Language", {code: code for code in LANGUAGES})  # type: ignore[misc]


class LinkHealth(msgspec.Struct):
    status: str
    status_since: datetime | None
    last_checked_at: datetime | None
    http_status: int | None
    final_url: str | None
    moved_to: str | None
    reason: str | None
    modified_on: date | None
    archive_url: str | None


class ResourceOut(msgspec.Struct):
    id: int
    url: str
    title: str
    description: str
    language: str
    resource_type: str
    publisher: str
    state: str
    topics: list[str]
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    review_by: date | None
    link: LinkHealth
    html_url: str


class ResourceList(msgspec.Struct):
    items: list[ResourceOut]
    total: int
    page: int
    per_page: int
    pages: int


class ResourceIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Fields of a resource; on PATCH only those given change."""

    url: str | msgspec.UnsetType = msgspec.UNSET
    title: str | msgspec.UnsetType = msgspec.UNSET
    description: str | msgspec.UnsetType = msgspec.UNSET
    language: str | msgspec.UnsetType = msgspec.UNSET
    resource_type: str | msgspec.UnsetType = msgspec.UNSET
    publisher: str | msgspec.UnsetType = msgspec.UNSET
    state: str | msgspec.UnsetType = msgspec.UNSET
    review_by: str | None | msgspec.UnsetType = msgspec.UNSET
    topics: list[str] | msgspec.UnsetType = msgspec.UNSET
    tags: list[str] | msgspec.UnsetType = msgspec.UNSET


class PageFactsOut(msgspec.Struct):
    """What a page says about itself: suggestions for a new resource ("" for nothing)."""

    url: str
    final_url: str
    title: str
    description: str
    language: str
    publisher: str


class LookupProblem(msgspec.Struct):
    """Why a page could not be read (application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    reason: str
    errors: list[dict[str, str]]


class TopicOut(msgspec.Struct):
    slug: str
    name_sv: str
    name_en: str
    description_sv: str
    description_en: str
    resource_count: int


class TopicIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    slug: str | msgspec.UnsetType = msgspec.UNSET
    name_sv: str | msgspec.UnsetType = msgspec.UNSET
    name_en: str | msgspec.UnsetType = msgspec.UNSET
    description_sv: str | msgspec.UnsetType = msgspec.UNSET
    description_en: str | msgspec.UnsetType = msgspec.UNSET


def _given(data: msgspec.Struct) -> dict[str, Any]:
    return {
        name: getattr(data, name)
        for name in data.__struct_fields__
        if getattr(data, name) is not msgspec.UNSET
    }


async def resource_out(
    session: DbSession, resources: list[Resource], base_url: str
) -> list[ResourceOut]:
    ids = [r.id for r in resources if r.id is not None]
    topics = await service.topics_of(session, ids)
    tags = await service.tags_of(session, ids)
    out = []
    for r in resources:
        assert r.id is not None
        out.append(
            ResourceOut(
                id=r.id,
                url=r.url,
                title=r.title,
                description=r.description,
                language=r.language,
                resource_type=r.resource_type,
                publisher=r.publisher,
                state=r.state,
                topics=[t.slug for t in topics[r.id]],
                tags=tags[r.id],
                created_at=r.created_at,
                updated_at=r.updated_at,
                published_at=r.published_at,
                review_by=r.review_by,
                link=LinkHealth(
                    status=r.link_status,
                    status_since=r.status_since,
                    last_checked_at=r.last_checked_at,
                    http_status=r.http_status,
                    final_url=r.final_url,
                    moved_to=r.moved_to,
                    reason=r.reason,
                    modified_on=r.modified_on,
                    archive_url=r.archive_url,
                ),
                html_url=f"{base_url.rstrip('/')}/resources/{r.id}",
            )
        )
    return out


def _visible_states(user: CurrentUser, state: str | None) -> tuple[str, ...]:
    if user is None:
        return service.PUBLIC_STATES
    if state in service.ALL_STATES:
        return (state,)
    return service.ALL_STATES


PageNumber = Annotated[int, QueryParameter(ge=1, le=100_000, description="Page number, from 1")]
PerPage = Annotated[int, QueryParameter(ge=1, le=MAX_PER_PAGE, description="Items per page")]


class ResourceApi(Controller):
    path = "/api/v1/resources"
    tags = ["resources"]
    dependencies = {"user": Provide(provide_user), "editor": Provide(provide_editor)}

    @get("/", summary="List or search resources")
    async def list_resources(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        user: CurrentUser,
        q: Annotated[
            str | None, QueryParameter(max_length=5000, description="Search words")
        ] = None,
        topic: Annotated[str | None, QueryParameter(max_length=80)] = None,
        tag: Annotated[str | None, QueryParameter(max_length=80)] = None,
        status: Annotated[
            LinkStatus | None, QueryParameter(description="Link status to filter by")
        ] = None,
        resource_state: Annotated[
            ResourceState | None,
            QueryParameter(name="state", description="Resource state (signed-in clients only)"),
        ] = None,
        link_status: Annotated[
            LinkStatus | None, QueryParameter(description="Link status (same as status)")
        ] = None,
        resource_type: Annotated[
            ResourceType | None, QueryParameter(name="type", description="Resource type")
        ] = None,
        language: Annotated[
            Language | None, QueryParameter(description="Language code of the resource")
        ] = None,
        review_due: Annotated[
            bool | None, QueryParameter(description="Only resources whose review date has come")
        ] = None,
        sort: Annotated[
            str | None,
            QueryParameter(
                pattern=SORT_PATTERN,
                description="title, state, link_status, updated or review_by; - first: descending"
                " (default: best match for q, else the latest changed first)",
            ),
        ] = None,
        page: PageNumber = 1,
        per_page: PerPage = 20,
    ) -> ResourceList:
        """Published resources (all states for signed-in clients), newest first or ranked.

        With any of link_status, type, language, review_due or sort, every filter (q, topic
        and tag too) narrows the list together, as in the curators' list (issue 16).
        """
        settings: Settings = request.app.state.settings
        states = _visible_states(user, resource_state.value if resource_state else None)
        chosen_status = link_status or status
        if link_status or resource_type or language or review_due or sort:
            filters = curating.Filters(
                q=q.strip() if q and q.strip() else None,
                topic=topic,
                tag=tag,
                link_status=chosen_status.value if chosen_status else None,
                resource_type=resource_type.value if resource_type else None,
                language=language.value if language else None,
                review_due=bool(review_due),
                sort=sort,
            )
            listing = await curating.find(
                session, filters, states=states, page=page, per_page=per_page
            )
            return ResourceList(
                items=await resource_out(session, listing.items, settings.base_url),
                total=listing.total,
                page=page,
                per_page=per_page,
                pages=listing.pages,
            )
        if q and q.strip():
            topic_id = None
            if topic:
                try:
                    found = await service.get_topic(session, topic)
                    topic_id = found.id
                except NotFound:
                    return ResourceList([], 0, page, per_page, 1)
            result = await search(
                session, q, topic_id=topic_id, states=states, page=page, per_page=per_page
            )
            items, total, pages = result.items, result.total, result.pages
        else:
            listed = await service.list_resources(
                session,
                topic=topic,
                tag=tag,
                link_status=status.value if status else None,
                states=states,
                page=page,
                per_page=per_page,
            )
            items, total, pages = listed.items, listed.total, listed.pages
        return ResourceList(
            items=await resource_out(session, items, settings.base_url),
            total=total,
            page=page,
            per_page=per_page,
            pages=pages,
        )

    @post("/", summary="Add a resource", status_code=201)
    async def create(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        editor: Editor,
        data: JSONBody[ResourceIn],
    ) -> Response[ResourceOut]:
        settings: Settings = request.app.state.settings
        resource = await service.create_resource(
            session,
            _given(data),
            by=actor_of(editor),
            allow_networks=settings.checker_allow_networks,
        )
        [out] = await resource_out(session, [resource], settings.base_url)
        return Response(
            out, status_code=201, headers={"Location": f"/api/v1/resources/{resource.id}"}
        )

    @get(
        "/lookup",
        summary="Read a page's title, description, language and publisher",
        responses={
            422: ResponseSpec(
                LookupProblem,
                description="The page could not be read (the reason code says why)",
                media_type="application/problem+json",
                examples=[
                    Example(
                        summary="No page at the address",
                        value={
                            "type": "about:blank",
                            "title": "The page could not be read.",
                            "status": 422,
                            "detail": "There is no page at this address (HTTP 404).",
                            "reason": "http_404",
                            "errors": [{"field": "url", "message": "…"}],
                        },
                    )
                ],
            )
        },
    )
    async def look_up(
        self,
        request: Request[Any, Any, Any],
        editor: Editor,
        url: Annotated[
            str,
            QueryParameter(
                max_length=2048,
                description="The address; www.kb.se/bibliotek and kb.se get https:// added",
            ),
        ],
    ) -> Response[Any]:
        """Fetch the page through the link checker's guarded fetcher (curators only).

        Suggestions for the add form; nothing is stored. Private and local addresses are
        refused exactly as link checks refuse them.
        """
        settings: Settings = request.app.state.settings
        try:
            facts = await lookup.look_up(url, lookup.engine_config(settings))
        except lookup.LookupFailed as failed:
            message = failed.error.render(gettext)
            body = LookupProblem(
                type="about:blank",
                title=gettext("The page could not be read."),
                status=422,
                detail=message,
                reason=failed.reason,
                errors=[{"field": "url", "message": message}],
            )
            return Response(body, status_code=422, media_type="application/problem+json")
        return Response(PageFactsOut(**facts.as_dict()), headers={"Cache-Control": "no-store"})

    @get("/{resource_id:int}", summary="One resource")
    async def get_one(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        user: CurrentUser,
        resource_id: FromPath[int],
    ) -> ResourceOut:
        states = _visible_states(user, None)
        resource = await service.get_resource(session, resource_id, states=states)
        [out] = await resource_out(session, [resource], request.app.state.settings.base_url)
        return out

    @patch("/{resource_id:int}", summary="Change a resource")
    async def update(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        editor: Editor,
        resource_id: FromPath[int],
        data: JSONBody[ResourceIn],
    ) -> ResourceOut:
        settings: Settings = request.app.state.settings
        resource = await service.update_resource(
            session,
            resource_id,
            _given(data),
            by=actor_of(editor),
            allow_networks=settings.checker_allow_networks,
        )
        [out] = await resource_out(session, [resource], settings.base_url)
        return out

    @delete("/{resource_id:int}", summary="Delete a resource", status_code=204)
    async def remove(self, session: DbSession, editor: Editor, resource_id: FromPath[int]) -> None:
        await service.delete_resource(session, resource_id, by=actor_of(editor))


def topic_out(topic: Topic, count: int) -> TopicOut:
    return TopicOut(
        slug=topic.slug,
        name_sv=topic.name_sv,
        name_en=topic.name_en,
        description_sv=topic.description_sv,
        description_en=topic.description_en,
        resource_count=count,
    )


class TopicApi(Controller):
    path = "/api/v1/topics"
    tags = ["topics"]
    dependencies = {"user": Provide(provide_user), "editor": Provide(provide_editor)}

    @get("/", summary="All topics with their resource counts")
    async def list_topics(self, session: DbSession, user: CurrentUser) -> list[TopicOut]:
        states = _visible_states(user, None)
        return [topic_out(t, n) for t, n in await service.list_topics(session, states=states)]

    @get("/{slug:str}", summary="One topic")
    async def get_one(self, session: DbSession, user: CurrentUser, slug: FromPath[str]) -> TopicOut:
        states = _visible_states(user, None)
        for topic, count in await service.list_topics(session, states=states):
            if topic.slug == slug:
                return topic_out(topic, count)
        raise NotFound(slug)

    @post("/", summary="Add a topic", status_code=201)
    async def create(self, session: DbSession, editor: Editor, data: JSONBody[TopicIn]) -> TopicOut:
        topic = await service.create_topic(session, _given(data))
        return topic_out(topic, 0)

    @patch("/{slug:str}", summary="Change a topic")
    async def update(
        self, session: DbSession, editor: Editor, slug: FromPath[str], data: JSONBody[TopicIn]
    ) -> TopicOut:
        topic = await service.update_topic(session, slug, _given(data))
        counts = {t.slug: n for t, n in await service.list_topics(session)}
        return topic_out(topic, counts.get(topic.slug, 0))

    @delete("/{slug:str}", summary="Delete a topic", status_code=204)
    async def remove(self, session: DbSession, editor: Editor, slug: FromPath[str]) -> None:
        await service.delete_topic(session, slug)
