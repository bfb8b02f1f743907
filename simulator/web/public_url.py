"""The sandbox's own absolute URLs (a cart's ``Location``, its ``checkoutRedirectUrl``, the
redirect hop's target): built on ``PAGOPA_SANDBOX_PUBLIC_URL`` when it is set, else on the
request's ``Host`` header, which must then be a plain ``host[:port]`` — anything else would let a
caller plant another site in a URL the sandbox hands back."""

from __future__ import annotations

import ipaddress
import re

from flask import request

from simulator.domain.errors import InvalidInput
from simulator.web.pipeline import sandbox

_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
_NAME = rf"{_LABEL}(?:\.{_LABEL})*\.?"  # a DNS name or an IPv4 address
_HOST = re.compile(rf"(?:{_NAME}|\[(?P<ip6>[0-9A-Fa-f:.]+)\])(?::(?P<port>\d{{1,5}}))?")


def check_host(host: str) -> str:
    """``host[:port]`` as the Host header may carry it: a DNS name or IPv4, or an IPv6 literal in
    brackets, and a port from 1 to 65535; anything else is ``InvalidInput``."""
    match = _HOST.fullmatch(host) if len(host) <= 255 else None
    if match is None or not _ipv6(match["ip6"]) or not 1 <= int(match["port"] or 80) <= 65535:
        raise InvalidInput("Host", "must be a host name or address with an optional port")
    return host


def _ipv6(literal: str | None) -> bool:
    """No literal, or a valid IPv6 address."""
    if literal is None:
        return True
    try:
        ipaddress.IPv6Address(literal)
    except ValueError:
        return False
    return True


def public_base() -> str:
    """Where the sandbox's APIs are reached from outside: the configured public URL, else the
    request's scheme and (checked) Host."""
    configured = sandbox().settings.public_url
    if configured:
        return configured.rstrip("/")
    return f"{request.scheme}://{check_host(request.headers.get('Host', ''))}"


def checkout_base() -> str:
    """Where the checkout pages are reached: the configured checkout URL, else the public base."""
    return (sandbox().settings.checkout_url or public_base()).rstrip("/")
