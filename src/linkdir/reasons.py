"""Every reason code a check, a drift comparison or a curator can give, in words.

People never see the codes (``soft_404``, ``dns``): the report, the resource history,
the private feed, the digests and the CSV's label column all read them through
:func:`reason_label`. The codes themselves stay in JSON and in their own CSV column.
A test fails on a code the engine can give that has no label here.
"""

from __future__ import annotations

import re

from linkdir.errors import N_
from linkdir.i18n import gettext

REASON_LABELS: dict[str, str] = {
    # -- working, or moved (engine)
    "ok": N_("Works"),
    "temporary_redirect": N_("Works, through a temporary redirect"),
    "not_modified": N_("Works (unchanged since the last check)"),
    "moved_permanently": N_("The address has moved permanently"),
    "moved_other_site": N_("Moved permanently to another website"),
    # -- broken (engine)
    "http_404": N_("The page does not exist (HTTP 404)"),
    "http_410": N_("The page has been removed (HTTP 410)"),
    "soft_404": N_("The site answers with an error page (soft 404)"),
    "home_redirect": N_("Sent to a front page instead of the resource"),
    "search_redirect": N_("Sent to the site's search instead of the resource"),
    "same_page_everywhere": N_("The site shows the same page for every address"),
    "parked": N_("The domain is parked or for sale"),
    "empty_response": N_("The page is empty"),
    "redirect_loop": N_("The address redirects in a loop"),
    "too_many_redirects": N_("Too many redirects"),
    "redirect_without_location": N_("A redirect without a destination"),
    "unsupported_scheme": N_("Redirected to an address that is not a web page"),
    "dns": N_("The domain does not exist (DNS)"),
    "refused": N_("The server refuses connections"),
    "reset": N_("The connection was broken off"),
    "unreachable": N_("The server cannot be reached"),
    "tls": N_("The site's security certificate is not valid"),
    "timeout": N_("The site does not answer in time"),
    "protocol_error": N_("The server's answer is not valid HTTP"),
    "blocked_address": N_("The address points into a private network"),
    "invalid_url": N_("Not a valid web address"),
    "error": N_("An unexpected error"),
    # -- unverified (engine)
    "bot_wall": N_("The site blocks automatic checks"),
    "login_required": N_("The page requires signing in"),
    "rate_limited": N_("The site asked us to slow down"),
    "client_rendered": N_("The page is built by JavaScript: a robot cannot tell"),
    "maintenance": N_("The site is down for maintenance"),
    # -- reference rot (drift comparison)
    "content_replaced": N_("The page now shows other content"),
}

# Why a page a curator asked for (a title lookup, a links page to import) could not be
# fetched, as a sentence: the fetch's failure codes (``FetchError.reason``).
FETCH_FAILURES: dict[str, str] = {
    "blocked_address": N_(
        "The address points into a private or local network, which linkdir does not fetch."
    ),
    "dns": N_("The host name does not exist (DNS)."),
    "refused": N_("The server refused the connection."),
    "reset": N_("The server broke off the connection."),
    "unreachable": N_("The server cannot be reached."),
    "timeout": N_("The server did not answer in time."),
    "tls": N_("The server's certificate is not valid."),
    "too_many_redirects": N_("The address redirects too many times."),
    "unsupported_scheme": N_("The address redirects to something that is not a web page."),
    "protocol_error": N_("The server's answer is not valid HTTP."),
    "invalid_url": N_("Enter a full address starting with https:// or http://."),
}

_HTTP = re.compile(r"^http_(\d{3})$")


def reason_label(code: str | None) -> str:
    """The reader's words for a reason code ("" for none; the code itself if unknown)."""
    if not code:
        return ""
    if code in REASON_LABELS:
        return gettext(REASON_LABELS[code])
    match = _HTTP.match(code)
    if match:
        status = int(match.group(1))
        if status >= 500:
            return gettext(N_("Server error at the site (HTTP {status})")).format(status=status)
        return gettext(N_("The site refused the request (HTTP {status})")).format(status=status)
    return code


def has_label(code: str) -> bool:
    """Whether :func:`reason_label` has words for ``code`` (a test walks every code)."""
    return code in REASON_LABELS or _HTTP.match(code) is not None
