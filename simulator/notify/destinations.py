"""Whether a notification may go where it is addressed: never to the sandbox itself, and only
inside the allow list when one is set. Asked twice: when an endpoint is registered (its URL as
spelled, and the address the request reached the sandbox at; no name is resolved) and, by the
transport, on every new connection, against the address actually connected to, so a name that
resolves elsewhere by then (a DNS trick) is caught before a byte of the request is sent.

"This machine" is told by the network stack: an address is local when a socket can be bound to
it (loopback, the unspecified address and every address of the machine's interfaces)."""

from __future__ import annotations

import socket
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from simulator.config import Settings
from simulator.domain.notify_destination import AllowList, Endpoint, IPAddress, endpoint_of, ip_of

__all__ = ["ALLOW_SETTING", "DestinationGuard", "guard_for"]

ALLOW_SETTING = "PAGOPA_SANDBOX_NOTIFY_ALLOW"


@dataclass(frozen=True, slots=True)
class DestinationGuard:
    """``own``: where the sandbox listens (its configured host and port, its public URL's)."""

    allow: AllowList
    own: tuple[Endpoint, ...]

    def refusal(self, url: str, reached_at: Iterable[str] = ()) -> str | None:
        """Why ``url`` may not be notified, judged from its spelling (None: it may, as far as can
        be told before resolving it). ``reached_at``: base URLs the current request reached the
        sandbox at (its Host), which are the sandbox too."""
        target = endpoint_of(url)
        if target is None:
            return "must be an absolute http(s) URL"
        own = [*self.own, *(e for e in map(endpoint_of, reached_at) if e is not None)]
        if any(target.port == mine.port and _same_host(target, mine) for mine in own):
            return f"{target} is the sandbox itself"
        if not self.allow.may_admit(target):
            return f"{target} is not in {ALLOW_SETTING}"
        return None

    def peer_refusal(self, host: str, address: IPAddress, port: int) -> str | None:
        """Why the connection to ``host``, established to ``address``:``port``, may not carry a
        notification (None: it may)."""
        where = f"{host}:{port}" if ip_of(host) == address else f"{host}:{port} resolves to {address}, which"
        for mine in self.own:
            if port == mine.port and _is_own_address(address, mine.host):
                return f"{where} is the sandbox itself"
        if not (self.allow.admits_name(host) or self.allow.admits_address(address)):
            return f"{where} is not in {ALLOW_SETTING}"
        return None


@lru_cache(maxsize=8)
def guard_for(settings: Settings) -> DestinationGuard:
    own = [Endpoint(settings.host.strip("[]").lower(), settings.port)]
    if settings.public_url and (public := endpoint_of(settings.public_url)) is not None:
        own.append(public)
    return DestinationGuard(AllowList.of(settings.notify_allow), tuple(own))


def _same_host(target: Endpoint, mine: Endpoint) -> bool:
    """Whether two spellings name one host without asking a resolver: equal, or both this machine."""
    return target.host == mine.host or (_local_spelling(target) and _local_spelling(mine))


def _local_spelling(endpoint: Endpoint) -> bool:
    ip = endpoint.ip
    return endpoint.local_by_name or (ip is not None and _is_local(ip))


def _is_own_address(address: IPAddress, own_host: str) -> bool:
    """Whether the sandbox listening on ``own_host`` can be reached at ``address``: any address of
    this machine when it listens on one of them (or on all), else the addresses its name has."""
    if _is_local(address) and any(_is_local(ip) for ip in _addresses(own_host)):
        return True
    return address in _addresses(own_host)


def _addresses(host: str) -> tuple[IPAddress, ...]:
    ip = ip_of(host)
    if ip is not None:
        return (ip,)
    if Endpoint(host, 0).local_by_name:
        return (ip_of("127.0.0.1"),)  # type: ignore[return-value]
    return _resolve(host)


@lru_cache(maxsize=16)
def _resolve(host: str) -> tuple[IPAddress, ...]:
    """The sandbox's own configured names (its host, its public URL's): resolved once."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return ()
    found = (ip_of(str(info[4][0])) for info in infos)
    return tuple(dict.fromkeys(ip for ip in found if ip is not None))


def _is_local(ip: IPAddress) -> bool:
    """An address of this machine: one a socket can be bound to."""
    if ip.is_loopback or ip.is_unspecified:
        return True
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.bind((str(ip), 0))
    except OSError:
        return False
    return True
