"""Normalising and vetting the URLs curators enter (DESIGN §2, issue 2 §8)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import quote, urlsplit, urlunsplit

import idna

from linkdir.errors import N_, FieldError

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
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"
_SAFE_QUERY = _SAFE_PATH + "?"


def _networks(allow_networks: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(n, strict=False) for n in allow_networks]


def _address_is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def normalise_url(raw: str, *, field: str = "url", allow_networks: Iterable[str] = ()) -> str:
    """A canonical absolute http(s) URL, or FieldError raised as ValueError's cousin.

    Lower-case scheme and host, IDN to punycode, default port and empty query dropped,
    non-ASCII path and query percent-encoded. Refuses other schemes, credentials and hosts
    that cannot be public (unless they fall in ``allow_networks``).
    """
    text = _CONTROL.sub("", raw or "").strip()
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
                {"scheme": scheme},
            )
        )
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidUrl(
            FieldError(field, N_("The address is not valid: check the host and port."))
        ) from None
    if parts.username is not None or parts.password is not None:
        raise InvalidUrl(
            FieldError(field, N_("Addresses with a user name or password cannot be listed."))
        )
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InvalidUrl(FieldError(field, N_("The address has no host name.")))
    host = _vet_host(host, field, _networks(allow_networks))
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


def _vet_host(
    host: str, field: str, allowed: list[ipaddress.IPv4Network | ipaddress.IPv6Network]
) -> str:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        if _address_is_public(address) or any(address in net for net in allowed):
            return address.compressed
        raise InvalidUrl(
            FieldError(field, N_("The address points into a private or local network."))
        )
    try:
        ascii_host = idna.encode(host.lower(), uts46=True).decode("ascii")
    except idna.IDNAError:
        raise InvalidUrl(
            FieldError(field, N_("The host name %(host)s is not valid."), {"host": host})
        ) from None
    if (
        "." not in ascii_host
        or ascii_host.endswith(_PRIVATE_SUFFIXES)
        or ascii_host in {"localhost"}
    ):
        raise InvalidUrl(
            FieldError(
                field,
                N_("The host name %(host)s is not a public web address."),
                {"host": host},
            )
        )
    return ascii_host


class InvalidUrl(ValueError):
    def __init__(self, error: FieldError) -> None:
        super().__init__(error.message % error.params)
        self.error = error


def host_of(url: str) -> str:
    """The host part of a normalised URL (used to group checks by host)."""
    return urlsplit(url).hostname or ""
