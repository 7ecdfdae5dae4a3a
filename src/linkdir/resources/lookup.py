"""What a page says about itself, from its address alone (issue 16: adding in seconds).

The add form offers a resource's title, description, language and publisher as editable
suggestions. The page is fetched with the link checker's guarded fetcher
(:meth:`linkdir.checker.Checker.fetch_page`): the same SSRF guard on every hop, the same
User-Agent, deadline and body cap as a link check. Every way it can fail is a
:class:`LookupFailed` with a translatable message; nothing here raises anything else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote

import lxml.etree
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from linkdir.checker import EngineConfig
from linkdir.config import Settings
from linkdir.errors import N_, FieldError, ValidationFailed
from linkdir.reasons import FETCH_FAILURES
from linkdir.resources.models import LANGUAGES, ResourceTag, Tag, Topic
from linkdir.resources.service import (
    MAX_DESCRIPTION,
    MAX_PUBLISHER,
    MAX_TITLE,
    clean_line,
    clean_text,
)
from linkdir.urls import MAX_URL_LENGTH, InvalidUrl, host_of, public_http_url

# The head of a page carries everything looked up here; the checker's cap is the bound.
_PARSER = lxml.etree.HTMLParser(recover=True, no_network=True, remove_comments=True)
_HTML_TYPES = ("text/html", "application/xhtml+xml")
# Language codes people and sites use for the ones the directory lists by another code.
_LANGUAGE_ALIASES = {"nb": "no", "nn": "no", "sme": "se", "swe": "sv", "eng": "en", "fin": "fi"}
# " – Kungliga biblioteket" after a title, when that is the site's name.
_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " · ", " :: ")


# Answers that are no fault of the address (a PDF, a login wall): worth saying, not an
# error to correct; the resource may well be added as it is.
NOTICE_REASONS = frozenset({"not_html", "http_401", "http_403"})


class LookupFailed(Exception):
    """The page could not be read; ``error`` says why, for the ``url`` field."""

    def __init__(self, reason: str, error: FieldError) -> None:
        super().__init__(f"{reason}: {error.message % error.params}")
        self.reason = reason
        self.error = error

    @property
    def is_notice(self) -> bool:
        """True when the address is fine and only nothing could be read from it."""
        return self.reason in NOTICE_REASONS


@dataclass(frozen=True, slots=True)
class PageFacts:
    """Suggestions for a new resource; empty strings where the page says nothing."""

    url: str  # the address as it will be stored (completed and normalised)
    final_url: str  # where HTTP redirects ended
    title: str
    description: str
    language: str  # one of LANGUAGES, or ""
    publisher: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def fields(self) -> dict[str, str]:
        """The form fields this can fill."""
        return {
            "title": self.title,
            "description": self.description,
            "language": self.language,
            "publisher": self.publisher,
        }


async def known_tags(session: AsyncSession, *, limit: int = 500) -> list[str]:
    """Tag slugs for the add form's suggestions, most used first."""
    uses = func.count(col(ResourceTag.resource_id))
    rows = await session.execute(
        select(col(Tag.slug))
        .outerjoin(ResourceTag, col(ResourceTag.tag_id) == col(Tag.id))
        .group_by(col(Tag.id), col(Tag.slug))
        .order_by(uses.desc(), col(Tag.slug))
        .limit(limit)
    )
    return [slug for (slug,) in rows]


# What the add form's address may carry (the bookmarklet sends all three).
PREFILL_FIELDS = ("url", "title", "description")
# The add form's choices left empty by "Choose …": the model's default applies.
OPTIONAL_CHOICES = frozenset({"language", "resource_type"})


def empty_values() -> dict[str, Any]:
    """The add form's fields, all empty (no type or language chosen for the curator)."""
    values: dict[str, Any] = dict.fromkeys(
        ("url", "title", "description", "publisher", "review_by", "language", "resource_type"),
        "",
    )
    values.update(topics=[], tags="")
    return values


