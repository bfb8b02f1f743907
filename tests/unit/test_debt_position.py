"""GPD debt positions: request-data rules, the status machine, payments and the payer's view (ref. §5)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from simulator.domain.debt_position import (
    DebtPosition,
    OptionStatus,
    PayerView,
    PaymentOption,
    PaymentReport,
    PositionStatus,
    TransferStatus,
    check_deletable,
    create,
    invalidate,
    needs_settling,
    pay_option,
    payer_view,
    publish,
    report,
    settle,
    update,
    validate,
)
from simulator.domain.errors import (
    CheckoutError,
    CheckoutReason,
    DebtPositionError,
    DomainError,
    GpdReason,
    TenantError,
)
from tests.unit.factories import (
    DAY,
    NOW,
    ORG,
    instalment,
    option,
    payment,
    position,
    stamp_transfer,
    transfer,
)

HOUR = timedelta(hours=1)


def request_data_error(pos: DebtPosition) -> str:
    """Validate ``pos`` expecting GPD's 400 and return the detail listing the broken rules."""
    with pytest.raises(DebtPositionError) as caught:
        validate(pos, NOW)
    assert caught.value.reason is GpdReason.REQUEST_DATA_ERROR
    assert caught.value.reason.title == "Error in the debt position request data"
    assert caught.value.message == caught.value.detail
    return caught.value.message


def refused(reason: GpdReason) -> pytest.RaisesExc[DebtPositionError]:
    return pytest.raises(DebtPositionError, check=lambda e: e.reason is reason)


def valid_position(*options: PaymentOption, **overrides: Any) -> DebtPosition:
    """A position created and published at NOW with no validity date: VALID right away."""
    return create(position(*options, **overrides), NOW, to_publish=True)


def plan() -> DebtPosition:
    """A VALID position payable in full (100 €) or in two instalments of 50 €."""
    return valid_position(option(amount=10_000), instalment(1), instalment(2))


# --- request-data rules ---------------------------------------------------------------------


def test_well_formed_position_passes_validation() -> None:
    validate(position(), NOW)
    validate(plan(), NOW)


def test_position_with_stamp_and_iban_transfers_passes_validation() -> None:
    pos = position(
        option(amount=11_600, transfers=(transfer("1", 10_000), stamp_transfer("2", 1_600))),
    )
    validate(pos, NOW)


def test_postal_iban_goes_with_an_iban_transfer() -> None:
    validate(position(option(transfers=(transfer(postal_iban="IT60X0760103200000000123456"),))), NOW)


def test_transfer_amounts_must_sum_to_the_option_amount() -> None:
    pos = position(option(amount=10_000, transfers=(transfer("1", 6_000), transfer("2", 3_000))))
    assert request_data_error(pos) == (
        "paymentOption[0]: the transfer amounts sum to 9000, not to the option amount 10000"
    )


def test_six_transfers_are_one_too_many() -> None:
    transfers = tuple(transfer(str(i), 1_000) for i in range(1, 7))
    pos = position(option(amount=6_000, transfers=transfers))
    assert request_data_error(pos) == "paymentOption[0].transfer: at most 5 transfers"


def test_five_transfers_are_allowed() -> None:
    transfers = tuple(transfer(str(i), 1_000) for i in range(1, 6))
    validate(position(option(amount=5_000, transfers=transfers)), NOW)


def test_transfer_ids_must_be_distinct() -> None:
    pos = position(option(amount=10_000, transfers=(transfer("1", 5_000), transfer("1", 5_000))))
    assert request_data_error(pos) == "paymentOption[0].transfer: idTransfer values must be distinct"


def test_transfer_with_both_iban_and_stamp_is_refused() -> None:
    pos = position(option(amount=1_600, transfers=(stamp_transfer(iban="IT60X0542811101000000123456"),)))
    assert request_data_error(pos) == "paymentOption[0].transfer[0]: exactly one of iban and stamp"


