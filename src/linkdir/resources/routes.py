"""Public pages: home, topic, tag, search, resource detail, accessibility statement."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Request, Response, get
from litestar.di import Provide
from litestar.params import FromPath, FromQuery

from linkdir.auth.guards import CurrentUser, provide_user
from linkdir.errors import NotFound
from linkdir.resources import service, tags
from linkdir.resources.models import LANGUAGES, ResourceState, ResourceType
from linkdir.resources.suggest import forgiving_search
from linkdir.resources.tag_routes import follow_old_tag
from linkdir.web import DbSession, page_number, render

PER_PAGE = 20


async def _decorate(session: DbSession, items: list[Any]) -> dict[str, Any]:
    ids = [r.id for r in items]
    return {
        "topics_by_id": await service.topics_of(session, ids),
        "tags_by_id": await service.tags_of(session, ids),
    }


async def _topic_counts(request: Request[Any, Any, Any], session: DbSession) -> Any:
    cache = request.app.state.page_cache
    topics = cache.get("topic-counts")
    if topics is None:
        # Counting every published resource per topic is the slowest part of the home page.
        topics = await service.list_topics(session)
        cache.put("topic-counts", topics)
    return topics


@get("/", include_in_schema=False)
async def home(
    request: Request[Any, Any, Any], session: DbSession, page: FromQuery[str | None] = None
) -> Response[str]:
    topics = await _topic_counts(request, session)
    newest = await service.list_resources(session, page=page_number(page), per_page=PER_PAGE)
    return render(
        request,
        "resources/home.html",
        topics=topics,
        listing=newest,
        **await _decorate(session, newest.items),
    )


@get("/topics", include_in_schema=False)
async def topics_page(request: Request[Any, Any, Any], session: DbSession) -> Response[str]:
    """Every topic with what it is about and how many resources it holds (a visitor who
    shortens /topics/mik to /topics lands here, and the breadcrumbs lead here)."""
    return render(request, "resources/topics.html", topics=await _topic_counts(request, session))


@get("/tags", include_in_schema=False)
async def tags_index(request: Request[Any, Any, Any], session: DbSession) -> Response[str]:
    """Every tag that published resources carry, with their number, A to Ö."""
    return render(
        request, "resources/tags.html", tags=await tags.list_tags(session, published_only=True)
    )


@get(
    "/topics/{slug:str}",
    include_in_schema=False,
    dependencies={"user": Provide(provide_user)},
)
async def topic_page(
    request: Request[Any, Any, Any],
    session: DbSession,
    user: CurrentUser,
    slug: FromPath[str],
    page: FromQuery[str | None] = None,
) -> Response[str]:
    from linkdir.embed.routes import embed_code

    topic = await service.get_topic(session, slug)
    listing = await service.list_resources(
        session,
        topic=slug,
        page=page_number(page),
        per_page=PER_PAGE,
        order="title",
        pinned_first=True,
    )
    return render(
        request,
        "resources/topic.html",
        topic=topic,
        listing=listing,
        # Curators get the code for their library's own website ("Bädda in").
        embed=await embed_code(request, session, slug) if user is not None else None,
        **await _decorate(session, listing.items),
    )


@get("/tags/{slug:str}", include_in_schema=False)
async def tag_page(
    request: Request[Any, Any, Any],
    session: DbSession,
    slug: FromPath[str],
    page: FromQuery[str | None] = None,
) -> Response[str]:
    if not await service.tag_exists(session, slug):
        await follow_old_tag(request, session, slug, "/tags/{}")
        raise NotFound(slug)
    listing = await service.list_resources(
        session, tag=slug, page=page_number(page), per_page=PER_PAGE, order="title"
    )
    return render(
        request,
        "resources/tag.html",
        tag=slug,
        listing=listing,
        **await _decorate(session, listing.items),
    )


@get("/search", include_in_schema=False)
async def search_page(
    request: Request[Any, Any, Any],
    session: DbSession,
    q: FromQuery[str | None] = None,
    topic: FromQuery[str | None] = None,
    type: FromQuery[str | None] = None,  # noqa: A002 - the public query parameter is called type
    language: FromQuery[str | None] = None,
    page: FromQuery[str | None] = None,
) -> Response[str]:
    query = (q or "")[:5000]
    topics = await service.all_topics(session)
    topic_by_slug = {t.slug: t for t in topics}
    topic_by_id = {t.id: t for t in topics}
    chosen_topic = topic_by_slug.get(topic or "")
    resource_type = type if type in {t.value for t in ResourceType} else None
    chosen_language = language if language in LANGUAGES else None
    forgiven = await forgiving_search(
        session,
        request.app.state.get("vocabulary"),
        query,
        topic_id=chosen_topic.id if chosen_topic else None,
        resource_type=resource_type,
        language=chosen_language,
        page=page_number(page),
        per_page=PER_PAGE,
    )
    result = forgiven.result
    return render(
        request,
        "resources/search.html",
        query=query,
        result=result,
        listing=result,
        suggestion=forgiven.suggestion,
        corrected=forgiven.corrected,
        chosen_topic=chosen_topic,
        chosen_type=resource_type,
        chosen_language=chosen_language,
        topic_by_id=topic_by_id,
        **await _decorate(session, result.items),
    )


async def render_resource_page(
    request: Request[Any, Any, Any],
    session: DbSession,
    resource_id: int,
    *,
    status_code: int = 200,
    report_error: str = "",
    report_comment: str = "",
) -> Response[str]:
    """A resource's public page with its "report a problem" form; 410 once retired."""
    from linkdir.checks.visitor_routes import report_form_token, token_cookie

    resource = await service.get_resource(session, resource_id, states=service.ALL_STATES)
    decoration = await _decorate(session, [resource])
    topics = decoration["topics_by_id"][resource.id]
    if resource.state == ResourceState.retired.value and resource.published_at is not None:
        # The address was public: say what happened and where to look, not a bare 404.
        # (A draft retired before it was ever published was never public: a 404, and its
        # title is not shown.)
        return render(request, "resources/retired.html", status_code=410, resource=resource,
                      topics=topics)  # fmt: skip
    if resource.state != ResourceState.published.value:
        raise NotFound(resource_id)
    token = report_form_token(request)
    response = render(
        request,
        "resources/detail.html",
        status_code=status_code,
        resource=resource,
        topics=topics,
        tags=decoration["tags_by_id"][resource.id],
        report_token=token,
        report_error=report_error,
        report_comment=report_comment,
        reported=request.query_params.get("reported") == "1",
    )
    response.cookies.append(token_cookie(request.app.state.settings, token))
    return response


@get("/resources/{resource_id:int}", include_in_schema=False)
async def resource_page(
    request: Request[Any, Any, Any], session: DbSession, resource_id: FromPath[int]
) -> Response[str]:
    return await render_resource_page(request, session, resource_id)


# When the statement's facts were last checked against the site (tests/browser prove them
# on every run; change this date when the statement's text is reviewed).
ACCESSIBILITY_REVIEWED = date(2026, 12, 1)


@get("/about/accessibility", include_in_schema=False)
async def accessibility_page(request: Request[Any, Any, Any]) -> Response[str]:
    return render(request, "about/accessibility.html", reviewed=ACCESSIBILITY_REVIEWED)


page_handlers = [
    home,
    topics_page,
    tags_index,
    topic_page,
    tag_page,
    search_page,
    resource_page,
    accessibility_page,
]
