"""The domain's error tree. Each error says what went wrong in pagoPA's own words; HTTP status
codes, ProblemJson and page messages are chosen in one place, ``simulator.web.errors``.

    DomainError
     ├── InvalidInput             a request field is malformed (field + message)
     │    ├── InvalidCode          a NAV, IUV, RptId, QR payload or fiscal code is malformed
     │    └── UnreadableNumber     a JSON number out of a Java long's range (the reader refuses it)
     ├── TenantError              the X-Sandbox-Tenant value is not a valid tenant name
     ├── SandboxNotFound          a sandbox resource (webhook, delivery) the tenant does not have
     ├── DebtPositionError        a GPD rule refused the operation (carries a GpdReason)
     ├── CheckoutError            Checkout refused a cart (carries a CheckoutReason)
     ├── PaymentAttemptError      a payment attempt cannot do that now (carries an AttemptReason)
     └── PaymentFault             verify/activate failed: faultCodeCategory + the node/EC fault code
"""

from __future__ import annotations

from enum import Enum

from simulator.domain.fault_codes import FaultCategory


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    """A field of a request is malformed; ``field`` names it in wire terms."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


class InvalidCode(InvalidInput):
    """A pagoPA code (NAV, IUV, RptId, QR payload, fiscal code) is malformed."""


class UnreadableNumber(InvalidInput):
    """A JSON number the upstream services' reader cannot hold in a Java long: they refuse the
    body before any validation, with the reader's own words (``parser_message``)."""

    def __init__(self, field: str, value: int) -> None:
        super().__init__(field, "must be a whole number within a 64-bit integer's range")
        self.parser_message = (
            f"JSON parse error: Numeric value ({value}) out of range of long ({-(2**63)} - {2**63 - 1})"
        )


class TenantError(DomainError):
    """The tenant name is not valid."""


class SandboxNotFound(DomainError):
    """A resource of the sandbox's own API (a webhook subscription, a delivery) that the calling
    tenant does not have."""

    def __init__(self, what: str, ident: str) -> None:
        super().__init__(f"No {what} has the id {ident[:100]!r}")
        self.what = what


class GpdReason(Enum):
    """GPD's own error kinds: (title, detail template), worded as the GPD service words them."""

    REQUEST_DATA_ERROR = ("Error in the debt position request data", "{detail}")
    UNIQUE_VIOLATION = (
        "The debt position violated constraints of uniqueness",
        "Already exists a debt position for the Organization Fiscal Code {org} or one of its payment"
        " options is not unique",
    )
    NOT_FOUND = (
        "Not found the debt position",
        "Not found a debt position for Organization Fiscal Code {org} and IUPD {iupd}",
    )
    PAYMENT_FOUND = (
        "Existing related payment found",
        "A payment transaction has already been carried out on the debt position with Organization"
        " Fiscal Code {org} and IUPD {iupd}",
    )
    NOT_UPDATABLE = (
        "Existing related payment found or not in updatable state",
        "A payment transaction has already been carried out or, the debt position with Organization"
        " Fiscal Code {org} and IUPD {iupd}, is not in updatable state",
    )
    NOT_PUBLISHABLE = (
        "Existing related payment found or not in publishable state",
        "A payment transaction has already been carried out or, the debt position with Organization"
        " Fiscal Code {org} and IUPD {iupd}, is not in publishable state",
    )
    PUBLISH_VALIDITY_DATE_MISMATCH = (
        "Publish request occurred after the validity date began",
        "A publish request has been made after the validity date began for the debt position with"
        " Organization Fiscal Code {org} and IUPD {iupd}",
    )
    PUBLISH_DUE_DATE_MISMATCH = (
        "Publish request occurred after the due date of a payment options has expired",
        "A publish request occurred after the due date of a payment options has expired for the debt"
        " position with Organization Fiscal Code {org} and IUPD {iupd}",
    )
    NOT_INVALIDABLE = (
        "Existing related payment found or not in invalidable state",
        "A payment transaction has already been carried out or, the debt position with Organization"
        " Fiscal Code {org} and IUPD {iupd}, is not in invalidable state",
    )
    NOT_RECOVERABLE = (  # a list's date window wider than GPD allows, or upside down
        "The debt positions cannot be recovered",
        "Debt positions cannot be recovered. Verify that due_date_to >= due_date_from and that the"
        " interval between the two dates not exceed the maximum number of days allowed"
        " [due_date_from= {date_from}, due_date_to= {date_to}, days_between_from_to= {days},"
        " max_days_interval= {max_days}]",
    )
    EXCLUSIVE_PARAMETERS = (
        "Exclusive Parameters",
        "Parameters due_date_to, due_date_from and payment_date_from, payment_date_to are mutual exclusive",
    )
    OPTION_NOT_FOUND = (
        "Not found the payment option",
        "Not found a payment option for Organization Fiscal Code {org} and NAV {nav}",
    )
    OPTION_NOT_PAYABLE = (
        "Not in payable state",
        "The payment option with Organization Fiscal Code {org} and NAV {nav} is not in payable state",
    )
    OPTION_ALREADY_PAID = (
        "Existing related payment found",
        "A payment transaction has already been carried out for the Organization Fiscal Code {org} and"
        " NAV {nav}",
    )
    RECEIPT_NOT_FOUND = (
        "Not found the receipt",
        "Not found a receipt for Organization Fiscal Code {org} and IUV {iuv}",
    )
    RECEIPTS_PAGE_TOO_BIG = (  # the receipts list: an empty result or a page past its end
        "Not enough elements",
        "The page number is too big for the filtered elements",
    )
    RECEIPTS_DATE_RANGE = (
        "Invalid date range",
        "The requested date range is invalid or exceeds the maximum configured number of months",
    )
    RECEIPT_DUPLICATED = (  # the node's PAA_RECEIPT_DUPLICATA: one receipt per IUV
        "The receipt violated constraints of uniqueness",
        "A receipt already exists for Organization Fiscal Code {org} and IUV {iuv} (PAA_RECEIPT_DUPLICATA)",
    )

    @property
    def title(self) -> str:
        return self.value[0]