@pytest.mark.parametrize("iban", [None, ""])
def test_transfer_with_neither_iban_nor_stamp_is_refused(iban: str | None) -> None:
    pos = position(option(transfers=(transfer(iban=iban),)))
    assert request_data_error(pos) == "paymentOption[0].transfer[0]: exactly one of iban and stamp"


def test_postal_iban_cannot_go_with_a_stamp() -> None:
    pos = position(
        option(amount=1_600, transfers=(stamp_transfer(postal_iban="IT60X0760103200000000123456"),))
    )
    assert request_data_error(pos) == "paymentOption[0].transfer[0]: postalIban cannot go with a stamp"


def test_validity_date_in_the_past_is_refused() -> None:
    assert request_data_error(position(validity_date=NOW - HOUR)) == "validityDate: must be in the future"


def test_validity_date_may_be_now_or_later() -> None:
    validate(position(validity_date=NOW), NOW)
    validate(position(validity_date=NOW + DAY), NOW)


def test_due_date_before_the_validity_date_is_refused() -> None:
    pos = position(option(due_date=NOW + 5 * DAY), validity_date=NOW + 10 * DAY)
    assert request_data_error(pos) == (
        "paymentOption[0].dueDate: must not be before the validity date (or now)"
    )


def test_due_date_before_now_is_refused_when_there_is_no_validity_date() -> None:
    pos = position(option(due_date=NOW - HOUR))
    assert request_data_error(pos) == (
        "paymentOption[0].dueDate: must not be before the validity date (or now)"
    )


def test_due_date_may_equal_the_validity_date() -> None:
    validate(position(option(due_date=NOW + DAY), validity_date=NOW + DAY), NOW)
    validate(position(option(due_date=NOW)), NOW)


def test_retention_date_before_the_due_date_is_refused() -> None:
    pos = position(option(due_date=NOW + 10 * DAY, retention_date=NOW + 9 * DAY))
    assert request_data_error(pos) == "paymentOption[0].retentionDate: must not be before the due date"


def test_retention_date_may_equal_or_follow_the_due_date() -> None:
    validate(position(option(due_date=NOW + DAY, retention_date=NOW + DAY)), NOW)
    validate(position(option(due_date=NOW + DAY, retention_date=NOW + 60 * DAY)), NOW)


def test_iuv_must_be_unique_inside_a_position() -> None:
    first = option("02000000000000001")
    second = option("02000000000000001", nav="302000000000000099")
    assert request_data_error(position(first, second)) == (
        "paymentOption[1].iuv: duplicated in this debt position"
    )


def test_nav_must_be_unique_inside_a_position() -> None:
    first = option("02000000000000001")
    second = option("02000000000000002", nav=first.nav)
    assert request_data_error(position(first, second)) == (
        "paymentOption[1].nav: duplicated in this debt position"
    )


def test_position_needs_at_least_one_payment_option() -> None:
    pos = replace(position(), options=())
    assert request_data_error(pos) == "paymentOption: at least one payment option is required"


def test_option_needs_at_least_one_transfer() -> None:
    # The amount check is skipped: "sum to 0" would only repeat the same problem.
    pos = position(option(transfers=()))
    assert request_data_error(pos) == "paymentOption[0].transfer: at least one transfer is required"


def test_every_broken_rule_is_listed_in_one_error() -> None:
    bad_transfers = (transfer("1", 1_000), transfer("1", 1_000, iban=None))
    pos = position(
        option("02000000000000001", due_date=NOW + DAY, retention_date=NOW),
        option("02000000000000001", amount=5_000, transfers=bad_transfers),
        validity_date=NOW - HOUR,
    )
    assert request_data_error(pos).split("; ") == [
        "validityDate: must be in the future",
        "paymentOption[0].retentionDate: must not be before the due date",
        "paymentOption[1].iuv: duplicated in this debt position",
        "paymentOption[1].nav: duplicated in this debt position",
        "paymentOption[1].transfer: idTransfer values must be distinct",
        "paymentOption[1].transfer[1]: exactly one of iban and stamp",
        "paymentOption[1]: the transfer amounts sum to 2000, not to the option amount 5000",
    ]


