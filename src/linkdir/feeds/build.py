"""Atom 1.0 and RSS 2.0 documents from plain feed data, with feedgen (no database here)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from feedgen.feed import FeedGenerator
from lxml import etree

ATOM_NS = "http://www.w3.org/2005/Atom"
SUMMARY_LIMIT = 600

# XML 1.0 allows tab, newline, carriage return and most of Unicode; lxml refuses the rest
# (a stray \x0b from a pasted PDF would otherwise take the whole feed down). C1 controls
# are legal but render as boxes in readers, so they go too.
_NOT_XML = re.compile("[^\t\n\r\u0020-\u007e\u00a0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(value: str) -> str:
    """``value`` without characters that XML 1.0 forbids (or that readers show as boxes)."""
    return _NOT_XML.sub("", value)


def cut(value: str, limit: int = SUMMARY_LIMIT) -> str:
    """``value`` shortened to at most ``limit`` characters at a word boundary, with an ellipsis."""
    value = value.strip()
    if len(value) <= limit:
        return value
    head = value[: limit - 1]
    if not value[len(head)].isspace():
        space = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
        # A single giant word (a URL, say) is cut where it must be rather than dropped.
        if space > limit // 2:
            head = head[:space]
    return head.rstrip(" \t\n.,;:–—-") + "…"


@dataclass(frozen=True, slots=True)
class Category:
    term: str
    label: str
    scheme: str


@dataclass(frozen=True, slots=True)
class Item:
    """One entry: what both Atom and RSS need, already in the reader's language."""

    id: str  # a stable tag: URI, never the resource's address (which may change)
    title: str
    link: str
    summary: str
    published: datetime
    updated: datetime
    related: str | None = None
    author: str | None = None
    categories: tuple[Category, ...] = ()


@dataclass(frozen=True, slots=True)
class Feed:
    id: str
    title: str
    subtitle: str
    self_url: str
    page_url: str
    language: str
    updated: datetime  # the newest item's time; never the time of the request
    site_name: str = "linkdir"
    hub_url: str | None = None
    items: tuple[Item, ...] = field(default_factory=tuple)


class _FeedLinks:
    """rel="hub" in both formats: feedgen writes only rel="self" into RSS."""

    def __init__(self, hub_url: str | None) -> None:
        self.hub_url = hub_url

    def extend_ns(self) -> dict[str, str]:
        return {}  # feedgen declares the atom prefix in RSS already

    def extend_rss(self, rss: Any) -> Any:
        if self.hub_url:
            channel = rss.find("channel")
            etree.SubElement(channel, f"{{{ATOM_NS}}}link", href=self.hub_url, rel="hub")
        return rss

    def extend_atom(self, atom: Any) -> Any:
        if self.hub_url:
            # feedgen builds Atom from un-namespaced tags under a default xmlns.
            etree.SubElement(atom, "link", href=self.hub_url, rel="hub")
        return atom


class _EntryLinks:
    """rel="related" to the directory page: feedgen 1.0 drops rel on entry links, which
    would leave two rel="alternate" links (invalid Atom)."""

    def __init__(self) -> None:
        self.related: str | None = None

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_rss(self, entry: Any) -> Any:
        return entry

    def extend_atom(self, entry: Any) -> Any:
        if self.related:
            etree.SubElement(entry, "link", href=self.related, rel="related", type="text/html")
        return entry


def _generator(feed: Feed) -> FeedGenerator:
    generator = FeedGenerator()
    generator.load_extension("dc", atom=False, rss=True)
    hub_url = xml_safe(feed.hub_url) if feed.hub_url else None
    generator.register_extension(
        "linkdir", lambda: _FeedLinks(hub_url), _EntryLinks, atom=True, rss=True
    )
    generator.id(xml_safe(feed.id))
    generator.title(xml_safe(feed.title))
    generator.subtitle(xml_safe(feed.subtitle) or xml_safe(feed.title))
    generator.author({"name": feed.site_name})
    generator.link(href=xml_safe(feed.self_url), rel="self")
    # Last, because feedgen makes the last link it is given RSS's <link>.
    generator.link(href=xml_safe(feed.page_url), rel="alternate", type="text/html")
    generator.language(feed.language)
    generator.generator("linkdir")
    # feedgen stamps "now" unless told otherwise; readers then think everything changed.
    generator.updated(feed.updated)
    generator.lastBuildDate(feed.updated)
    for item in feed.items:
        entry = generator.add_entry(order="append")
        entry.id(xml_safe(item.id))
        entry.title(xml_safe(item.title) or item.id)
        entry.link(href=xml_safe(item.link), rel="alternate")
        if item.related:
            entry.linkdir.related = xml_safe(item.related)
        summary = xml_safe(item.summary)
        if summary:
            entry.summary(summary)
        if item.author and xml_safe(item.author).strip():
            entry.author({"name": xml_safe(item.author)})
            entry.dc.dc_creator(xml_safe(item.author))
        for category in item.categories:
            entry.category(
                term=xml_safe(category.term),
                label=xml_safe(category.label),
                scheme=xml_safe(category.scheme),
            )
        entry.published(item.published)
        entry.updated(item.updated)
    return generator


def atom(feed: Feed) -> bytes:
    """The feed as an Atom 1.0 document (RFC 4287)."""
    body: bytes = _generator(feed).atom_str(pretty=False)
    return body


def rss(feed: Feed) -> bytes:
    """The feed as an RSS 2.0 document (with atom:link self and hub)."""
    body: bytes = _generator(feed).rss_str(pretty=False)
    return body
