"""Where a notification goes, as values: the endpoint (host and port) of a URL, the allow list of
``PAGOPA_SANDBOX_NOTIFY_ALLOW`` (networks and host names), and whether a host names this machine
by its spelling alone. Pure: resolving names and asking the network stack is the transport's."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = ["AllowList", "Endpoint", "IPAddress", "endpoint_of", "ip_of", "parse_allow_entry"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_PORTS = {"http": 80, "https": 443}
# RFC 6761: "localhost" and every name below it are this machine, whatever a resolver says.
LOCAL_NAMES = re.compile(r"^(?:.+\.)?localhost$")
HOST_NAME = re.compile(r"^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*$")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A host (lower case, no brackets, no trailing dot) and a port."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def ip(self) -> IPAddress | None:
        return ip_of(self.host)

    @property
    def local_by_name(self) -> bool:
        """``localhost`` (or a name below it), a loopback or the unspecified address: this machine
        whatever the network says (``0.0.0.0`` is where a wildcard listener is reached)."""
        ip = self.ip
        if ip is None:
            return LOCAL_NAMES.match(self.host) is not None
        return ip.is_loopback or ip.is_unspecified


def endpoint_of(url: str) -> Endpoint | None:
    """The endpoint an http(s) URL names; None for another scheme or a URL without a host."""
    try:
        parts = urlsplit(url)
        scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError:
        return None
    if scheme not in DEFAULT_PORTS or not host:
        return None
    return Endpoint(_normal_host(host), port or DEFAULT_PORTS[scheme])


def ip_of(host: str) -> IPAddress | None:
    """The address a host spells, IPv4-mapped IPv6 as IPv4; None for a name."""
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _normal_host(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()


def parse_allow_entry(text: str) -> str:
    """One allow-list entry, normalized: a network (``10.0.0.0/8``, ``::1/128``, a bare address)
    or a host name (``ec.example``). ValueError for anything else."""
    entry = text.strip().lower()
    if "/" in entry or ip_of(entry) is not None:
        try:
            return str(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{text.strip()!r} is not a network like 10.0.0.0/8") from None
    name = entry.rstrip(".")
    if not HOST_NAME.match(name):
        raise ValueError(f"{text.strip()!r} is neither a network like 10.0.0.0/8 nor a host name")
    return name


@dataclass(frozen=True, slots=True)
class AllowList:
    """Empty: every destination (but the sandbox itself). Otherwise a destination is allowed when
    its host is one of ``names`` or the address it is reached at lies in one of ``networks``."""

    networks: tuple[IPNetwork, ...] = ()
    names: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, entries: Iterable[str]) -> AllowList:
        networks: list[IPNetwork] = []
        names: set[str] = set()
        for entry in map(parse_allow_entry, entries):
            if ip_of(entry.split("/", 1)[0]) is not None:
                networks.append(ipaddress.ip_network(entry))
            else:
                names.add(entry)
        return cls(tuple(networks), frozenset(names))

    @property
    def everything(self) -> bool:
        return not self.networks and not self.names

    def admits_name(self, host: str) -> bool:
        return self.everything or _normal_host(host) in self.names

    def admits_address(self, ip: IPAddress) -> bool:
        return self.everything or any(ip in network for network in self.networks)

    def may_admit(self, endpoint: Endpoint) -> bool:
        """What can be told before resolving: an address spelled out is in a network, a name is
        listed, or a name is not listed but may resolve into a network (known only at delivery)."""
        ip = endpoint.ip
        if ip is not None:
            return self.admits_address(ip)
        return self.admits_name(endpoint.host) or bool(self.networks)
