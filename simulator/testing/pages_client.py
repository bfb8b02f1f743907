"""Drive the checkout pages as a browser without JavaScript would: read the HTML, follow links,
post the pages' own forms (CSRF token included), follow redirects until a page or a return URL.

Works over any transport: the Flask test client in tests, ``requests`` against a running sandbox
(``RequestsTransport``), so a headless ``pay`` command can reuse it. Standard library parsing only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, ClassVar, Protocol
from urllib.parse import urljoin, urlsplit

MAX_REDIRECTS = 20


# --- transports ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RawResponse:
    status: int
    headers: Mapping[str, str]
    body: str


class Transport(Protocol):
    base_url: str

    def send(self, method: str, path: str, data: Mapping[str, str] | None = None) -> RawResponse: ...


class FlaskTransport:
    """The Flask test client (it keeps the session cookie between calls)."""

    def __init__(
        self, client: Any, headers: Mapping[str, str] | None = None, base_url: str = "http://localhost"
    ):
        self.client = client
        self.headers = dict(headers or {})
        self.base_url = base_url

    def send(self, method: str, path: str, data: Mapping[str, str] | None = None) -> RawResponse:
        response = self.client.open(path, method=method, data=dict(data or {}), headers=self.headers)
        return RawResponse(response.status_code, dict(response.headers), response.get_data(as_text=True))


class RequestsTransport:
    """A running sandbox over HTTP (``requests.Session`` keeps the cookie)."""

    def __init__(self, base_url: str, headers: Mapping[str, str] | None = None, timeout: float = 30.0):
        import requests

        self.session = requests.Session()
        self.session.headers.update(dict(headers or {}))
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def send(self, method: str, path: str, data: Mapping[str, str] | None = None) -> RawResponse:
        response = self.session.request(
            method,
            urljoin(self.base_url + "/", path.lstrip("/")),
            data=data,
            allow_redirects=False,
            timeout=self.timeout,
        )
        return RawResponse(response.status_code, dict(response.headers), response.text)


# --- reading a page ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Form:
    id: str | None
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)  # inputs with a name (hidden ones included)
    buttons: dict[str, tuple[str, str]] = field(default_factory=dict)  # button id -> (name, value)


@dataclass(slots=True)
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""


class _Parser(HTMLParser):
    VOID: ClassVar[frozenset[str]] = frozenset(
        {"input", "meta", "link", "img", "br", "hr", "source", "area", "base", "col", "embed", "wbr"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.h1: list[str] = []
        self.forms: list[Form] = []
        self.elements: dict[str, Element] = {}
        self.all: list[Element] = []
        self.text: list[str] = []
        self._open: list[Element] = []
        self._form: Form | None = None
        self._late_buttons: list[tuple[str, str, str, str]] = []  # (form id, button id, name, value)

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: (v if v is not None else "") for k, v in attrs_list}
        element = Element(tag, attrs)
        self.all.append(element)
        if "id" in attrs:
            self.elements[attrs["id"]] = element
        if tag == "form":
            self._form = Form(attrs.get("id"), attrs.get("action", ""), attrs.get("method", "get").upper())
            self.forms.append(self._form)
        elif tag == "input" and attrs.get("name"):
            target = self._owner(attrs)
            if target is not None and attrs.get("type") not in ("submit", "button"):
                target.fields[attrs["name"]] = attrs.get("value", "")
        elif tag == "button":
            self._button(attrs)
        if tag not in self.VOID:
            self._open.append(element)

    def _owner(self, attrs: dict[str, str]) -> Form | None:
        if "form" in attrs:
            return next((f for f in self.forms if f.id == attrs["form"]), None)
        return self._form

    def _button(self, attrs: dict[str, str]) -> None:
        if attrs.get("type", "submit") != "submit" or "id" not in attrs:
            return
        if "form" in attrs:  # may point at a form further down the page
            self._late_buttons.append(
                (attrs["form"], attrs["id"], attrs.get("name", ""), attrs.get("value", ""))
            )
        elif self._form is not None:
            self._form.buttons[attrs["id"]] = (attrs.get("name", ""), attrs.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i].tag == tag:
                del self._open[i:]
                break

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for element in self._open:
            element.text += data
        if self._open and self._open[-1].tag == "title":
            self.title += data

    def close(self) -> None:
        super().close()
        for form_id, button_id, name, value in self._late_buttons:
            for form in self.forms:
                if form.id == form_id:
                    form.buttons[button_id] = (name, value)
        for element in self.all:
            if element.tag == "h1":
                self.h1.append(" ".join(element.text.split()))


@dataclass(slots=True)
class Page:
    """One response: its status, where it was, and what a person would read and use on it."""

    status: int
    path: str
    html: str
    headers: Mapping[str, str]
    title: str = ""
    h1: list[str] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)
    elements: dict[str, Element] = field(default_factory=dict)
    all: list[Element] = field(default_factory=list)
    text: str = ""

    @classmethod
    def parse(cls, raw: RawResponse, path: str) -> Page:
        parser = _Parser()
        parser.feed(raw.body)
        parser.close()
        return cls(
            raw.status,
            path,
            raw.body,
            raw.headers,
            " ".join(parser.title.split()),
            parser.h1,
            parser.forms,
            parser.elements,
            parser.all,
            " ".join(" ".join(parser.text).split()),
        )

    @property
    def heading(self) -> str:
        return self.h1[0] if self.h1 else ""

    def form(self, form_id: str) -> Form:
        for form in self.forms:
            if form.id == form_id:
                return form
        raise LookupError(f"no form #{form_id} on {self.path} (forms: {[f.id for f in self.forms]})")

    def by_id(self, element_id: str) -> Element:
        try:
            return self.elements[element_id]
        except KeyError:
            raise LookupError(f"no element #{element_id} on {self.path}") from None

    def text_of(self, element_id: str) -> str:
        return " ".join(self.by_id(element_id).text.split())

    def href(self, element_id: str) -> str:
        return self.by_id(element_id).attrs["href"]

    def links(self) -> list[str]:
        return [e.attrs["href"] for e in self.all if e.tag == "a" and "href" in e.attrs]


@dataclass(slots=True)
class Left:
    """The browser left the sandbox: a link or redirect to another site (an EC's return URL)."""

    url: str


# --- the client --------------------------------------------------------------------------------------


class PagesClient:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.history: list[Page] = []

    def get(self, path: str, follow: bool = True) -> Page:
        return self._go("GET", path, None, follow)

    def post(self, path: str, data: Mapping[str, str], follow: bool = True) -> Page:
        return self._go("POST", path, data, follow)

    def submit(
        self, page: Page, form_id: str, values: Mapping[str, str] | None = None, button: str | None = None
    ) -> Page:
        """Post a form of ``page`` as shown (hidden fields and CSRF token included), with ``values``
        typed in and, for forms with several buttons, the one whose id is ``button`` pressed."""
        form = page.form(form_id)
        data = dict(form.fields)
        data.update(values or {})
        if button is not None:
            name, value = form.buttons[button]
            if name:
                data[name] = value
        action = form.action or page.path
        if form.method == "GET":
            return self.get(action)
        return self.post(action, data)

    def follow(self, page: Page, link_id: str) -> Page | Left:
        """Click a link: inside the sandbox, the next page; elsewhere, where the browser goes."""
        href = page.href(link_id)
        if self.external(href):
            return Left(href)
        return self.get(href)

    def external(self, url: str) -> bool:
        parts, base = urlsplit(url), urlsplit(self.transport.base_url)
        return bool(parts.netloc) and (parts.scheme, parts.netloc) != (base.scheme, base.netloc)

    def _go(self, method: str, path: str, data: Mapping[str, str] | None, follow: bool) -> Page:
        raw = self.transport.send(method, self._local(path), data)
        for _ in range(MAX_REDIRECTS):
            location = raw.headers.get("Location")
            if not follow or raw.status not in (301, 302, 303, 307, 308) or not location:
                break
            if self.external(location):
                break
            path = self._local(location)
            raw = self.transport.send("GET", path, None)
        page = Page.parse(raw, self._local(path))
        self.history.append(page)
        return page

    def _local(self, url: str) -> str:
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "") if parts.netloc else url


