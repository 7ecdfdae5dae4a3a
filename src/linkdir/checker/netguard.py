"""SSRF guard: resolve a name once, vet every address, and connect only to vetted ones.

The checker fetches addresses that strangers typed in, so without this guard it would be a
proxy into the machine's own networks (cloud metadata at 169.254.169.254, databases on
10.x, admin pages on 127.0.0.1). The guard refuses loopback, private, link-local,
multicast, reserved, unspecified and other non-global addresses, and IPv6 forms that wrap
such an IPv4 address (mapped, 6to4, NAT64), unless ``allow_networks`` opens them. It is
applied after DNS resolution and on every redirect hop, and aiohttp's connector receives
its addresses from :class:`GuardedResolver`, so the address that was vetted is the address
that is dialled: there is no second lookup that a rebinding DNS server could answer
differently.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Protocol

from aiohttp.abc import AbstractResolver, ResolveResult

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class NameResolutionError(OSError):
    """The name does not resolve (NXDOMAIN, no addresses, resolver failure)."""

    def __init__(self, host: str, detail: str) -> None:
        super().__init__(f"cannot resolve {host}: {detail}")
        self.host = host
        self.detail = detail


class BlockedAddressError(OSError):
    """Every address of the host is one the checker must not reach."""

    def __init__(self, host: str, addresses: Sequence[str]) -> None:
        shown = ", ".join(addresses[:4])
        super().__init__(f"{host} resolves only to non-public addresses ({shown})")
        self.host = host
        self.addresses = tuple(addresses)


class Resolver(Protocol):
    """Turns a host name into IP address strings; raises NameResolutionError if it cannot."""

    async def resolve(self, host: str, port: int) -> list[str]: ...


class SystemResolver:
    """The operating system's resolver (getaddrinfo), used unless one is injected."""

    async def resolve(self, host: str, port: int) -> list[str]:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(
                host, port, type=socket.SOCK_STREAM, flags=socket.AI_ADDRCONFIG
            )
        except (socket.gaierror, UnicodeError) as error:
            raise NameResolutionError(host, str(error)) from error
        addresses: list[str] = []
        for _family, _type, _proto, _name, sockaddr in infos:
            address = str(sockaddr[0])
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise NameResolutionError(host, "no addresses")
        return addresses


class StaticResolver:
    """Resolves names from a fixed table; unknown names fail like NXDOMAIN.

    Tests and the benchmark farm use it to give names such as ``parked.test`` loopback
    addresses without touching /etc/hosts.
    """

    def __init__(self, table: Mapping[str, str | Sequence[str]]) -> None:
        self._table = {
            name.lower().rstrip("."): [value] if isinstance(value, str) else list(value)
            for name, value in table.items()
        }

    def add(self, name: str, *addresses: str) -> None:
        self._table[name.lower().rstrip(".")] = list(addresses)

    async def resolve(self, host: str, port: int) -> list[str]:
        addresses = self._table.get(host.lower().rstrip("."))
        if not addresses:
            raise NameResolutionError(host, "name not known")
        return list(addresses)


def parse_networks(cidrs: Sequence[str]) -> tuple[IPNetwork, ...]:
    """CIDR strings (``127.0.0.0/8``) as networks; a bare address is a /32 or /128."""
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs if cidr)


