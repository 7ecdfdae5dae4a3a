"""The one URL rule for everything a person or a file can store (issue 20).

Resources (API, forms, imports), accepted redirects, imported link health, suggestions and
archive snapshots all pass :func:`public_http_url`. It parses once, maps the host the way
browsers and resolvers do *before* judging it (Unicode digits and dots by NFKC/UTS 46,
IPv4 numbers such as ``127.1``, ``0x7f.0.0.1``, ``0177.0.0.1``, ``2130706433``), and then
refuses non-public addresses with :func:`linkdir.checker.netguard.is_public`, the same
function the checker dials through, so a spelling the checker would refuse is never stored.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, quote, unquote, urlsplit, urlunsplit

import idna

from linkdir.errors import N_, FieldError

if TYPE_CHECKING:
    from linkdir.checker.netguard import IPAddress

MAX_URL_LENGTH = 2048
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Names that never point at a public web site.
_PRIVATE_SUFFIXES = (
    ".localhost",
    ".local",
    ".internal",
    ".intranet",
    ".lan",
    ".home",
    ".corp",
    ".invalid",
    ".test",
    ".example",
    ".onion",
)
_PRIVATE_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"
_SAFE_QUERY = _SAFE_PATH + "?"
_PLAIN_HOST = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
)
_NUMBER = re.compile(r"^(?:0[xX][0-9a-fA-F]*|[0-9]+)$")


class InvalidUrl(ValueError):
    """The address breaks the URL rule; ``error`` says which field and why (translatable)."""

    def __init__(self, error: FieldError) -> None:
        super().__init__(error.message % error.params)
        self.error = error


def _ipv4_part(text: str) -> int | None:
    if text[:2].lower() == "0x":
        return int(text[2:] or "0", 16)
    if len(text) > 1 and text.startswith("0"):
        return int(text, 8) if all(c in "01234567" for c in text) else None
    return int(text)


def parse_ipv4_number(host: str) -> ipaddress.IPv4Address | None:
    """``host`` read as browsers and ``inet_aton`` read IPv4 numbers, or None for a name.

    ``127.1``, ``0x7f.0.0.1``, ``0177.0.0.1``, ``127.000.000.001`` and ``2130706433`` are
    all 127.0.0.1. Raises ValueError when the host ends in a number but is no address
    (``1.2.3.4.5``, ``256.0.0.1``): browsers refuse such a URL, and so do we.
    """
    labels = host.split(".")
    if labels and labels[-1] == "":
        labels.pop()
    if not labels or not _NUMBER.match(labels[-1]):
        return None
    if len(labels) > 4 or not all(_NUMBER.match(label) for label in labels):
        raise ValueError(host)
    numbers = [_ipv4_part(label) for label in labels]
    if any(n is None for n in numbers):
        raise ValueError(host)
    parts = [n for n in numbers if n is not None]
    if any(n > 255 for n in parts[:-1]) or parts[-1] >= 256 ** (5 - len(parts)):
        raise ValueError(host)
    value = parts[-1]
    for index, number in enumerate(parts[:-1]):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _mapped_host(raw: str) -> str:
    """The host as a browser maps it: percent-decoded, NFKC, UTS 46 (dots, digits, case)."""
    text = unquote(raw)
    if text.isascii():  # the common case; NFKC and UTS 46 only lower-case ASCII
        return text.lower()
    text = unicodedata.normalize("NFKC", text)
    # Ideographic and fullwidth full stops are label separators in IDNA.
    text = re.sub("[\u3002\uff0e\uff61]", ".", text)
    try:
        return idna.uts46_remap(text, std3_rules=False, transitional=False)
    except idna.IDNAError:
        return text.lower()


# A host name (with a dot) or an IPv4 address, an optional port, then a path, query or
# fragment: what people type or paste without the scheme ("www.kb.se/bibliotek", "kb.se").
_BARE_ADDRESS = re.compile(
    r"^(?://)?[^\s/?#@:\\]+\.[^\s/?#@:\\]+(?::\d{1,5})?(?:[/?#].*)?$", re.DOTALL
)


def completed_url(raw: str) -> str:
    """``raw`` with ``https://`` added when it is a bare address (issue 16), else unchanged.

    ``www.kb.se/bibliotek`` and ``kb.se`` become ``https://…``; anything with a scheme
    (``http:``, ``javascript:``), an ``@`` before the path, or no dot in the host is left
    for :func:`public_http_url` to judge.
    """
    if not isinstance(raw, str):
        return raw
    text = _CONTROL.sub("", raw).strip()
    if not _BARE_ADDRESS.match(text):
        return raw
    return "https://" + text.removeprefix("//")


def public_http_url(
    raw: str, *, field: str = "url", allow_networks: Iterable[str] = (), complete: bool = False
) -> str:
    """A canonical absolute http(s) URL on a public host, or :class:`InvalidUrl`.

    With ``complete``, a bare address gets ``https://`` first (:func:`completed_url`).

    Lower-case scheme and host, IDN to punycode, IPv4 numbers in dotted decimal, default
    port and empty query dropped, non-ASCII path and query percent-encoded. Refuses other
    schemes, credentials and hosts that cannot be public (unless in ``allow_networks``).
    Other engineers call this for suggestions and archive snapshots: one rule everywhere.
    """
    if not isinstance(raw, str):
        raise InvalidUrl(FieldError(field, N_("Enter an address (URL).")))
    if complete:
        raw = completed_url(raw)
    text = _CONTROL.sub("", raw).strip()
    if not text:
        raise InvalidUrl(FieldError(field, N_("Enter an address (URL).")))
    if len(text) > MAX_URL_LENGTH:
        raise InvalidUrl(
            FieldError(
                field,
                N_("The address is too long (at most %(max)d characters)."),
                {"max": MAX_URL_LENGTH},
            )
        )
    scheme_match = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):", text)
    if not scheme_match:
        raise InvalidUrl(
            FieldError(field, N_("Enter a full address starting with https:// or http://."))
        )
    scheme = scheme_match.group(1).lower()
    if scheme not in {"http", "https"}:
        raise InvalidUrl(
            FieldError(
                field,
                N_("Only http and https addresses can be listed, not %(scheme)s:."),
                {"scheme": scheme[:20]},
            )
        )
    # Browsers read a backslash as a slash in http(s) URLs; so must we, or
    # "http://evil\\@127.0.0.1" means one host to us and another to the visitor.
    text = text.replace("\\", "/")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidUrl(
            FieldError(field, N_("The address is not valid: check the host and port."))
        ) from None
    if _carries_credentials(parts):
        raise InvalidUrl(
            FieldError(field, N_("Addresses with a user name or password cannot be listed."))
        )
    raw_host = parts.hostname or ""
    if not raw_host.rstrip("."):
        raise InvalidUrl(FieldError(field, N_("The address has no host name.")))
    # netguard imported here, not with the models: it brings aiohttp, which a process
    # that only records checks does not need (issue 18).
    from linkdir.checker.netguard import parse_networks

    host = _vet_host(raw_host, field, parse_networks(tuple(allow_networks)))
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and not (
        (scheme == "http" and port == 80) or (scheme == "https" and port == 443)
    ):
        netloc = f"{netloc}:{port}"
    path = quote(parts.path, safe=_SAFE_PATH) or "/"
    query = quote(parts.query, safe=_SAFE_QUERY)
    fragment = quote(parts.fragment, safe=_SAFE_QUERY)
    result: str = urlunsplit((scheme, netloc, path, query, fragment))
    if len(result) > MAX_URL_LENGTH:
        raise InvalidUrl(
            FieldError(
                field,
                N_("The address is too long (at most %(max)d characters)."),
                {"max": MAX_URL_LENGTH},
            )
        )
    return result


# The name resources and imports have always called; the same rule.
normalise_url = public_http_url


def _carries_credentials(parts: SplitResult) -> bool:
    return parts.username is not None or parts.password is not None or "@" in parts.netloc


def carries_credentials(url: str) -> bool:
    """Whether ``url`` holds a user name or password (``https://user:pw@host/``), which
    no fetch may send on: such an address is refused, never asked."""
    try:
        return _carries_credentials(urlsplit(url.strip().replace("\\", "/")))
    except ValueError:
        return False


def _refuse_private(field: str) -> InvalidUrl:
    return InvalidUrl(FieldError(field, N_("The address points into a private or local network.")))


def _vet_host(
    host: str, field: str, allowed: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
) -> str:
    from linkdir.checker.netguard import is_allowed

    address: IPAddress | None
    if ":" in host:  # only an IPv6 literal (in brackets) has a colon in its host
        try:
            address = ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise _invalid_host(field, host) from None
    else:
        mapped = _mapped_host(host).rstrip(".")
        try:
            address = parse_ipv4_number(mapped)
        except ValueError:
            raise _invalid_host(field, host) from None
        if address is None:
            return _vet_name(mapped, host, field)
    if is_allowed(address, allowed):
        return address.compressed
    raise _refuse_private(field)


def _invalid_host(field: str, host: str) -> InvalidUrl:
    return InvalidUrl(
        FieldError(field, N_("The host name %(host)s is not valid."), {"host": host[:255]})
    )


def _vet_name(mapped: str, host: str, field: str) -> str:
    if _PLAIN_HOST.match(mapped) and "xn--" not in mapped:
        ascii_host = mapped  # letters, digits and hyphens: what IDNA would give back
    else:
        try:
            ascii_host = idna.encode(mapped, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            raise _invalid_host(field, host) from None
    if (
        "." not in ascii_host
        or ascii_host.endswith(_PRIVATE_SUFFIXES)
        or ascii_host in _PRIVATE_NAMES
    ):
        raise InvalidUrl(
            FieldError(
                field,
                N_("The host name %(host)s is not a public web address."),
                {"host": host[:255]},
            )
        )
    return ascii_host


def host_of(url: str) -> str:
    """The host part of a normalised URL (used to group checks by host)."""
    return urlsplit(url).hostname or ""
