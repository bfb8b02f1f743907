"""Endpoints of URLs and the allow list, as values (no resolver asked)."""

from __future__ import annotations

import ipaddress

import pytest

from simulator.domain.notify_destination import AllowList, Endpoint, endpoint_of, parse_allow_entry


@pytest.mark.parametrize(
    ("url", "endpoint"),
    [
        ("https://EC.example./hook", Endpoint("ec.example", 443)),
        ("http://ec.example/hook", Endpoint("ec.example", 80)),
        ("http://[::1]:8080/x", Endpoint("::1", 8080)),
        ("http://127.0.0.1:3000", Endpoint("127.0.0.1", 3000)),
        ("ftp://ec.example/", None),
        ("http:///nohost", None),
        ("http://[::1", None),
    ],
)
def test_the_endpoint_of_a_url(url: str, endpoint: Endpoint | None) -> None:
    assert endpoint_of(url) == endpoint


@pytest.mark.parametrize(
    "host", ["localhost", "api.localhost", "127.0.0.9", "::1", "0.0.0.0", "::ffff:127.0.0.1"]
)
def test_this_machine_by_its_spelling(host: str) -> None:
    assert Endpoint(host, 80).local_by_name


@pytest.mark.parametrize("host", ["ec.example", "10.0.0.1", "localhost.ec.example", "2001:db8::1"])
def test_other_hosts_are_not_this_machine_by_spelling(host: str) -> None:
    assert not Endpoint(host, 80).local_by_name


def test_an_allow_list_of_networks_and_names() -> None:
    allow = AllowList.of(["10.0.0.0/8", "EC.example.", "192.168.1.7"])

    assert allow.admits_name("ec.example") and not allow.admits_name("other.example")
    assert allow.admits_address(ipaddress.ip_address("10.2.3.4"))
    assert allow.admits_address(ipaddress.ip_address("192.168.1.7"))
    assert not allow.admits_address(ipaddress.ip_address("192.168.1.8"))
    assert AllowList().everything and not allow.everything


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "http://ec.example", "ec example", "", "a..b"])
def test_a_bad_allow_list_entry_is_refused(entry: str) -> None:
    with pytest.raises(ValueError):
        parse_allow_entry(entry)
