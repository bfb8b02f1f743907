"""Helpers for the dashboard's tests: a browser-like client (cookies, forms with their CSRF token)
on the dashboard, and carts made through the real cart API in a chosen tenant."""

from __future__ import annotations

from flask import Flask

from simulator.testing.pages_client import FlaskTransport, Page, PagesClient
from tests.conftest import ApiClient
from tests.functional.control_factories import new_cart, notice, synthetic_nav


def dashboard(app: Flask, tenant: str = "default") -> tuple[PagesClient, Page]:
    """A browser on the dashboard, looking at ``tenant`` (switched with ``?tenant=``)."""
    browser = PagesClient(FlaskTransport(app.test_client()))
    page = browser.get(f"/_sandbox/?tenant={tenant}")
    assert page.status == 200, page.html[:500]
    return browser, page


def cart_in(app: Flask, tenant: str, n: int = 1, **over: object) -> str:
    """A cart of a synthetic notice made through the cart API in ``tenant``; its id."""
    api = ApiClient(app.test_client(), tenant=tenant)
    return new_cart(api, notice(synthetic_nav(n)), **over)  # type: ignore[arg-type]


def rows(page: Page) -> list[str]:
    """The cart ids the dashboard's table lists, in order."""
    return [e.attrs["data-cart"] for e in page.all if e.tag == "tr" and "data-cart" in e.attrs]
