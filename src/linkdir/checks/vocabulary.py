"""One vocabulary for what the link monitor says: verdicts, what a row shows, report tabs.

Every page, feed and export reads its words from here (and reasons from
:mod:`linkdir.reasons`), so a status is spelled once: ``Verdict.broken.label`` in the
reader's language, ``Verdict.broken.value`` (``"broken"``) in JSON and CSV.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from linkdir.errors import N_
from linkdir.i18n import gettext
from linkdir.reasons import reason_label


class Verdict(StrEnum):
    """What a link is, as a person reads it (the stored link statuses plus *suspect*).

    ``suspect``: the last check failed but the failure is not confirmed yet; the link is
    rechecked sooner and only becomes ``broken`` after ``LINKDIR_CONFIRM_CHECKS`` failing
    checks spanning ``LINKDIR_CONFIRM_SPAN`` (or a curator's "confirm now").
    """

    unchecked = "unchecked"
    ok = "ok"
    moved = "moved"
    suspect = "suspect"
    broken = "broken"
    unverified = "unverified"

    @property
    def label(self) -> str:
        """The reader's words for this status."""
        return gettext(_VERDICT_LABELS[self])

    @property
    def description(self) -> str:
        """One sentence on what the status means for a curator."""
        return gettext(_VERDICT_DESCRIPTIONS[self])


_VERDICT_LABELS = {
    Verdict.unchecked: N_("Not checked yet"),
    Verdict.ok: N_("Works"),
    Verdict.moved: N_("Moved"),
    Verdict.suspect: N_("Suspect"),
    Verdict.broken: N_("Broken"),
    Verdict.unverified: N_("Could not be verified"),
}
_VERDICT_DESCRIPTIONS = {
    Verdict.unchecked: N_("The link has not been checked yet."),
    Verdict.ok: N_("The link works."),
    Verdict.moved: N_("The link works, but the address has changed for good."),
    Verdict.suspect: N_(
        "The last check failed. The link is checked again soon before it counts as broken."
    ),
    Verdict.broken: N_("The link has failed several checks over time: it is broken."),
    Verdict.unverified: N_("A robot cannot tell whether the link works: a person may look."),
}


# The same words inside a sentence ("Status: works → broken").
_VERDICT_IN_SENTENCE = {
    Verdict.unchecked: N_("not checked yet"),
    Verdict.ok: N_("works"),
    Verdict.moved: N_("moved"),
    Verdict.suspect: N_("suspect"),
    Verdict.broken: N_("broken"),
    Verdict.unverified: N_("could not be verified"),
}


def verdict_in_sentence(value: str) -> str:
    """A status's words in lower case, for the middle of a sentence."""
    try:
        return gettext(_VERDICT_IN_SENTENCE[Verdict(value)])
    except ValueError:
        return value


def shown_status(link_status: str, consecutive_failures: int) -> Verdict:
    """The status a row shows: never *works* beside failing checks (they make it *suspect*)."""
    if consecutive_failures > 0 and link_status != Verdict.broken.value:
        return Verdict.suspect
    try:
        return Verdict(link_status)
    except ValueError:
        return Verdict.unchecked


def status_of(resource: Any) -> Verdict:
    """:func:`shown_status` of a resource."""
    return shown_status(resource.link_status, resource.consecutive_failures)


class Tab(StrEnum):
    """The link report's tabs, which are also ``status=`` of ``/api/v1/reports/links``."""

    broken = "broken"
    suspect = "suspect"
    moved = "moved"
    unverified = "unverified"
    reported = "reported"
    review_due = "review_due"
    stale = "stale"

    @property
    def label(self) -> str:
        """The tab's name in the reader's language."""
        return gettext(_TAB_LABELS[self])

    @property
    def empty(self) -> str:
        """What the tab says when nothing is in it."""
        return gettext(_TAB_EMPTY[self])


_TAB_LABELS = {
    Tab.broken: N_("Broken"),
    Tab.suspect: N_("Suspect"),
    Tab.moved: N_("Moved"),
    Tab.unverified: N_("Unverified"),
    Tab.reported: N_("Reported by visitors"),
    Tab.review_due: N_("Review due"),
    Tab.stale: N_("Stale"),
}
_TAB_EMPTY = {
    Tab.suspect: N_("No suspect links: no link has failed a check that is not yet confirmed."),
    Tab.broken: N_("No confirmed broken links."),
    Tab.moved: N_("No moved links."),
    Tab.unverified: N_("No links that a robot could not verify."),
    Tab.reported: N_("No open reports from visitors."),
    Tab.review_due: N_("No resources are due for review."),
    Tab.stale: N_("No pages that have not been updated for a long time."),
}

TABS: tuple[str, ...] = tuple(tab.value for tab in Tab)


def verdict_label(value: str | None) -> str:
    """Words for a stored or shown status ("" for none; the value itself if unknown)."""
    if not value:
        return ""
    try:
        return Verdict(value).label
    except ValueError:
        return value


_WAYBACK_YEAR = re.compile(r"/web/(\d{4})\d*")


def archive_year(archive_url: str | None) -> str:
    """The year of a Wayback snapshot from its address (``/web/2018…/``), or ""."""
    match = _WAYBACK_YEAR.search(archive_url or "")
    return match.group(1) if match else ""


def shown_status_of(resource: Any) -> str:
    """The value of :func:`status_of` (for templates)."""
    return status_of(resource).value


FILTERS = {
    "verdict_label": verdict_label,
    "reason_label": reason_label,
    "archive_year": archive_year,
    "shown_status": shown_status_of,
}