# --- create and publish ---------------------------------------------------------------------


def test_created_position_is_a_stamped_draft() -> None:
    created = create(position(), NOW, to_publish=False)
    assert created.status is PositionStatus.DRAFT
    assert created.inserted_date == NOW
    assert created.last_updated_date == NOW
    assert created.publish_date is None
    assert created.validity_date is None


def test_create_ignores_statuses_and_payments_sent_by_the_client() -> None:
    paid_transfer = replace(transfer(), status=TransferStatus.T_REPORTED)
    paid_option = replace(option(transfers=(paid_transfer,)), status=OptionStatus.PO_PAID, payment=payment())
    sent = replace(position(paid_option), status=PositionStatus.PAID, payment_date=NOW, publish_date=NOW)
    created = create(sent, NOW, to_publish=False)
    assert created.status is PositionStatus.DRAFT
    assert created.payment_date is None
    assert created.publish_date is None
    assert created.options[0].status is OptionStatus.PO_UNPAID
    assert created.options[0].payment is None
    assert created.options[0].transfers[0].status is TransferStatus.T_UNREPORTED


def test_create_refuses_invalid_request_data() -> None:
    with refused(GpdReason.REQUEST_DATA_ERROR):
        create(position(validity_date=NOW - HOUR), NOW, to_publish=True)


def test_create_and_publish_without_validity_date_is_valid_from_now() -> None:
    created = create(position(), NOW, to_publish=True)
    assert created.status is PositionStatus.VALID
    assert created.validity_date == NOW
    assert created.publish_date == NOW
    assert created.inserted_date == NOW


def test_create_and_publish_with_future_validity_date_is_published() -> None:
    created = create(position(validity_date=NOW + DAY), NOW, to_publish=True)
    assert created.status is PositionStatus.PUBLISHED
    assert created.validity_date == NOW + DAY
    assert created.publish_date == NOW


def test_publishing_a_draft_without_validity_date_makes_it_valid_now() -> None:
    draft = create(position(), NOW, to_publish=False)
    published = publish(draft, NOW + HOUR)
    assert published.status is PositionStatus.VALID
    assert published.validity_date == NOW + HOUR
    assert published.publish_date == NOW + HOUR
    assert published.last_updated_date == NOW + HOUR
    assert published.inserted_date == NOW


def test_publishing_a_draft_with_future_validity_date_makes_it_published() -> None:
    draft = create(position(validity_date=NOW + DAY), NOW, to_publish=False)
    published = publish(draft, NOW + HOUR)
    assert published.status is PositionStatus.PUBLISHED
    assert published.validity_date == NOW + DAY
    assert published.publish_date == NOW + HOUR


@pytest.mark.parametrize("status", [s for s in PositionStatus if s is not PositionStatus.DRAFT])
def test_only_a_draft_can_be_published(status: PositionStatus) -> None:
    pos = replace(position(), status=status)
    with refused(GpdReason.NOT_PUBLISHABLE) as caught:
        publish(pos, NOW)
    assert caught.value.reason.title == "Existing related payment found or not in publishable state"
    assert f"Organization Fiscal Code {ORG} and IUPD IUPD-2026-0001" in caught.value.detail


def test_publishing_after_the_validity_date_began_is_refused() -> None:
    draft = create(position(validity_date=NOW + DAY), NOW, to_publish=False)
    with refused(GpdReason.PUBLISH_VALIDITY_DATE_MISMATCH):
        publish(draft, NOW + 2 * DAY)


def test_publishing_after_a_due_date_expired_is_refused() -> None:
    draft = create(position(option(due_date=NOW + DAY), option("02000000000000002")), NOW, to_publish=False)
    with refused(GpdReason.PUBLISH_DUE_DATE_MISMATCH) as caught:
        publish(draft, NOW + 2 * DAY)
    assert "IUPD IUPD-2026-0001" in caught.value.detail


# --- time-driven transitions ----------------------------------------------------------------


