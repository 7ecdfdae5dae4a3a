"""Words for stored values (states, statuses, actions, fields), in the reader's language."""

from __future__ import annotations

from typing import Any

from linkdir.errors import N_
from linkdir.i18n import gettext, language_name

STATES = {"draft": N_("Draft"), "published": N_("Published"), "retired": N_("Retired")}
STATUSES = {
    "unchecked": N_("Not checked yet"),
    "ok": N_("Works"),
    "moved": N_("Moved"),
    "broken": N_("Broken"),
    "unverified": N_("Could not be verified"),
}
ACTIONS = {
    "create": N_("Added"),
    "update": N_("Changed"),
    "publish": N_("Published"),
    "unpublish": N_("Unpublished"),
    "retire": N_("Retired"),
    "delete": N_("Deleted"),
    "fix": N_("Fixed"),
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
    return _label(STATUSES, value)


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


def language_pair(code: str) -> tuple[str, str]:
    return code, language_name(code)


def type_pair(code: str) -> tuple[str, str]:
    return code, type_label(code)


FILTERS = {
    "state_label": state_label,
    "status_label": status_label,
    "action_label": action_label,
    "field_label": field_label,
    "type_label": type_label,
    "show_value": show_value,
    "language_pair": language_pair,
    "type_pair": type_pair,
}
