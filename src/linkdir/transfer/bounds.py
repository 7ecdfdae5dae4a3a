"""What an import may restore: link health under the URL rule, numbers and dates in range.

A JSON export (or the preview form's hidden ``extra`` field, which anyone can edit) carries
link health that the public page shows as links: ``archive_url`` becomes "Read the
archived copy". None of it is trusted: every address passes the one URL rule, every number
and date must fit the database's columns, or the row is rejected with its line (issue 20).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from linkdir.errors import N_
from linkdir.resources.models import LinkStatus
from linkdir.transfer.drafts import Draft, Problem
from linkdir.urls import InvalidUrl, public_http_url

LINK_URLS = ("final_url", "moved_to", "archive_url")
LINK_DATETIMES = ("status_since", "last_checked_at")
# The years every database and Python agree on once a time is in UTC.
MIN_YEAR, MAX_YEAR = 1900, 9999
_REASON = re.compile(r"^[a-z0-9_]{1,64}$")


def in_range(value: datetime) -> datetime | None:
    """``value`` in UTC when the database can store it, else None."""
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    return utc if MIN_YEAR <= utc.year <= MAX_YEAR else None


def _date_problem(draft: Draft, name: str) -> Problem:
    return Problem(
        draft.line,
        name,
        N_("The date is out of range: use a year between %(min)d and %(max)d."),
        {"min": MIN_YEAR, "max": MAX_YEAR},
        url=draft.url,
    )


def vet_draft(draft: Draft, *, allow_networks: Iterable[str] = ()) -> list[Problem]:
    """Problems with what ``draft`` restores; good values are cleaned in place.

    Bad values stay as they are, so a preview that round-trips them through its hidden
    field shows the same error again instead of importing the row without them.
    """
    problems: list[Problem] = []
    if draft.added is not None:
        added = in_range(draft.added)
        if added is None:
            problems.append(_date_problem(draft, "created_at"))
        else:
            draft.added = added
    for name in ("updated_at", "published_at"):
        value = draft.restore.get(name)
        if isinstance(value, datetime):
            kept = in_range(value)
            if kept is None:
                problems.append(_date_problem(draft, name))
            else:
                draft.restore[name] = kept
    link = draft.restore.get("link")
    if link is None:
        return problems
    if not isinstance(link, dict):
        return problems
    cleaned: dict[str, Any] = dict(link)
    status = link.get("status")
    if status is not None:
        if status in {s.value for s in LinkStatus}:
            cleaned["status"] = status
        else:
            problems.append(
                Problem(
                    draft.line,
                    "link.status",
                    N_("Choose one of: %(choices)s."),
                    {"choices": ", ".join(s.value for s in LinkStatus)},
                    url=draft.url,
                )
            )
    for name in LINK_DATETIMES:
        value = link.get(name)
        if isinstance(value, datetime):
            kept = in_range(value)
            if kept is None:
                problems.append(_date_problem(draft, f"link.{name}"))
            else:
                cleaned[name] = kept
    http_status = link.get("http_status")
    if http_status is not None:
        if type(http_status) is int and 100 <= http_status <= 599:
            cleaned["http_status"] = http_status
        else:
            problems.append(
                Problem(
                    draft.line,
                    "link.http_status",
                    N_("An HTTP status is a whole number from 100 to 599."),
                    url=draft.url,
                )
            )
    for name in LINK_URLS:
        value = link.get(name)
        if value in (None, ""):
            continue
        try:
            cleaned[name] = public_http_url(
                value, field=f"link.{name}", allow_networks=allow_networks
            )
        except InvalidUrl as refused:
            problems.append(Problem.of(draft.line, refused.error, draft.url))
    reason = link.get("reason")
    if isinstance(reason, str) and _REASON.match(reason):
        cleaned["reason"] = reason
    elif reason not in (None, ""):
        problems.append(
            Problem(draft.line, "link.reason", N_("This value is not valid."), url=draft.url)
        )
    modified_on = link.get("modified_on")
    if isinstance(modified_on, str) and modified_on:
        try:
            cleaned["modified_on"] = date.fromisoformat(modified_on).isoformat()
        except ValueError:
            problems.append(
                Problem(
                    draft.line,
                    "link.modified_on",
                    N_("Enter a date as YYYY-MM-DD, e.g. 2027-06-30."),
                    url=draft.url,
                )
            )
    draft.restore["link"] = cleaned
    return problems
