"""Words for stored values (states, statuses, actions, fields), in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from linkdir.errors import N_
from linkdir.i18n import gettext, language_name

STATES = {"draft": N_("Draft"), "published": N_("Published"), "retired": N_("Retired")}
ACTIONS = {
    "create": N_("Added"),
    "update": N_("Changed"),
    "publish": N_("Published"),
    "unpublish": N_("Unpublished"),
    "retire": N_("Retired"),
    "delete": N_("Deleted"),
    "fix": N_("Fixed"),
    "undo": N_("Undone"),
    "restore": N_("Restored"),
    # Written by the link checker (linkdir.checks.service.record_check).
    "link_broken": N_("The link broke"),
    "link_moved": N_("The link moved"),
    "link_recovered": N_("The link works again"),
    "link_stale": N_("The page has not been updated for a long time"),
}
FIELDS = {
    "url": N_("Address (URL)"),
    "title": N_("Title"),
    "description": N_("Description"),
    "language": N_("Language"),
    "resource_type": N_("Type"),
    "publisher": N_("Publisher"),
    "state": N_("State"),
    "review_by": N_("Review by"),
    "topics": N_("Topics"),
    "tags": N_("Tags"),
    # Link health and fixes.
    "link_status": N_("Link status"),
    "http_status": N_("HTTP status"),
    "reason": N_("Reason"),
    "moved_to": N_("New address"),
    "final_url": N_("Ends at"),
    "modified_on": N_("Page last updated"),
    "archive_url": N_("Archived copy"),
    "fix": N_("Fix"),
    "visitor_reports": N_("Open reports from visitors"),
}
TYPES = {
    "report": N_("Report"),
    "course": N_("Course"),
    "guide": N_("Guide"),
    "tool": N_("Tool"),
    "organisation": N_("Organisation"),
    "network": N_("Network"),
    "project": N_("Project"),
    "other": N_("Other"),
}


def _label(table: dict[str, str], value: str) -> str:
    return gettext(table[value]) if value in table else value


def state_label(value: str) -> str:
    return _label(STATES, value)


def status_label(value: str) -> str:
    from linkdir.checks.vocabulary import verdict_label

    return verdict_label(value)


def check_label(value: str) -> str:
    """A check's result in words ("Failed"): a run counts checks, and a failed check is
    not yet a broken link (that is :func:`status_label`'s "Broken")."""
    from linkdir.checks.charts import CHECK_LABELS

    return _label(CHECK_LABELS, value)


def action_label(value: str) -> str:
    return _label(ACTIONS, value)


def field_label(value: str) -> str:
    return _label(FIELDS, value)


def type_label(value: str) -> str:
    return _label(TYPES, value)


def show_value(value: Any) -> str:
    """A revision's old or new value as text ("—" for nothing)."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if value in STATES:
        return state_label(value)
    return str(value)


def show_change(value: Any, field: str, topic_names: Mapping[str, str] | None = None) -> str:
    """One side of a revision's change to ``field``, in words (no codes); ``topic_names``
    (slug → name in the reader's language) names the topics a change lists by slug."""
    if value is None or value == "" or value == []:
        return "—"
    if field == "topics" and topic_names is not None:
        slugs = value if isinstance(value, list) else str(value).split(", ")
        return ", ".join(topic_names.get(str(slug), str(slug)) for slug in slugs)
    if field == "link_status":
        return status_label(str(value))
    if field == "reason":
        from linkdir.reasons import reason_label

        return reason_label(str(value))
    if field == "fix":
        from linkdir.checks.fixes import FIXES

        fix = FIXES.get(str(value))
        return fix.label if fix else str(value)
    if field == "resource_type":
        return type_label(str(value))
    if field == "language":
        return language_name(str(value))
    return show_value(value)


def language_pair(code: str) -> tuple[str, str]:
    return code, language_name(code)


def type_pair(code: str) -> tuple[str, str]:
    return code, type_label(code)


FILTERS = {
    "state_label": state_label,
    "status_label": status_label,
    "check_label": check_label,
    "action_label": action_label,
    "field_label": field_label,
    "type_label": type_label,
    "show_value": show_value,
    "show_change": show_change,
    "language_pair": language_pair,
    "type_pair": type_pair,
}