def test_published_position_stays_published_before_its_validity_date() -> None:
    published = create(position(validity_date=NOW + DAY), NOW, to_publish=True)
    assert settle(published, NOW + DAY - HOUR) == published
    assert needs_settling(published, NOW + DAY - HOUR) is False


def test_published_position_becomes_valid_when_its_validity_date_arrives() -> None:
    published = create(position(validity_date=NOW + DAY), NOW, to_publish=True)
    settled = settle(published, NOW + DAY)
    assert settled.status is PositionStatus.VALID
    assert settled.last_updated_date == NOW + DAY  # the validity date, not the time of the read
    assert needs_settling(published, NOW + DAY) is True


def test_valid_position_expires_past_the_last_due_date_when_switch_to_expired() -> None:
    pos = valid_position(
        option("02000000000000001", due_date=NOW + DAY),
        option("02000000000000002", due_date=NOW + 10 * DAY),
        switch_to_expired=True,
    )
    assert pos.last_due_date == NOW + 10 * DAY
    assert settle(pos, NOW + 5 * DAY).status is PositionStatus.VALID  # only the first is past
    assert settle(pos, NOW + 10 * DAY).status is PositionStatus.VALID  # due date is still payable
    expired = settle(pos, NOW + 10 * DAY + HOUR)
    assert expired.status is PositionStatus.EXPIRED
    assert expired.last_updated_date == NOW + 10 * DAY


def test_valid_position_never_expires_without_switch_to_expired() -> None:
    pos = valid_position(switch_to_expired=False)
    assert settle(pos, NOW + 365 * DAY) == pos


def test_published_position_can_become_valid_and_expired_in_one_settle() -> None:
    pos = create(
        position(option(due_date=NOW + 2 * DAY), validity_date=NOW + DAY, switch_to_expired=True),
        NOW,
        to_publish=True,
    )
    settled = settle(pos, NOW + 3 * DAY)
    assert settled.status is PositionStatus.EXPIRED
    assert settled.last_updated_date == NOW + 2 * DAY


def test_settling_twice_changes_nothing_more() -> None:
    pos = create(
        position(option(due_date=NOW + 2 * DAY), validity_date=NOW + DAY, switch_to_expired=True),
        NOW,
        to_publish=True,
    )
    for when in (NOW, NOW + DAY, NOW + 3 * DAY):
        once = settle(pos, when)
        assert settle(once, when) == once
        assert needs_settling(once, when) is False


@pytest.mark.parametrize(
    "status",
    [
        PositionStatus.DRAFT,
        PositionStatus.INVALID,
        PositionStatus.PARTIALLY_PAID,
        PositionStatus.PAID,
        PositionStatus.REPORTED,
    ],
)
def test_time_does_not_move_positions_outside_published_and_valid(status: PositionStatus) -> None:
    pos = replace(position(switch_to_expired=True, validity_date=NOW), status=status)
    assert settle(pos, NOW + 365 * DAY) == pos


def test_position_without_options_has_no_last_due_date_and_never_expires() -> None:
    pos = replace(valid_position(switch_to_expired=True), options=())
    assert pos.last_due_date is None
    assert settle(pos, NOW + 365 * DAY) == pos


# --- update ---------------------------------------------------------------------------------


@pytest.mark.parametrize("publish_first", [False, True])
def test_update_replaces_the_content_and_goes_back_to_draft(publish_first: bool) -> None:
    current = create(position(), NOW, to_publish=publish_first)
    new = position(option(amount=20_000), company_name="Comune di Prova")
    updated = update(current, new, NOW + DAY, to_publish=False)
    assert updated.status is PositionStatus.DRAFT
    assert updated.company_name == "Comune di Prova"
    assert updated.options[0].amount == 20_000
    assert updated.inserted_date == NOW
    assert updated.last_updated_date == NOW + DAY
    assert updated.publish_date is None


