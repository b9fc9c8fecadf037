"""Quotes and accepting an offer: the happy path, every refusal, and the evidence kept."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from agreements.models import Agreement, AgreementDebt, Installment, Quote
from agreements.services import AgreementError, agreement_accept_offer, quote_for_debtor, terms_for
from agreements.tasks import render_agreement_pdf
from portal.audit.models import AuditEvent
from portal.debtors.models import Debt, DebtStatus
from portal.debtors.services import ledger_post
from tests.factories import DebtFactory
from tests.helpers.cast import DEBT_BALANCE

TODAY = dt.date(2026, 11, 25)
NOON = dt.datetime(2026, 11, 25, 17, 0, tzinfo=dt.UTC)  # 12:00 in Bogotá


pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOON, tick=False):
        yield


def accept(debtor, quote, key="lump_sum", evidence=None, **overrides):
    from agreements.services import Evidence

    kwargs = {
        "debtor": debtor,
        "quote": quote,
        "offer_key": key,
        "accepted_terms": True,
        "accepted_esign": True,
        "evidence": evidence
        or Evidence(at=NOON, ip="190.24.1.10", user_agent="pytest", payment_link_id=7),
    }
    kwargs.update(overrides)
    return agreement_accept_offer(**kwargs)


def test_quote_holds_offers_from_the_policy_and_is_audited(debtor, debt, policy):
    quote = quote_for_debtor(debtor=debtor, payment_link_id=7)

    assert quote.policy == policy and quote.debt_ids == [debt.pk]
    assert quote.balance_minor == DEBT_BALANCE and quote.currency == "COP"
    assert quote.valid_until == TODAY + dt.timedelta(days=7)
    keys = [offer["key"] for offer in quote.offers]
    assert keys[0] == "lump_sum" and "plan-monthly-12" in keys
    # 50% of 600,000.00 interest+fees and 10% of 1,000,000.00 principal
    assert quote.offers[0]["discount_minor"] == 30_000_00 + 100_000_00
    event = AuditEvent.objects.get(action="quote.shown")
    assert event.subject_id == str(quote.pk) and event.details["payment_link_id"] == 7


def test_reloading_reuses_the_valid_quote_without_a_new_audit_row(debtor, debt, policy):
    first = quote_for_debtor(debtor=debtor)
    again = quote_for_debtor(debtor=debtor)

    assert again == first
    assert Quote.objects.count() == 1
    assert AuditEvent.objects.filter(action="quote.shown").count() == 1


def test_a_new_quote_when_the_balance_changed_or_the_quote_expired(debtor, debt, policy):
    first = quote_for_debtor(debtor=debtor)
    ledger_post(debt=debt, kind="payment", amount_minor=-10_000_00)
    second = quote_for_debtor(debtor=debtor)
    third = quote_for_debtor(debtor=debtor, today=TODAY + dt.timedelta(days=8))

    assert len({first.pk, second.pk, third.pk}) == 3
    assert second.balance_minor == DEBT_BALANCE - 10_000_00


def test_no_quote_without_a_policy_or_a_balance(debtor, debt, other_debtor, stages):
    assert quote_for_debtor(debtor=debtor) is None


def test_accepting_creates_the_agreement_with_lines_installments_and_evidence(
    debtor, debt, policy, django_capture_on_commit_callbacks, monkeypatch
):
    quote = quote_for_debtor(debtor=debtor)
    with django_capture_on_commit_callbacks() as callbacks:
        agreement = accept(debtor, quote, key="plan-monthly-6")

    assert agreement.number == f"ACU-2026-{agreement.pk:06d}"
    assert agreement.kind == "plan" and agreement.frequency == "monthly"
    assert agreement.total_minor == DEBT_BALANCE and agreement.discount_minor == 0
    installments = list(agreement.installments.order_by("number"))
    assert [i.number for i in installments] == list(range(7))
    assert sum(i.amount_minor for i in installments) == agreement.total_minor
    assert installments[0].amount_minor == agreement.down_payment_minor == 106_000_00
    assert installments[0].due_date == TODAY
    line = agreement.lines.get()
    assert (line.debt, line.balance_minor, line.is_active) == (debt, DEBT_BALANCE, True)
    debt.refresh_from_db()
    assert debt.status == DebtStatus.IN_AGREEMENT

    version, text = terms_for(debt.portfolio)
    assert (agreement.terms_version, agreement.terms_text) == (version, text)
    assert agreement.accepted_ip == "190.24.1.10" and agreement.accepted_user_agent == "pytest"
    assert agreement.payment_link_id == 7 and agreement.accepted_at == NOON
    event = AuditEvent.objects.get(action="agreement.created")
    assert event.actor_type == "debtor" and event.details["evidence"]["ip"] == "190.24.1.10"
    assert event.details["terms_sha256"] == agreement.terms_sha256
    pdf = [cb for cb in callbacks if cb.__qualname__ == f"{render_agreement_pdf.name}.delay"]
    queued = []
    monkeypatch.setattr(render_agreement_pdf, "delay", lambda *args: queued.append(args))
    pdf[0]()
    assert queued == [(agreement.pk,)]


def test_the_lump_sum_discount_is_spread_across_debts_exactly(debtor, debt, policy, portfolio):
    second = DebtFactory(
        portfolio=portfolio,
        debtor=debtor,
        account_ref="TC-101",
        days_past_due=40,
        principal_due_minor=333_333_33,
        interest_due_minor=0,
        fees_due_minor=0,
    )
    ledger_post(debt=second, kind="charge", amount_minor=333_333_33)
    quote = quote_for_debtor(debtor=debtor)

    agreement = accept(debtor, quote)

    lines = list(agreement.lines.order_by("debt_id"))
    assert sum(line.discount_minor for line in lines) == agreement.discount_minor > 0
    assert lines[0].discount_minor > lines[1].discount_minor > 0
    assert agreement.total_minor == agreement.balance_minor - agreement.discount_minor
    assert agreement.installments.get().amount_minor == agreement.total_minor
    statuses = Debt.objects.filter(debtor=debtor).values_list("status", flat=True)
    assert set(statuses) == {DebtStatus.IN_AGREEMENT}


def test_coming_back_days_later_rebuilds_the_schedule_from_today(debtor, debt, policy):
    type(policy).objects.filter(pk=policy.pk).update(
        max_days_to_first_payment=3, auto_max_days_to_first_payment=3
    )
    quote = quote_for_debtor(debtor=debtor)
    offer = next(o for o in quote.offers if o["key"] == "plan-weekly-4")
    assert offer["first_due_date"] == "2026-11-28"

    with time_machine.travel(NOON + dt.timedelta(days=6), tick=False):
        agreement = accept(debtor, quote, key="plan-weekly-4")

    lines = list(agreement.installments.order_by("number"))
    back = TODAY + dt.timedelta(days=6)
    assert lines[0].due_date == back  # the down payment is due on the day of acceptance
    assert [line.due_date for line in lines[1:]] == [
        back + dt.timedelta(days=3 + 7 * n) for n in range(4)
    ]
    assert sum(line.amount_minor for line in lines) == offer["total_minor"]
    assert lines[0].amount_minor == offer["down_payment_minor"]


def test_a_first_payment_still_ahead_keeps_its_date(debtor, debt, policy):
    quote = quote_for_debtor(debtor=debtor)

    with time_machine.travel(NOON + dt.timedelta(days=2), tick=False):
        agreement = accept(debtor, quote, key="plan-weekly-4")

    lines = list(agreement.installments.order_by("number"))
    assert lines[0].due_date == TODAY + dt.timedelta(days=2)
    assert lines[1].due_date == TODAY + dt.timedelta(days=7)


@pytest.mark.parametrize(
    ("terms", "esign"),
    [(False, True), (True, False), (False, False)],
    ids=["terms", "esign", "both"],
)
def test_refused_unless_both_boxes_are_ticked(debtor, debt, policy, terms, esign):
    quote = quote_for_debtor(debtor=debtor)

    with pytest.raises(AgreementError, match="tick both"):
        accept(debtor, quote, accepted_terms=terms, accepted_esign=esign)
    assert not Agreement.objects.exists()


def test_refused_when_the_quote_expired(debtor, debt, policy):
    quote = quote_for_debtor(debtor=debtor)

    with (
        time_machine.travel(NOON + dt.timedelta(days=8), tick=False),
        pytest.raises(AgreementError, match="expired"),
    ):
        accept(debtor, quote)


def test_refused_for_another_debtors_quote(debtor, debt, other_debtor, policy):
    quote = quote_for_debtor(debtor=other_debtor)

    with pytest.raises(AgreementError, match="not available"):
        accept(debtor, quote)
    assert not Agreement.objects.exists()


def test_refused_for_an_unknown_offer_key(debtor, debt, policy):
    quote = quote_for_debtor(debtor=debtor)

    with pytest.raises(AgreementError, match="not available"):
        accept(debtor, quote, key="plan-monthly-99")


def test_refused_when_the_balance_changed_since_the_quote(debtor, debt, policy):
    quote = quote_for_debtor(debtor=debtor)
    ledger_post(debt=debt, kind="payment", amount_minor=-5_000_00)

    with pytest.raises(AgreementError, match="balance changed"):
        accept(debtor, quote)
    assert not Agreement.objects.exists()


def test_refused_when_the_debts_are_already_in_an_agreement(debtor, debt, policy):
    quote = quote_for_debtor(debtor=debtor)
    accept(debtor, quote)

    with pytest.raises(AgreementError, match="already have an active agreement"):
        accept(debtor, quote, key="plan-monthly-3")
    assert Agreement.objects.count() == 1
    assert AgreementDebt.objects.filter(is_active=True).count() == 1
    assert Installment.objects.filter(agreement__isnull=False).count() == 1