def parse_ip(text: str) -> IPAddress | None:
    """``text`` as an IP address (brackets and IPv6 zone stripped), or None for a name."""
    candidate = text.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(candidate)
    except ValueError:
        return None


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (IPv4-mapped, 6to4, NAT64), else None."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """True for an address on the public internet, false for anything the guard refuses."""
    embedded = embedded_ipv4(address)
    if embedded is not None:
        # IPv4 wrapped in IPv6 is a classic way around filters that only look at IPv4:
        # ::ffff:127.0.0.1, 2002:7f00:1:: and 64:ff9b::7f00:1 all reach the inner address.
        return is_public(embedded)
    if isinstance(address, ipaddress.IPv6Address) and address.teredo:
        return False
    return not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
        or not address.is_global
    )


def is_allowed(address: IPAddress, allowed: Sequence[IPNetwork]) -> bool:
    """Whether ``address`` (or the IPv4 it embeds) is public or in one of ``allowed``."""
    candidates = [address]
    embedded = embedded_ipv4(address)
    if embedded is not None:
        candidates.append(embedded)
    if any(c.version == net.version and c in net for c in candidates for net in allowed):
        return True
    return is_public(address)


class AddressGuard:
    """Resolves and vets host names, caching vetted answers for a short while."""

    def __init__(
        self,
        resolver: Resolver | None = None,
        allow_networks: Sequence[str] = (),
        *,
        ttl: float = 60.0,
        max_entries: int = 4096,
    ) -> None:
        self._resolver: Resolver = resolver or SystemResolver()
        self._allowed = parse_networks(allow_networks)
        self._ttl = ttl
        self._max_entries = max_entries
        self._cache: OrderedDict[str, tuple[float, list[str]]] = OrderedDict()
        self._inflight: dict[str, asyncio.Future[list[str]]] = {}
        self._literals: dict[str, str] = {}  # host -> "ok" | "no" | "name"

    def allows(self, address: IPAddress) -> bool:
        """Whether the checker may connect to ``address``."""
        return is_allowed(address, self._allowed)

    def vet_literal(self, host: str) -> bool:
        """For a host that is an IP literal: raise if refused; return False for a name."""
        verdict = self._literals.get(host)
        if verdict is None:
            address = parse_ip(host)
            verdict = "name" if address is None else "ok" if self.allows(address) else "no"
            if len(self._literals) >= self._max_entries:
                self._literals.clear()
            self._literals[host] = verdict
        if verdict == "no":
            raise BlockedAddressError(host, [host])
        return verdict == "ok"

    async def resolve(self, host: str, port: int) -> list[str]:
        """Vetted addresses of ``host``; raises NameResolutionError or BlockedAddressError."""
        key = host.lower().rstrip(".")
        if parse_ip(key) is not None:
            self.vet_literal(key)
            return [key.strip("[]")]
        cached = self._cache.get(key)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            self._cache.move_to_end(key)
            return list(cached[1])
        pending = self._inflight.get(key)
        if pending is not None:
            return list(await asyncio.shield(pending))
        future: asyncio.Future[list[str]] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            addresses = await self._lookup(key, port)
        except BaseException as error:
            if not future.done():
                future.set_exception(error)
                future.exception()  # retrieved here: waiters re-raise it themselves
            raise
        else:
            future.set_result(addresses)
            self._cache[key] = (now + self._ttl, addresses)
            self._cache.move_to_end(key)
            while len(self._cache) > self._max_entries:
                self._cache.popitem(last=False)
            return list(addresses)
        finally:
            self._inflight.pop(key, None)

    async def _lookup(self, host: str, port: int) -> list[str]:
        found = await self._resolver.resolve(host, port)
        vetted: list[str] = []
        refused: list[str] = []
        for text in found:
            address = parse_ip(text)
            if address is None:
                continue
            (vetted if self.allows(address) else refused).append(str(address))
        if not vetted:
            if refused:
                raise BlockedAddressError(host, refused)
            raise NameResolutionError(host, "no usable addresses")
        # A name with both public and private addresses is only ever dialled on the public
        # ones: dropping the rest is what keeps a mixed answer from reaching inside.
        return vetted


class GuardedResolver(AbstractResolver):
    """aiohttp resolver that returns only addresses the guard vetted."""

    def __init__(self, guard: AddressGuard) -> None:
        self._guard = guard

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results: list[ResolveResult] = []
        for text in await self._guard.resolve(host, port):
            address = ipaddress.ip_address(text)
            address_family = socket.AF_INET if address.version == 4 else socket.AF_INET6
            if family not in (socket.AF_UNSPEC, address_family):
                continue
            results.append(
                {
                    "hostname": host,
                    "host": text,
                    "port": port,
                    "family": address_family,
                    "proto": 0,
                    "flags": socket.AI_NUMERICHOST,
                }
            )
        if not results:
            raise NameResolutionError(host, "no address of the wanted family")
        return results

    async def close(self) -> None:
        return None