def test_update_of_a_published_position_is_allowed() -> None:
    current = create(position(validity_date=NOW + 2 * DAY), NOW, to_publish=True)
    assert current.status is PositionStatus.PUBLISHED
    updated = update(current, position(), NOW + DAY, to_publish=False)
    assert updated.status is PositionStatus.DRAFT


def test_update_can_republish_at_once() -> None:
    current = create(position(), NOW, to_publish=True)
    updated = update(current, position(), NOW + DAY, to_publish=True)
    assert updated.status is PositionStatus.VALID
    assert updated.publish_date == NOW + DAY
    assert updated.validity_date == NOW + DAY
    assert updated.inserted_date == NOW


def test_update_keeps_the_organization_and_iupd_of_the_stored_position() -> None:
    current = create(position(), NOW, to_publish=False)
    new = position(organization_fiscal_code="86334519757", iupd="ANOTHER")
    updated = update(current, new, NOW, to_publish=False)
    assert updated.organization_fiscal_code == ORG
    assert updated.iupd == "IUPD-2026-0001"


def test_update_resets_payments_sent_by_the_client() -> None:
    current = create(position(), NOW, to_publish=False)
    new = position(replace(option(), status=OptionStatus.PO_PAID, payment=payment()))
    updated = update(current, new, NOW, to_publish=False)
    assert updated.options[0].status is OptionStatus.PO_UNPAID
    assert updated.options[0].payment is None
    assert updated.payment_date is None


@pytest.mark.parametrize(
    "status",
    [
        PositionStatus.INVALID,
        PositionStatus.PARTIALLY_PAID,
        PositionStatus.PAID,
        PositionStatus.REPORTED,
    ],
)
def test_update_is_refused_after_payment_or_closing(status: PositionStatus) -> None:
    current = replace(create(position(), NOW, to_publish=True), status=status)
    with refused(GpdReason.NOT_UPDATABLE) as caught:
        update(current, position(), NOW, to_publish=False)
    assert "is not in updatable state" in caught.value.detail


def test_a_position_that_expired_by_itself_may_be_updated_as_gpd_allows() -> None:
    current = valid_position(option(due_date=NOW + DAY), switch_to_expired=True)
    updated = update(current, position(option(due_date=NOW + 30 * DAY)), NOW + 2 * DAY, to_publish=False)
    assert updated.status is PositionStatus.DRAFT


def test_update_refuses_invalid_request_data() -> None:
    current = create(position(), NOW, to_publish=False)
    with refused(GpdReason.REQUEST_DATA_ERROR):
        update(current, position(option(due_date=NOW - DAY)), NOW, to_publish=False)


# --- invalidate and delete ------------------------------------------------------------------


@pytest.mark.parametrize("validity_offset", [None, DAY], ids=["valid", "published"])
def test_published_or_valid_position_can_be_invalidated(validity_offset: timedelta | None) -> None:
    validity = None if validity_offset is None else NOW + validity_offset
    pos = create(position(validity_date=validity), NOW, to_publish=True)
    invalidated = invalidate(pos, NOW + HOUR)
    assert invalidated.status is PositionStatus.INVALID
    assert invalidated.last_updated_date == NOW + HOUR


@pytest.mark.parametrize(
    "status",
    [
        PositionStatus.DRAFT,
        PositionStatus.INVALID,
        PositionStatus.PARTIALLY_PAID,
        PositionStatus.PAID,
        PositionStatus.REPORTED,
    ],
)
def test_only_published_or_valid_positions_can_be_invalidated(status: PositionStatus) -> None:
    pos = replace(position(), status=status)
    with refused(GpdReason.NOT_INVALIDABLE) as caught:
        invalidate(pos, NOW)
    assert "is not in invalidable state" in caught.value.detail


def test_position_that_expired_by_itself_cannot_be_invalidated() -> None:
    pos = valid_position(option(due_date=NOW + DAY), switch_to_expired=True)
    with refused(GpdReason.NOT_INVALIDABLE):
        invalidate(pos, NOW + 2 * DAY)


