from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from agreements.models import PromiseStatus
from agreements.promises import PromiseError, promise_create
from portal.audit.models import AuditEvent
from portal.debtors.models import DebtStatus
from portal.debtors.services import ledger_post
from tests.factories import DebtFactory

TODAY = dt.date(2026, 11, 25)
AMOUNT = 50_000_00  # above every minimum below


pytestmark = pytest.mark.usefixtures("english")


def test_debtor_promises_an_amount_within_the_policy(debtor, debt, policy):
    promise = promise_create(
        debtor=debtor,
        debt=debt,
        amount_minor=200_000_00,
        promised_date=TODAY + dt.timedelta(days=policy.max_days_to_promise),
        today=TODAY,
    )
    assert promise.status == PromiseStatus.PENDING
    assert (promise.currency, promise.source, promise.created_by) == ("COP", "portal", None)
    event = AuditEvent.objects.get(action="promise.created")
    assert event.subject_id == str(promise.pk)
    assert event.actor_type == "debtor"
    assert event.details["amount_minor"] == 200_000_00


def test_date_past_the_policy_limit_is_refused(debtor, debt, policy):
    policy.max_days_to_promise = 5
    policy.save(update_fields=["max_days_to_promise"])
    with pytest.raises(PromiseError, match="within 5 days, on or before Nov 30, 2026"):
        promise_create(
            debtor=debtor,
            debt=debt,
            amount_minor=AMOUNT,
            promised_date=dt.date(2026, 12, 1),
            today=TODAY,
        )


def test_without_a_policy_the_limit_is_15_days(debtor, debt):
    promise_create(
        debtor=debtor,
        debt=debt,
        amount_minor=AMOUNT,
        promised_date=dt.date(2026, 12, 10),
        today=TODAY,
    )
    other = DebtFactory(portfolio=debt.portfolio, debtor=debtor, account_ref="TC-101")
    ledger_post(debt=other, kind="charge", amount_minor=1_000_00)
    with pytest.raises(PromiseError, match="within 15 days"):
        promise_create(
            debtor=debtor,
            debt=other,
            amount_minor=1_000_00,
            promised_date=dt.date(2026, 12, 11),
            today=TODAY,
        )


def test_date_in_the_past_is_refused(debtor, debt, policy):
    with pytest.raises(PromiseError, match="past"):
        promise_create(
            debtor=debtor,
            debt=debt,
            amount_minor=AMOUNT,
            promised_date=TODAY - dt.timedelta(1),
            today=TODAY,
        )


@pytest.mark.parametrize("amount", [0, -5, 1_060_000_01])
def test_amount_must_be_positive_and_at_most_the_balance(debtor, debt, policy, amount):
    with pytest.raises(PromiseError):
        promise_create(
            debtor=debtor, debt=debt, amount_minor=amount, promised_date=TODAY, today=TODAY
        )
    assert not AuditEvent.objects.filter(action="promise.created").exists()


def test_other_debtors_debt_is_refused(other_debtor, debt, policy):
    with pytest.raises(PromiseError, match="does not belong"):
        promise_create(
            debtor=other_debtor, debt=debt, amount_minor=AMOUNT, promised_date=TODAY, today=TODAY
        )


def test_second_pending_promise_on_a_debt_is_refused(debtor, debt, policy):
    promise_create(debtor=debtor, debt=debt, amount_minor=AMOUNT, promised_date=TODAY, today=TODAY)
    with pytest.raises(PromiseError, match="already a pending promise"):
        promise_create(
            debtor=debtor, debt=debt, amount_minor=AMOUNT, promised_date=TODAY, today=TODAY
        )


def test_debt_in_an_agreement_takes_no_promise(debtor, debt, policy):
    debt.status = DebtStatus.IN_AGREEMENT
    debt.save(update_fields=["status"])
    with pytest.raises(PromiseError, match="active debt"):
        promise_create(
            debtor=debtor, debt=debt, amount_minor=AMOUNT, promised_date=TODAY, today=TODAY
        )


def test_staff_promise_records_the_agent(debtor, debt, policy, agent):
    promise = promise_create(
        debtor=debtor,
        debt=debt,
        amount_minor=AMOUNT,
        promised_date=TODAY,
        source="call",
        actor=agent,
        today=TODAY,
    )
    assert (promise.source, promise.created_by) == ("call", agent)
    assert AuditEvent.objects.get(action="promise.created").actor_label == agent.username


@time_machine.travel(dt.datetime(2026, 11, 25, 23, 30, tzinfo=dt.UTC), tick=False)
def test_today_defaults_to_the_portfolio_date(debtor, debt, policy):
    # 23:30 UTC is still the 25th in Bogotá, so the 15-day window ends on 10 December.
    promise_create(
        debtor=debtor, debt=debt, amount_minor=AMOUNT, promised_date=dt.date(2026, 12, 10)
    )
    with pytest.raises(PromiseError, match="past"):
        promise_create(
            debtor=debtor, debt=debt, amount_minor=AMOUNT, promised_date=dt.date(2026, 11, 24)
        )


def test_below_the_policys_minimum_is_refused_naming_it(debtor, debt, policy):
    policy.min_promise_minor = 50_000_00
    policy.save(update_fields=["min_promise_minor"])

    with pytest.raises(PromiseError, match=r"at least \$50\.000"):
        promise_create(
            debtor=debtor, debt=debt, amount_minor=49_999_99, promised_date=TODAY, today=TODAY
        )
    promise_create(
        debtor=debtor, debt=debt, amount_minor=50_000_00, promised_date=TODAY, today=TODAY
    )

    assert AuditEvent.objects.filter(action="promise.created").count() == 1


@pytest.mark.parametrize("with_policy", [True, False])
def test_without_a_minimum_set_the_currencys_minimum_payment_applies(
    debtor, debt, stages, request, with_policy
):
    if with_policy:
        assert request.getfixturevalue("policy").min_promise_minor is None

    for amount in (1_50, 19_999_99):  # COP 1,50 is no promise
        with pytest.raises(PromiseError, match=r"at least \$20\.000"):
            promise_create(
                debtor=debtor, debt=debt, amount_minor=amount, promised_date=TODAY, today=TODAY
            )

    assert not AuditEvent.objects.filter(action="promise.created").exists()
    promise_create(
        debtor=debtor, debt=debt, amount_minor=20_000_00, promised_date=TODAY, today=TODAY
    )


def test_a_balance_below_the_minimum_may_be_promised_whole(debtor, debt, policy):
    small = DebtFactory(portfolio=debt.portfolio, debtor=debtor, account_ref="TC-102")
    ledger_post(debt=small, kind="charge", amount_minor=5_000_00)

    with pytest.raises(PromiseError, match=r"at least \$5\.000"):
        promise_create(
            debtor=debtor, debt=small, amount_minor=4_000_00, promised_date=TODAY, today=TODAY
        )
    promise = promise_create(
        debtor=debtor, debt=small, amount_minor=5_000_00, promised_date=TODAY, today=TODAY
    )

    assert promise.amount_minor == 5_000_00