def prefill(
    given: dict[str, str], *, allow_networks: Iterable[str] = ()
) -> tuple[dict[str, Any], list[FieldError]]:
    """The add form's values from ``?url=&title=&description=``, and what is wrong with them.

    Text is cleaned and cut to the field's length; an address is completed and checked like
    a saved one, and kept as given (with its error) when it cannot be listed.
    """
    values = empty_values()
    errors: list[FieldError] = []
    raw_url = clean_line(given.get("url", ""))[:MAX_URL_LENGTH]
    if raw_url:
        try:
            values["url"] = public_http_url(raw_url, allow_networks=allow_networks, complete=True)
        except InvalidUrl as invalid:
            values["url"] = raw_url
            errors.append(invalid.error)
    values["title"] = _clip(clean_line(given.get("title", "")), MAX_TITLE)
    values["description"] = _clip(clean_text(given.get("description", "")), MAX_DESCRIPTION)
    return values, errors


def topic_named(name: str, topics: Iterable[Topic]) -> str:
    """The slug of the topic called ``name`` (Swedish or English name, or slug, any case).

    The add form's "type a topic" field; ValidationFailed names it when no topic matches.
    """
    wanted = clean_line(name).casefold()
    for topic in topics:
        if wanted in (topic.slug.casefold(), topic.name_sv.casefold(), topic.name_en.casefold()):
            return topic.slug
    raise ValidationFailed(
        [
            FieldError(
                "topic_name",
                N_("There is no topic called %(name)s. Pick one of the suggestions."),
                {"name": clean_line(name)[:120]},
            )
        ]
    )


def fill_empty(values: dict[str, Any], facts: PageFacts) -> list[str]:
    """Put ``facts`` into the fields the curator left empty; the names of those filled."""
    values["url"] = facts.url
    filled = []
    for name, suggestion in facts.fields().items():
        if suggestion and not str(values.get(name) or "").strip():
            values[name] = suggestion
            filled.append(name)
    return filled


# Characters the bookmarklet's code keeps as they are in its javascript: address; the
# rest is percent-encoded, because a browser percent-decodes such an address before it
# runs it (so a "%" in the site's address must not survive as one).
_BOOKMARKLET_SAFE = "()!;:=+,.?&/*-_~[]{}"
# The selected text travels in the address; browsers and servers accept this much.
BOOKMARKLET_SELECTION_MAX = 1000


def bookmarklet_href(base_url: str) -> str:
    """A ``javascript:`` link that opens this site's add form for the page it is used on.

    It reads only the page's address, title and selected text, and sends them in the
    form's own ``?url=&title=&description=``; nothing else of the page is touched.
    """
    target = json.dumps(base_url.rstrip("/") + "/manage/resources/new?url=")
    code = (
        "(function(){var s=String(window.getSelection?window.getSelection():'')"
        f".trim().slice(0,{BOOKMARKLET_SELECTION_MAX});"
        f"location.href={target}+encodeURIComponent(location.href)"
        f"+'&title='+encodeURIComponent(document.title.slice(0,{MAX_TITLE}))"
        "+'&description='+encodeURIComponent(s);})();"
    )
    return "javascript:" + quote(code, safe=_BOOKMARKLET_SAFE)


def engine_config(settings: Settings) -> EngineConfig:
    """The checker's configuration for a look-up (no soft-404 probe: one page is read)."""
    return EngineConfig.from_settings(settings, probe_soft_404=False)


def _failed(code: str, message: str, **params: Any) -> LookupFailed:
    return LookupFailed(code, FieldError("url", message, params))


