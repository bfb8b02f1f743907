"""Refusing, when it is registered, a notification endpoint the sandbox will never call: a
webhook's ``url``, an EC's ``notificationUrl``, a cart's ``sandbox.notifyUrl``. What can be told
from the URL and the request is told here (its scheme, the sandbox's own address and port, the
allow list); what a name resolves to is judged again by the transport at delivery time."""

from __future__ import annotations

from simulator.config import Settings
from simulator.domain.ec_settings import check_http_url
from simulator.domain.errors import InvalidInput
from simulator.notify.destinations import guard_for

__all__ = ["check_notify_url"]


def check_notify_url(settings: Settings, url: str, field: str, reached_at: str | None = None) -> str:
    """``url``, or InvalidInput naming ``field``. ``reached_at``: the base URL the request came
    in at (``http://host:port/``), which is the sandbox as well as its configured address."""
    check_http_url(url, field)
    refusal = guard_for(settings).refusal(url, () if reached_at is None else (reached_at,))
    if refusal is not None:
        raise InvalidInput(field, refusal)
    return url
