"""Validation errors that name the field and say why, in the reader's language."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "translate later"
    """Mark a message for extraction; it is translated when shown."""
    return message


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str  # an English msgid, translated when rendered
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    def render(self, gettext: Any) -> str:
        text: str = gettext(self.message)
        return text % self.params if self.params else text


class ValidationFailed(Exception):
    """One or more fields are invalid; nothing was written."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message % e.params}" for e in errors))
        self.errors = errors


class NotFound(Exception):
    """The thing asked for does not exist (or is not visible to the asker)."""


class Conflict(Exception):
    """A write would duplicate something that must be unique."""

    def __init__(self, error: FieldError, existing_id: int | None = None) -> None:
        super().__init__(error.message % error.params)
        self.error = error
        self.existing_id = existing_id
