"""What the checkout pages need around their views: language (Flask-Babel, ``?lang=``), the signed
session cookie, template helpers, the 29-digit RptId route converter and the security headers."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from flask import Flask, Response, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel
from werkzeug.routing import BaseConverter

from simulator.domain.codes import Nav
from simulator.web import pages_i18n, pages_session, pages_text
from simulator.web.errors import surface

LANGUAGES = ("it", "en")
DEFAULT_LANGUAGE = "it"

# No inline script or style anywhere; forms post only to the sandbox itself. The return URLs are
# plain links (navigations), which form-action does not govern. Only the sandbox itself may frame a
# page (the dashboard's presenter view shows the citizen's page beside the flow); every other site is
# refused, so clickjacking stays impossible.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; font-src 'self';"
    " form-action 'self'; frame-src 'self'; frame-ancestors 'self'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "SAMEORIGIN",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


class PagesSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, marked ``Secure`` whenever the page was served over HTTPS (directly,
    or behind a trusted proxy that says so): a browser then never sends it over plain HTTP."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure or super().get_cookie_secure(app)


class RptIdConverter(BaseConverter):
    """``/{rptId}``: exactly 29 digits, so no other one-segment path is taken for a deep link."""

    regex = "[0-9]{29}"


def page_language() -> str:
    lang = session.get("lang")
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def remember_language() -> None:
    """``?lang=en`` (or ``it``) sets the language of this page and of the pages that follow."""
    wanted = request.args.get("lang")
    if wanted in LANGUAGES:
        session["lang"] = wanted


def lang_url(lang: str) -> str:
    """This page's address with ``lang`` switched (a plain link: no JavaScript needed). The path is
    made to stay on this site whatever was asked for (``/\\evil.example`` or ``//evil.example``
    would otherwise be a link to another host): one leading slash, the rest percent-encoded."""
    args = {k: v for k, v in request.args.items() if k != "lang"}
    args["lang"] = lang
    path = "/" + quote(request.path.lstrip("/\\"), safe="/")
    return f"{path}?{urlencode(args)}"


def grouped(nav: str) -> str:
    return Nav(nav).grouped() if len(nav) == 18 else nav


def init_app(app: Flask) -> None:
    sandbox = app.extensions["sandbox"]
    pages_i18n.ensure_compiled()
    app.secret_key = app.secret_key or sandbox.settings.resolved_secret_key()
    app.config.update(
        SESSION_COOKIE_NAME="sandbox_checkout",
        SESSION_COOKIE_SAMESITE="Lax",  # a cross-site form post arrives without it: nothing to act on
        SESSION_COOKIE_HTTPONLY=True,
    )
    app.session_interface = PagesSessionInterface()
    Babel(app, locale_selector=page_language, default_locale=DEFAULT_LANGUAGE)
    app.url_map.converters["rptid"] = RptIdConverter
    app.jinja_env.filters["euro"] = pages_text.euro  # in the page's language
    app.jinja_env.filters["grouped"] = grouped
    app.jinja_env.globals["csrf_token"] = pages_session.csrf_token  # also inside imported macros
    app.jinja_env.autoescape = True  # every template, whatever its extension: user data is escaped

    @app.context_processor
    def _page_context() -> dict[str, Any]:
        return {"page_lang": page_language(), "lang_url": lang_url}

    @app.before_request
    def _language() -> None:
        if surface() == "pages":
            remember_language()

    @app.after_request
    def _headers(response: Response) -> Response:
        return with_page_headers(response) if surface() == "pages" else response


def with_page_headers(response: Response) -> Response:
    """The pages' security headers (also on their error pages and static files, and on a page
    served under an API's path, the redirect hop); an HTML page is never cached."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"  # the back button asks the server again
    return response