@pytest.mark.parametrize(
    "status",
    [
        PositionStatus.DRAFT,
        PositionStatus.PUBLISHED,
        PositionStatus.VALID,
        PositionStatus.INVALID,
        PositionStatus.EXPIRED,
    ],
)
def test_position_without_payments_can_be_deleted(status: PositionStatus) -> None:
    check_deletable(replace(position(), status=status))  # no error


@pytest.mark.parametrize(
    "status", [PositionStatus.PARTIALLY_PAID, PositionStatus.PAID, PositionStatus.REPORTED]
)
def test_position_with_payments_cannot_be_deleted(status: PositionStatus) -> None:
    with refused(GpdReason.PAYMENT_FOUND) as caught:
        check_deletable(replace(position(), status=status))
    assert caught.value.reason.title == "Existing related payment found"
    assert caught.value.detail == (
        "A payment transaction has already been carried out on the debt position with Organization"
        f" Fiscal Code {ORG} and IUPD IUPD-2026-0001"
    )


# --- payments -------------------------------------------------------------------------------


def test_paying_the_single_option_makes_the_position_paid() -> None:
    pos = valid_position()
    nav = pos.options[0].nav
    paid = pay_option(pos, nav, payment(NOW + DAY, payment_method="CP", id_receipt="R1", fee=150))
    assert paid.status is PositionStatus.PAID
    assert paid.payment_date == NOW + DAY
    assert paid.last_updated_date == NOW + DAY
    paid_option = paid.option_by_nav(nav)
    assert paid_option is not None
    assert paid_option.status is OptionStatus.PO_PAID
    assert paid_option.payment == payment(NOW + DAY, payment_method="CP", id_receipt="R1", fee=150)


def test_paying_an_unknown_notice_is_refused() -> None:
    with refused(GpdReason.OPTION_NOT_FOUND) as caught:
        pay_option(valid_position(), "399999999999999999", payment())
    assert caught.value.detail == (
        f"Not found a payment option for Organization Fiscal Code {ORG} and NAV 399999999999999999"
    )


def test_paying_an_option_twice_is_refused_as_already_paid() -> None:
    pos = valid_position()
    nav = pos.options[0].nav
    paid = pay_option(pos, nav, payment())
    with refused(GpdReason.OPTION_ALREADY_PAID) as caught:
        pay_option(paid, nav, payment(NOW + HOUR))
    assert f"NAV {nav}" in caught.value.detail


@pytest.mark.parametrize(
    "status",
    [PositionStatus.DRAFT, PositionStatus.PUBLISHED, PositionStatus.INVALID, PositionStatus.EXPIRED],
)
def test_option_of_a_position_that_is_not_payable_is_refused(status: PositionStatus) -> None:
    pos = replace(position(), status=status)
    with refused(GpdReason.OPTION_NOT_PAYABLE) as caught:
        pay_option(pos, pos.options[0].nav, payment())
    assert "is not in payable state" in caught.value.detail


def test_published_position_is_payable_once_its_validity_date_arrives() -> None:
    pos = create(position(validity_date=NOW + DAY), NOW, to_publish=True)
    nav = pos.options[0].nav
    with refused(GpdReason.OPTION_NOT_PAYABLE):
        pay_option(pos, nav, payment(NOW + HOUR))
    assert pay_option(pos, nav, payment(NOW + DAY)).status is PositionStatus.PAID


def test_position_that_expired_by_the_payment_date_is_not_payable() -> None:
    pos = valid_position(option(due_date=NOW + DAY), switch_to_expired=True)
    with refused(GpdReason.OPTION_NOT_PAYABLE):
        pay_option(pos, pos.options[0].nav, payment(NOW + 2 * DAY))


