"""A creditor's own station (the technology partner's SOAP endpoint the node calls): where it is,
who it is on the node (broker and station ids), which primitives' version it speaks, where modello 1
citizens return, and its password. Pure: validation here, storage in the organization's settings.

Version 1 speaks ``paGetPayment`` / ``paSendRT``; version 2 ``paGetPaymentV2`` / ``paSendRTV2``
(both verify with ``paVerifyPaymentNotice``), as the node's station configuration says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simulator.domain.ec_settings import check_http_url
from simulator.domain.errors import InvalidInput

__all__ = ["STATION_ID", "Station"]

# stText35 in paForNode.xsd; the node's ids are conventionally <broker fiscal code>_<nn>.
STATION_ID = re.compile(r"[^\s<>&]{1,35}")
_PASSWORD = re.compile(r"\S{8,15}")  # stPassword: 8 to 15 characters


@dataclass(frozen=True, slots=True)
class Station:
    url: str
    id_broker_pa: str
    id_station: str
    version: int = 2
    redirect_url: str | None = None
    password: str | None = None

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any] | None) -> Station | None:
        if not stored:
            return None
        return cls(
            url=stored["url"],
            id_broker_pa=stored["idBrokerPA"],
            id_station=stored["idStation"],
            version=int(stored.get("version", 2)),
            redirect_url=stored.get("redirectUrl"),
            password=stored.get("password"),
        )

    def stored(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "idBrokerPA": self.id_broker_pa,
            "idStation": self.id_station,
            "version": self.version,
            "redirectUrl": self.redirect_url,
            "password": self.password,
        }

    def check(self) -> Station:
        """Every field valid, or InvalidInput naming it. Whether the URL is the sandbox itself is
        the destination guard's to say (services.destination_check), as for notifications."""
        check_http_url(self.url, "station.url")
        for name, value in (
            ("station.idBrokerPA", self.id_broker_pa),
            ("station.idStation", self.id_station),
        ):
            if not STATION_ID.fullmatch(value):
                raise InvalidInput(name, "must be 1 to 35 characters, no spaces")
        if self.version not in (1, 2):
            raise InvalidInput("station.version", "must be 1 or 2")
        if self.redirect_url is not None:
            check_http_url(self.redirect_url, "station.redirectUrl")
        if self.password is not None and not _PASSWORD.fullmatch(self.password):
            raise InvalidInput("station.password", "must be 8 to 15 characters, no spaces")
        return self

    @property
    def operations(self) -> tuple[str, str]:
        """(activation, receipt) operation names of this station's version."""
        return ("paGetPayment", "paSendRT") if self.version == 1 else ("paGetPaymentV2", "paSendRTV2")
