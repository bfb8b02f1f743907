"""The payer's journey through checkout, as state: which cart or notices, the email, the method
and card (brand and last 4 digits only), the PSP and fee, the attempt, and how it ended. The pages
keep it in their session; a headless run keeps it for the length of one request. ``missing`` says
which step a page needs done first, in flow order."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import Enum, IntEnum
from typing import Any

from simulator.domain.cart import Ending, ReturnUrls, return_url

ORIGIN_CART = "cart"
ORIGIN_NOTICE = "notice"
CARD = "CP"


@dataclass(slots=True)
class NoticeView:
    """A notice as the payer sees it (from the cart or from verify)."""

    fiscal_code: str
    notice_number: str
    amount: int
    company_name: str
    description: str


@dataclass(slots=True)
class CardView:
    """What is kept of a card: brand, last 4 digits, holder, expiry, and what paying with it does."""

    brand: str
    last4: str
    holder: str
    expiry: str
    outcome: int
    challenge: bool


@dataclass(slots=True)
class CheckoutState:
    origin: str
    notices: list[NoticeView]
    cart_id: str | None = None
    return_urls: dict[str, str | None] | None = None
    email: str | None = None
    method: str | None = None
    card: CardView | None = None
    psp_id: str | None = None
    fee: int | None = None
    attempt_id: str | None = None
    outcome: int | None = None
    ending: str | None = None  # an ``Ending`` value once the journey is over
    email_confirmed: bool = False  # typed twice by the payer (a cart's emailNotice only fills it in)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def amount(self) -> int:
        return sum(n.amount for n in self.notices)

    @property
    def total(self) -> int:
        return self.amount + (self.fee or 0)

    @property
    def finished(self) -> bool:
        return self.ending is not None

    @property
    def uses_card(self) -> bool:
        return self.method == CARD

    def exit_url(self, ending: Ending | None = None) -> str:
        """Where a terminal page's button leads: the cart's return URL for how the journey ended
        (or for ``ending``), exactly as the EC gave it; the start page for a notice entered here."""
        ending = ending or (Ending(self.ending) if self.ending else None)
        if self.return_urls is None or ending is None:
            return "/"
        urls = ReturnUrls(
            ok=self.return_urls["ok"] or "",
            cancel=self.return_urls["cancel"] or "",
            error=self.return_urls["error"] or "",
            waiting=self.return_urls.get("waiting"),
        )
        return return_url(urls, ending, self.outcome)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckoutState:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["notices"] = [NoticeView(**n) for n in values.get("notices", [])]
        if values.get("card") is not None:
            values["card"] = CardView(**values["card"])
        return cls(**values)


class Need(IntEnum):
    """What a page needs done before it, in flow order."""

    NOTHING = 0
    EMAIL = 1
    CARD_METHOD = 2  # the card page: the method chosen is CP
    ATTEMPT = 3  # the notices are activated and a method (and card) chosen
    PSP = 4
    CHALLENGE = 5  # "Paga" pressed with a card that asks for 3DS


class Step(Enum):
    """The steps of the journey a page can send the payer back to."""

    EMAIL = "email"
    METHOD = "method"
    CARD = "card"
    PSP = "psp"
    SUMMARY = "summary"


def missing(state: CheckoutState, need: Need) -> Step | None:
    """The first step not yet done that ``need`` requires; None when all are."""
    if need >= Need.EMAIL and not (state.email and state.email_confirmed):
        return Step.EMAIL
    if need >= Need.CARD_METHOD and state.method is None:
        return Step.METHOD
    if need == Need.CARD_METHOD and state.method != CARD:
        return Step.METHOD
    if need >= Need.ATTEMPT and state.uses_card and state.card is None:
        return Step.CARD
    if need >= Need.ATTEMPT and state.attempt_id is None:
        return Step.METHOD
    if need >= Need.PSP and state.psp_id is None:
        return Step.PSP
    if need >= Need.CHALLENGE and not (state.card and state.extra.get("challenge")):
        return Step.SUMMARY
    return None
