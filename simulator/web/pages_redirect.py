"""The gateway's redirect hop as a page: production answers a bare meta refresh; the sandbox's has
the pages' frame (test banner, styles), says where it leads and links there for a browser that does
not follow the refresh. It still leaves at once (a refresh after 0 seconds)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from flask import Response, render_template
from flask_babel import gettext as _

from simulator.web.pages_setup import remember_language, with_page_headers


def cart_page_url(checkout_base: str, cart_id: str, client_id: str) -> str:
    """The cart's first page, its id and the client id encoded (they come from the request)."""
    return f"{checkout_base}/c/{quote(cart_id, safe='')}?{urlencode({'clientId': client_id})}"


def redirect_page(target: str) -> Response:
    remember_language()  # its language link works like any page's
    html = render_template("pages/redirect.html", heading=_("Ti stiamo portando al pagamento"), target=target)
    return with_page_headers(Response(html, status=200, mimetype="text/html"))