async def look_up(raw_url: str, config: EngineConfig) -> PageFacts:
    """Fetch ``raw_url`` through the guarded fetcher and read its title, description,
    language and publisher; :class:`LookupFailed` when that cannot be done."""
    try:
        url = public_http_url(raw_url, allow_networks=config.allow_networks, complete=True)
    except InvalidUrl as invalid:
        raise LookupFailed("invalid_url", invalid.error) from None
    # The engine (aiohttp, httpx) when a page is first looked up, not at every start-up.
    from linkdir.checker import Checker, FetchError

    try:
        async with Checker(config) as checker:
            page = await checker.fetch_page(url, max_bytes=config.max_body_bytes)
    except FetchError as error:
        message = FETCH_FAILURES.get(error.reason)
        if message is None:
            raise _failed(
                error.reason,
                N_("The page could not be fetched. Check the address, or fill in the fields."),
            ) from None
        raise _failed(error.reason, message) from None
    if page.status == 404 or page.status == 410:
        raise _failed(
            f"http_{page.status}",
            N_("There is no page at this address (HTTP %(status)d). Check the address."),
            status=page.status,
        )
    if page.status in (401, 403):
        raise _failed(
            f"http_{page.status}",
            N_(
                "The site does not let linkdir read the page (HTTP %(status)d). "
                "Fill in the fields yourself."
            ),
            status=page.status,
        )
    if not 200 <= page.status < 300:
        raise _failed(
            f"http_{page.status}",
            N_("The page answered with HTTP status %(status)d, so nothing could be read."),
            status=page.status,
        )
    if page.content_type and page.content_type not in _HTML_TYPES:
        raise _failed(
            "not_html",
            N_(
                "The address gives %(type)s, not a web page (HTML), so there is no title "
                "to read. Fill in the fields yourself."
            ),
            type=page.content_type[:100],
        )
    return read_facts(
        page.text,
        url=url,
        final_url=page.final_url,
        content_language=page.headers.get("content-language", ""),
    )


def read_facts(html: str, *, url: str, final_url: str, content_language: str = "") -> PageFacts:
    """The suggestions an HTML document gives (pure: no fetching)."""
    metas: dict[str, str] = {}
    title = heading = html_lang = ""
    text = html.lstrip()
    if text.startswith("<?xml"):
        text = text.split("?>", 1)[-1]
    try:
        doc = lxml.etree.fromstring(text, _PARSER) if text.strip() else None
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError):
        doc = None
    if doc is not None:
        html_lang = doc.get("lang") or doc.get("{http://www.w3.org/XML/1998/namespace}lang") or ""
        for element in doc.iter("title", "meta", "h1"):
            if element.tag == "meta":
                key = (element.get("property") or element.get("name") or "").strip().lower()
                content = element.get("content") or ""
                if key and content.strip() and key not in metas:
                    metas[key] = content
                equiv = (element.get("http-equiv") or "").lower()
                if equiv == "content-language" and content and not content_language:
                    content_language = content
            elif element.tag == "title" and not title:
                title = clean_line("".join(element.itertext()))
            elif element.tag == "h1" and not heading:
                heading = clean_line("".join(element.itertext()))
    site_name = clean_line(metas.get("og:site_name", ""))
    chosen_title = clean_line(metas.get("og:title", "")) or _without_site(title, site_name)
    description = clean_line(metas.get("description", "") or metas.get("og:description", ""))
    language = (
        _language(html_lang)
        or _language(metas.get("og:locale", ""))
        or _language(content_language.split(",")[0])
    )
    return PageFacts(
        url=url,
        final_url=final_url,
        title=_clip(chosen_title or heading, MAX_TITLE),
        description=_clip(description, MAX_DESCRIPTION),
        language=language,
        publisher=_clip(site_name or _host_name(final_url or url), MAX_PUBLISHER),
    )


def _without_site(title: str, site_name: str) -> str:
    """``Bibliotek – Kungliga biblioteket`` → ``Bibliotek`` when the site is so named."""
    if not site_name:
        return title
    for separator in _TITLE_SEPARATORS:
        head, found, tail = title.rpartition(separator)
        if found and head.strip() and tail.strip().casefold() == site_name.casefold():
            return head.strip()
    return title


def _language(raw: str) -> str:
    """``sv-SE``, ``sv_SE``, ``SV`` → ``sv``; a language the directory lacks → ``other``."""
    code = re.split(r"[-_]", raw.strip().lower(), maxsplit=1)[0]
    if not code or not re.fullmatch(r"[a-z]{2,3}", code):
        return ""
    code = _LANGUAGE_ALIASES.get(code, code)
    return code if code in LANGUAGES else "other"


def _host_name(url: str) -> str:
    host = host_of(url)
    return host.removeprefix("www.")


def _clip(text: str, maximum: int) -> str:
    if len(text) <= maximum:
        return text
    return text[: maximum - 1].rstrip() + "…"
