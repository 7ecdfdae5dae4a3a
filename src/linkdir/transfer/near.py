"""Near-duplicates: an address or title that is probably a resource the directory has.

The exact address is a duplicate (``review`` skips it); these are the spellings a curator
would call the same link (issue 16: two "Digidelnätverket" entries went public): http or
https, ``www.`` or not, a trailing slash or ``index.html``, tracking parameters such as
``utm_*``, or the same title on the same host. They are shown, never refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from linkdir.resources.models import Resource
from linkdir.transfer.drafts import fold

# Query parameters that say where a visitor came from, not which page it is.
TRACKING = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ref_src",
    }
)
_INDEX_PAGES = ("index.html", "index.htm", "index.php", "index.asp", "default.aspx", "default.asp")
_LOOKUP_CHUNK = 400


def bare_host(host: str) -> str:
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def near_key(url: str) -> str:
    """``url`` without the parts that do not change which page it is."""
    parts = urlsplit(url.strip())
    path = parts.path
    for index in _INDEX_PAGES:
        if path.lower().endswith("/" + index):
            path = path[: -len(index)]
            break
    path = path.rstrip("/")
    query = sorted(
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not name.lower().startswith("utm_") and name.lower() not in TRACKING
    )
    key = f"{bare_host(parts.hostname or '')}{path}"
    return f"{key}?{urlencode(query)}" if query else key


def title_key(host: str, title: str) -> tuple[str, str] | None:
    folded = fold(title)
    return (bare_host(host), folded) if folded else None


@dataclass(frozen=True, slots=True)
class Known:
    id: int
    title: str
    url: str
    same_title: bool  # matched by title on the same host, not by address


async def find_near(
    session: AsyncSession, candidates: Sequence[tuple[str, str]]
) -> list[Known | None]:
    """For each ``(url, title)``, a resource in the directory it probably duplicates.

    One query per few hundred hosts (the resources on those hosts, ``www.`` or not),
    compared in Python; an exact address match is left to ``review``.
    """
    hosts: set[str] = set()
    for url, _title in candidates:
        host = bare_host(urlsplit(url).hostname or "")
        if host:
            hosts.update({host, f"www.{host}"})
    by_address: dict[str, Known] = {}
    by_title: dict[tuple[str, str], Known] = {}
    ordered = sorted(hosts)
    for start in range(0, len(ordered), _LOOKUP_CHUNK):
        found = await session.execute(
            select(col(Resource.id), col(Resource.url), col(Resource.title), col(Resource.host))
            .where(col(Resource.host).in_(ordered[start : start + _LOOKUP_CHUNK]))
            .order_by(col(Resource.id))
        )
        for id_, url, title, host in found:
            if id_ is None:
                continue
            by_address.setdefault(near_key(url), Known(id_, title, url, same_title=False))
            key = title_key(host, title)
            if key is not None:
                by_title.setdefault(key, Known(id_, title, url, same_title=True))
    answers: list[Known | None] = []
    for url, title in candidates:
        match = by_address.get(near_key(url))
        if match is None:
            key = title_key(urlsplit(url).hostname or "", title)
            match = by_title.get(key) if key else None
        answers.append(match if match is not None and match.url != url else None)
    return answers