def test_instalments_leave_the_position_partially_paid_until_the_last_one() -> None:
    pos = plan()
    full, first, second = (o.nav for o in pos.options)
    after_first = pay_option(pos, first, payment(NOW + DAY))
    assert after_first.status is PositionStatus.PARTIALLY_PAID
    assert [o.status for o in after_first.options] == [
        OptionStatus.PO_UNPAID,
        OptionStatus.PO_PAID,
        OptionStatus.PO_UNPAID,
    ]
    after_second = pay_option(after_first, second, payment(NOW + 2 * DAY))
    assert after_second.status is PositionStatus.PAID
    assert after_second.payment_date == NOW + 2 * DAY
    option_full = after_second.option_by_nav(full)
    assert option_full is not None
    assert option_full.status is OptionStatus.PO_UNPAID


def test_paying_in_full_makes_a_plan_paid_at_once() -> None:
    pos = plan()
    paid = pay_option(pos, pos.options[0].nav, payment())
    assert paid.status is PositionStatus.PAID
    with refused(GpdReason.OPTION_NOT_PAYABLE):
        pay_option(paid, pos.options[1].nav, payment())


def test_reported_payment_without_date_is_dated_now() -> None:
    report = PaymentReport(payment_method="PPAL", psp_company="PSP Test", id_receipt="R9", fee=100)
    assert report.at(NOW) == payment(
        NOW, payment_method="PPAL", psp_company="PSP Test", id_receipt="R9", fee=100
    )


def test_reported_payment_keeps_its_own_date() -> None:
    assert PaymentReport(payment_date=NOW - DAY).at(NOW) == payment(NOW - DAY)


# --- reporting (rendicontazione) -------------------------------------------------------------


def test_reporting_a_paid_position_marks_its_paid_options_and_transfers_reported() -> None:
    pos = plan()
    paid = pay_option(pos, pos.options[0].nav, payment(NOW + DAY))
    reported = report(paid, NOW + 5 * DAY)
    assert reported.status is PositionStatus.REPORTED
    assert reported.last_updated_date == NOW + 5 * DAY
    assert reported.payment_date == NOW + DAY
    full, first, second = reported.options
    assert full.status is OptionStatus.PO_REPORTED
    assert full.payment == payment(NOW + DAY)
    assert [t.status for t in full.transfers] == [TransferStatus.T_REPORTED]
    assert first == paid.options[1]  # the unpaid instalments are left as they were
    assert second.status is OptionStatus.PO_UNPAID
    assert [t.status for t in second.transfers] == [TransferStatus.T_UNREPORTED]


def test_reported_notice_is_still_seen_as_paid_by_the_payer() -> None:
    pos = valid_position()
    nav = pos.options[0].nav
    reported = report(pay_option(pos, nav, payment()), NOW + DAY)
    assert payer_view(reported, nav, NOW + DAY) is PayerView.DUPLICATED
    with refused(GpdReason.OPTION_ALREADY_PAID):
        pay_option(reported, nav, payment(NOW + DAY))
    with refused(GpdReason.PAYMENT_FOUND):
        check_deletable(reported)


@pytest.mark.parametrize("status", [s for s in PositionStatus if s is not PositionStatus.PAID])
def test_only_a_paid_position_can_be_reported(status: PositionStatus) -> None:
    pos = replace(valid_position(), status=status)
    with refused(GpdReason.NOT_UPDATABLE) as caught:
        report(pos, NOW)
    assert f"Organization Fiscal Code {ORG} and IUPD IUPD-2026-0001" in caught.value.detail


# --- what a payer is told -------------------------------------------------------------------


def test_payer_view_values_are_the_ec_fault_codes() -> None:
    assert PayerView.PAYABLE.value is None
    assert PayerView.UNKNOWN.value == "PAA_PAGAMENTO_SCONOSCIUTO"
    assert PayerView.EXPIRED.value == "PAA_PAGAMENTO_SCADUTO"
    assert PayerView.CANCELLED.value == "PAA_PAGAMENTO_ANNULLATO"
    assert PayerView.DUPLICATED.value == "PAA_PAGAMENTO_DUPLICATO"


