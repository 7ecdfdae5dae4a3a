"""Curator pages under /manage: resources (list, add, edit, publish, retire, history), topics."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import Provide
from litestar.params import FromPath
from litestar.response import Redirect

from linkdir.auth.guards import (
    Editor,
    actor_of,
    provide_editor,
    provide_user,
    read_form,
)
from linkdir.config import Settings
from linkdir.errors import N_, Conflict, FieldError, ValidationFailed
from linkdir.i18n import current_locale, gettext
from linkdir.resources import curating, lookup, service
from linkdir.resources.curating_pages import curating_handlers
from linkdir.resources.models import LANGUAGES, ResourceState, ResourceType
from linkdir.web import NO_STORE, DbSession, render, same_site_path, with_query

DEPENDENCIES = {"user": Provide(provide_user), "editor": Provide(provide_editor)}
STATE_ACTIONS = {
    "publish": ResourceState.published.value,
    "unpublish": ResourceState.draft.value,
    "retire": ResourceState.retired.value,
}


def _form_values(form: FormMultiDict) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: str(form.get(name) or "")
        for name in (
            "url",
            "title",
            "description",
            "language",
            "resource_type",
            "publisher",
            "review_by",
        )
    }
    values["topics"] = [str(v) for v in form.getall("topics", [])]
    values["tags"] = str(form.get("tags") or "")
    return values


def _errors(request: Request[Any, Any, Any], failures: list[FieldError]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for failure in failures:
        errors.setdefault(failure.field, failure.render(gettext))
    return errors


async def _form_page(
    request: Request[Any, Any, Any],
    session: DbSession,
    *,
    resource: Any = None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    existing_id: int | None = None,
    notice: str | None = None,
    filled: list[str] | None = None,
    looked_up: bool = False,
) -> Response[str]:
    response = render(
        request,
        "manage/resource_form.html",
        status_code=status_code,
        resource=resource,
        values=values,
        errors=errors or {},
        existing_id=existing_id,
        topics=await service.all_topics(session),
        known_tags=await lookup.known_tags(session) if resource is None else [],
        languages=LANGUAGES,
        types=[t.value for t in ResourceType],
        notice=notice,
        filled=filled or [],
        looked_up=looked_up,
    )
    response.headers.update(NO_STORE)
    return response


@get("/manage", include_in_schema=False, dependencies=DEPENDENCIES)
async def manage_home(editor: Editor) -> Redirect:
    return Redirect("/manage/resources", status_code=303)


@get("/manage/resources/new", include_in_schema=False, dependencies=DEPENDENCIES)
async def resource_new(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor
) -> Response[str]:
    """The add form, prefilled from ``?url=&title=&description=`` (the bookmarklet's link)."""
    settings: Settings = request.app.state.settings
    values, failures = lookup.prefill(
        {name: request.query_params.get(name) or "" for name in lookup.PREFILL_FIELDS},
        allow_networks=settings.checker_allow_networks,
    )
    return await _form_page(request, session, values=values, errors=_errors(request, failures))


@post("/manage/resources/new/lookup", include_in_schema=False, dependencies=DEPENDENCIES)
async def resource_lookup(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor
) -> Response[str]:
    """ "Hämta uppgifter": the form again, with what the page says filled in where empty."""
    settings: Settings = request.app.state.settings
    form = await read_form(request)
    values = _form_values(form)
    values["topic_name"] = str(form.get("topic_name") or "")
    try:
        facts = await lookup.look_up(values["url"], lookup.engine_config(settings))
    except lookup.LookupFailed as failed:
        if failed.is_notice:
            return await _form_page(
                request, session, values=values, notice=failed.error.render(gettext)
            )
        return await _form_page(
            request, session, values=values, errors=_errors(request, [failed.error])
        )
    filled = lookup.fill_empty(values, facts)
    return await _form_page(request, session, values=values, filled=filled, looked_up=True)


@post("/manage/resources/new", include_in_schema=False, dependencies=DEPENDENCIES)
async def resource_create(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor
) -> Response[Any]:
    settings: Settings = request.app.state.settings
    form = await read_form(request)
    values = _form_values(form)
    # The add form's "Choose …" option: the field is left to its default, as in the API.
    data = {k: v for k, v in values.items() if v != "" or k not in lookup.OPTIONAL_CHOICES}
    values["topic_name"] = str(form.get("topic_name") or "")
    try:
        if values["topic_name"].strip():
            named = lookup.topic_named(values["topic_name"], await service.all_topics(session))
            data["topics"] = [*values["topics"], named]
        resource = await service.create_resource(
            session, data, by=actor_of(editor), allow_networks=settings.checker_allow_networks
        )
    except ValidationFailed as failed:
        return await _form_page(
            request, session, values=values, errors=_errors(request, failed.errors), status_code=422
        )
    except Conflict as conflict:
        return await _form_page(
            request,
            session,
            values=values,
            errors=_errors(request, [conflict.error]),
            status_code=409,
            existing_id=conflict.existing_id,
        )
    return Redirect(f"/manage/resources/{resource.id}?saved=1", status_code=303)


async def _values_of(session: DbSession, resource: Any) -> dict[str, Any]:
    topics = (await service.topics_of(session, [resource.id]))[resource.id]
    tags = (await service.tags_of(session, [resource.id]))[resource.id]
    return {
        "url": resource.url,
        "title": resource.title,
        "description": resource.description,
        "language": resource.language,
        "resource_type": resource.resource_type,
        "publisher": resource.publisher,
        "review_by": resource.review_by.isoformat() if resource.review_by else "",
        "topics": [t.slug for t in topics],
        "tags": ", ".join(tags),
    }


@get("/manage/resources/{resource_id:int}", include_in_schema=False, dependencies=DEPENDENCIES)
async def resource_edit(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor, resource_id: FromPath[int]
) -> Response[str]:
    resource = await service.get_resource(session, resource_id, states=service.ALL_STATES)
    return await _form_page(
        request, session, resource=resource, values=await _values_of(session, resource)
    )


@post("/manage/resources/{resource_id:int}", include_in_schema=False, dependencies=DEPENDENCIES)
async def resource_update(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor, resource_id: FromPath[int]
) -> Response[Any]:
    settings: Settings = request.app.state.settings
    form = await read_form(request)
    resource = await service.get_resource(session, resource_id, states=service.ALL_STATES)
    values = _form_values(form)
    try:
        await service.update_resource(
            session,
            resource_id,
            values,
            by=actor_of(editor),
            allow_networks=settings.checker_allow_networks,
        )
    except (ValidationFailed, Conflict) as failed:
        resource = await service.get_resource(session, resource_id, states=service.ALL_STATES)
        failures = failed.errors if isinstance(failed, ValidationFailed) else [failed.error]
        return await _form_page(
            request,
            session,
            resource=resource,
            values=values,
            errors=_errors(request, failures),
            status_code=422 if isinstance(failed, ValidationFailed) else 409,
            existing_id=getattr(failed, "existing_id", None),
        )
    del resource
    return Redirect(f"/manage/resources/{resource_id}?saved=1", status_code=303)


@post(
    "/manage/resources/{resource_id:int}/state", include_in_schema=False, dependencies=DEPENDENCIES
)
async def resource_state(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor, resource_id: FromPath[int]
) -> Response[Any]:
    form = await read_form(request)
    action = str(form.get("action") or "")
    if action not in STATE_ACTIONS:
        raise ValidationFailed(
            [
                FieldError(
                    "action",
                    N_("Choose one of: %(choices)s."),
                    {"choices": ", ".join(STATE_ACTIONS)},
                )
            ]
        )
    batch = await curating.change_state(
        session, resource_id, STATE_ACTIONS[action], by=actor_of(editor)
    )
    target = same_site_path(
        str(form.get("back") or ""), prefix="/manage/", default=f"/manage/resources/{resource_id}"
    )
    if batch is not None:  # the notice offers "Ångra" (issue 16)
        target = with_query(target, undo=batch.id)
    return Redirect(target, status_code=303)


@get(
    "/manage/resources/{resource_id:int}/history",
    include_in_schema=False,
    dependencies=DEPENDENCIES,
)
async def resource_history(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor, resource_id: FromPath[int]
) -> Response[str]:
    resource = await service.get_resource(session, resource_id, states=service.ALL_STATES)
    revisions = await service.revisions_of(session, resource_id)
    locale = current_locale()
    response = render(
        request,
        "manage/history.html",
        resource=resource,
        revisions=revisions,
        # A topics change is stored as slugs; people read the topics' names.
        topic_names={t.slug: t.name(locale) for t in await service.all_topics(session)},
    )
    response.headers.update(NO_STORE)
    return response


# Topics -----------------------------------------------------------------------------------

TOPIC_FORM_FIELDS = ("slug", "name_sv", "name_en", "description_sv", "description_en")


async def _topics_page(
    request: Request[Any, Any, Any],
    session: DbSession,
    *,
    topic: Any = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[str]:
    response = render(
        request,
        "manage/topics.html",
        status_code=status_code,
        topics=await service.list_topics(session, states=service.ALL_STATES),
        topic=topic,
        values=values or {},
        errors=errors or {},
    )
    response.headers.update(NO_STORE)
    return response


@get("/manage/topics", include_in_schema=False, dependencies=DEPENDENCIES)
async def topics_page(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor
) -> Response[str]:
    return await _topics_page(request, session)


@post("/manage/topics", include_in_schema=False, dependencies=DEPENDENCIES)
async def topic_create(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor
) -> Response[Any]:
    form = await read_form(request)
    values = {name: str(form.get(name) or "") for name in TOPIC_FORM_FIELDS}
    data = {k: v for k, v in values.items() if k != "slug" or v}
    try:
        await service.create_topic(session, data)
    except (ValidationFailed, Conflict) as failed:
        failures = failed.errors if isinstance(failed, ValidationFailed) else [failed.error]
        return await _topics_page(
            request, session, values=values, errors=_errors(request, failures), status_code=422
        )
    return Redirect("/manage/topics", status_code=303)


@get("/manage/topics/{slug:str}", include_in_schema=False, dependencies=DEPENDENCIES)
async def topic_edit(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor, slug: FromPath[str]
) -> Response[str]:
    topic = await service.get_topic(session, slug)
    values = {name: getattr(topic, name) for name in TOPIC_FORM_FIELDS}
    return await _topics_page(request, session, topic=topic, values=values)


@post("/manage/topics/{slug:str}", include_in_schema=False, dependencies=DEPENDENCIES)
async def topic_update(
    request: Request[Any, Any, Any], session: DbSession, editor: Editor, slug: FromPath[str]
) -> Response[Any]:
    form = await read_form(request)
    values = {name: str(form.get(name) or "") for name in TOPIC_FORM_FIELDS}
    try:
        topic = await service.update_topic(session, slug, values)
    except (ValidationFailed, Conflict) as failed:
        failures = failed.errors if isinstance(failed, ValidationFailed) else [failed.error]
        topic = await service.get_topic(session, slug)
        return await _topics_page(
            request,
            session,
            topic=topic,
            values=values,
            errors=_errors(request, failures),
            status_code=422,
        )
    return Redirect(f"/manage/topics/{topic.slug}?saved=1", status_code=303)


manage_handlers = [
    manage_home,
    *curating_handlers,
    resource_new,
    resource_lookup,
    resource_create,
    resource_edit,
    resource_update,
    resource_state,
    resource_history,
    topics_page,
    topic_create,
    topic_edit,
    topic_update,
]