# --- a whole payment ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Card:
    number: str = "4242424242424242"
    expiry: str = "12/30"
    cvv: str = "123"
    holder: str = "Mario Rossi"


@dataclass(slots=True)
class Checkout:
    """How a scripted payment went: the pages seen, the outcome code shown, where the button led."""

    pages: list[Page]
    outcome: int | None
    exit_url: str | None

    @property
    def last(self) -> Page:
        return self.pages[-1]


def pay(
    client: PagesClient,
    start: str,
    *,
    email: str = "mario.rossi@example.com",
    method: str = "CP",
    card: Card | None = None,
    psp: str | None = None,
    otp: str | None = None,
    cancel: bool = False,
) -> Checkout:
    """Pay from ``start`` (``/c/{cartId}``, a deep link, ...) to the outcome page, by the forms.

    ``cancel`` presses Annulla on the summary and confirms. ``otp`` answers a 3DS challenge
    (the sandbox's code by default). Stops early on any page that is not the next step.
    """
    from simulator.domain.test_cards import CHALLENGE_CODE

    seen: list[Page] = []

    def done(page: Page) -> Checkout:
        seen.append(page)
        outcome = page.elements.get("outcome")
        code = int(outcome.attrs["data-outcome"]) if outcome is not None else None
        exit_link = page.elements.get("exit")
        return Checkout(seen, code, exit_link.attrs.get("href") if exit_link is not None else None)

    page = client.get(start)
    if page.path.startswith("/dati-pagamento"):
        seen.append(page)
        page = client.get(page.href("continue"))
    if not page.path.startswith("/inserisci-email"):
        return done(page)
    seen.append(page)
    page = client.submit(page, "email-form", {"email": email, "confirmEmail": email})
    if not page.path.startswith("/scegli-metodo"):
        return done(page)
    seen.append(page)
    page = client.submit(page, "method-form", button=f"method-{method}")
    if page.path.startswith("/inserisci-carta"):
        seen.append(page)
        card = card or Card()
        page = client.submit(
            page,
            "card-form",
            {"number": card.number, "expirationDate": card.expiry, "cvv": card.cvv, "name": card.holder},
        )
    if not page.path.startswith("/lista-psp"):
        return done(page)
    seen.append(page)
    buttons = page.form("psp-form").buttons
    page = client.submit(page, "psp-form", button=f"psp-{psp}" if psp else next(iter(buttons)))
    if not page.path.startswith("/riepilogo-pagamento"):
        return done(page)
    seen.append(page)
    if cancel:
        confirm = client.get(page.href("cancel"))
        seen.append(confirm)
        return done(client.submit(confirm, "cancel-form"))
    page = client.submit(page, "pay-form")
    if page.path.startswith("/verifica-3ds"):
        seen.append(page)
        page = client.submit(page, "otp-form", {"otp": otp if otp is not None else CHALLENGE_CODE})
    return done(page)