class ReasonedError(DomainError):
    """An error worded by a platform service: its reason enum carries (title, detail template)."""

    def __init__(self, reason: GpdReason | CheckoutReason | AttemptReason, **params: str) -> None:
        detail = reason.value[1].format_map(_Default(params))
        super().__init__(detail)
        self.reason = reason
        self.title: str = reason.value[0]
        self.detail = detail


class DebtPositionError(ReasonedError):
    """A GPD rule refused the operation."""

    reason: GpdReason

    def __init__(self, reason: GpdReason, **params: str) -> None:
        super().__init__(reason, **params)


class _Default(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


class CheckoutReason(Enum):
    """Checkout's cart errors: (title, detail template), in the upstream service's words."""

    DUPLICATE_NOTICES = ("Invalid payment info", "Duplicate payment notice values found.")
    INVALID_NOTICE = ("Invalid payment info", "Invalid payment notice data")
    CART_NOT_FOUND = ("Cart not found", "Cart with id {cart_id} not found")
    # The sandbox's control API (not production's): a cart whose payment is over or under way.
    CART_CLOSED = ("Cart already completed", "Cart with id {cart_id} is {state}: it cannot {action}")

    @property
    def title(self) -> str:
        return self.value[0]


class CheckoutError(ReasonedError):
    """Checkout refused the cart or cannot find it."""

    reason: CheckoutReason

    def __init__(self, reason: CheckoutReason, **params: str) -> None:
        super().__init__(reason, **params)


class AttemptReason(Enum):
    """Why a payment attempt (an ecommerce transaction) refused an operation, in upstream's words."""

    NOT_FOUND = ("Transaction not found", "Transaction with id {attempt_id} not found")
    ALREADY_PROCESSED = (  # upstream's 409 for any step out of order
        "Transaction already processed",
        "Transaction {attempt_id} is {state}: it cannot {action}",
    )
    METHOD_NOT_CHOSEN = (
        "Payment method not chosen",
        "Transaction {attempt_id} has no payment method and PSP yet: it cannot {action}",
    )

    @property
    def title(self) -> str:
        return self.value[0]


class PaymentAttemptError(ReasonedError):
    """An illegal transition of a payment attempt, or an attempt that does not exist."""

    reason: AttemptReason

    def __init__(self, reason: AttemptReason, **params: str) -> None:
        super().__init__(reason, **params)


class PaymentFault(DomainError):
    """Verify or activate failed: ``category`` is Checkout's faultCodeCategory, ``fault_code`` the
    node/EC code behind it (faultCodeDetail), e.g. PAYMENT_ONGOING / PPT_PAGAMENTO_IN_CORSO."""

    def __init__(self, category: FaultCategory, fault_code: str) -> None:
        super().__init__(f"{category.value}: {fault_code}")
        self.category = category
        self.fault_code = fault_code