@pytest.mark.parametrize(
    ("status", "view"),
    [
        (PositionStatus.DRAFT, PayerView.UNKNOWN),
        (PositionStatus.PUBLISHED, PayerView.UNKNOWN),
        (PositionStatus.VALID, PayerView.PAYABLE),
        (PositionStatus.PARTIALLY_PAID, PayerView.PAYABLE),
        (PositionStatus.INVALID, PayerView.CANCELLED),
        (PositionStatus.EXPIRED, PayerView.EXPIRED),
        (PositionStatus.PAID, PayerView.DUPLICATED),
        (PositionStatus.REPORTED, PayerView.DUPLICATED),
    ],
)
def test_payer_sees_an_unpaid_notice_by_position_status(status: PositionStatus, view: PayerView) -> None:
    pos = replace(position(), status=status)
    assert payer_view(pos, pos.options[0].nav, NOW) is view


def test_payer_sees_a_paid_notice_as_duplicated() -> None:
    pos = plan()
    nav = pos.options[1].nav
    partially_paid = pay_option(pos, nav, payment())
    assert partially_paid.status is PositionStatus.PARTIALLY_PAID
    assert payer_view(partially_paid, nav, NOW) is PayerView.DUPLICATED
    assert payer_view(partially_paid, pos.options[2].nav, NOW) is PayerView.PAYABLE


def test_payer_sees_an_unknown_notice_or_position_as_unknown() -> None:
    assert payer_view(None, "302000100000009424", NOW) is PayerView.UNKNOWN
    assert payer_view(valid_position(), "302000100000009424", NOW) is PayerView.UNKNOWN


def test_payer_view_follows_the_clock() -> None:
    pos = create(
        position(option(due_date=NOW + 2 * DAY), validity_date=NOW + DAY, switch_to_expired=True),
        NOW,
        to_publish=True,
    )
    nav = pos.options[0].nav
    assert payer_view(pos, nav, NOW) is PayerView.UNKNOWN
    assert payer_view(pos, nav, NOW + DAY) is PayerView.PAYABLE
    assert payer_view(pos, nav, NOW + 3 * DAY) is PayerView.EXPIRED


# --- the errors themselves ------------------------------------------------------------------


def test_gpd_error_detail_names_the_organization_and_the_position() -> None:
    error = DebtPositionError(GpdReason.NOT_FOUND, org=ORG, iupd="IUPD-1")
    assert error.reason.title == "Not found the debt position"
    assert error.detail == f"Not found a debt position for Organization Fiscal Code {ORG} and IUPD IUPD-1"
    assert str(error) == error.detail == error.message
    assert isinstance(error, DomainError)


def test_gpd_error_detail_leaves_a_missing_parameter_blank_instead_of_failing() -> None:
    error = DebtPositionError(GpdReason.RECEIPT_NOT_FOUND, org=ORG)
    assert error.detail == f"Not found a receipt for Organization Fiscal Code {ORG} and IUV "


def test_every_gpd_reason_has_a_title_and_a_detail() -> None:
    for reason in GpdReason:
        assert reason.title
        assert DebtPositionError(reason, detail="x", org=ORG, iupd="I", nav="N", iuv="V").detail


def test_checkout_error_carries_checkout_wording() -> None:
    # Same error tree as GPD's, so the web layer maps both the same way.
    error = CheckoutError(CheckoutReason.CART_NOT_FOUND, cart_id="c-1")
    assert error.reason.title == error.title == "Cart not found"
    assert error.detail == str(error) == "Cart with id c-1 not found"
    assert isinstance(error, DomainError)
    assert CheckoutError(CheckoutReason.DUPLICATE_NOTICES).detail == "Duplicate payment notice values found."


def test_tenant_error_is_a_domain_error_carrying_its_message() -> None:
    error = TenantError("tenant names are 1-40 letters, digits or dashes")
    assert isinstance(error, DomainError)
    assert error.message == str(error) == "tenant names are 1-40 letters, digits or dashes"


def test_publish_with_validity_date_equal_to_now_is_valid_at_once() -> None:
    published = publish(create(replace(position(), validity_date=NOW), NOW, False), NOW)
    assert published.status is PositionStatus.VALID
    assert published.validity_date == NOW
