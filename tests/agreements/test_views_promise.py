"""Promise to pay: a date inside the policy and an amount, on one of the debtor's own debts."""

from __future__ import annotations

import datetime as dt

import pytest

from agreements.models import PromiseToPay
from portal.debtors.services import portfolio_today
from tests.helpers.access import sign_in

PROMISE = "/mi-cuenta/promesa/"


@pytest.fixture
def ana(client, debtor, debt, policy):
    sign_in(client, debtor)
    return client


def test_the_form_lists_only_the_debtors_debts(ana, debt, other_debtor):
    response = ana.get(PROMISE)

    assert response.status_code == 200
    assert list(response.context["form"].fields["debt"].queryset) == [debt]


def test_a_promise_inside_the_policy_is_registered(ana, debt, portfolio, debtor):
    date = portfolio_today(portfolio) + dt.timedelta(days=5)

    response = ana.post(
        PROMISE, {"debt": debt.pk, "amount": "250.000", "promised_date": date.isoformat()}
    )

    assert response.status_code == 302
    promise = PromiseToPay.objects.get()
    assert (promise.debtor, promise.debt, promise.amount_minor) == (debtor, debt, 250_000_00)
    assert promise.promised_date == date


def test_a_date_beyond_the_policy_is_a_400_with_the_reason(ana, debt, portfolio, policy):
    date = portfolio_today(portfolio) + dt.timedelta(days=policy.max_days_to_promise + 5)

    response = ana.post(
        PROMISE, {"debt": debt.pk, "amount": "250000", "promised_date": date.isoformat()}
    )

    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert not PromiseToPay.objects.exists()


def test_a_promise_below_the_minimum_is_a_400_naming_it(ana, debt, portfolio, policy):
    date = portfolio_today(portfolio) + dt.timedelta(days=5)

    response = ana.post(PROMISE, {"debt": debt.pk, "amount": "1,50", "promised_date": date})

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "El valor prometido debe ser de al menos $20.000."
    ]
    assert not PromiseToPay.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"amount": "", "promised_date": "2026-12-01"},
        {"amount": "abc", "promised_date": "2026-12-01"},
        {"amount": "1000", "promised_date": "mañana"},
    ],
)
def test_bad_input_is_a_400_and_writes_nothing(ana, debt, data):
    response = ana.post(PROMISE, {"debt": debt.pk, **data})

    assert response.status_code == 400
    assert not PromiseToPay.objects.exists()


def test_other_debtors_debt_cannot_be_promised(client, debt, portfolio, other_debtor):
    sign_in(client, other_debtor)
    date = portfolio_today(portfolio) + dt.timedelta(days=5)

    response = client.post(
        PROMISE, {"debt": debt.pk, "amount": "1000", "promised_date": date.isoformat()}
    )

    assert response.status_code == 400
    assert "debt" in response.context["form"].errors
    assert not PromiseToPay.objects.exists()
