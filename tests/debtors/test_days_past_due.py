from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from portal.debtors.models import Debt
from portal.debtors.services import debts_refresh_days_past_due
from tests.factories import DebtFactory

pytestmark = pytest.mark.django_db

DUE = dt.date(2026, 9, 1)


def _debt(timezone: str) -> Debt:
    return DebtFactory(portfolio__timezone=timezone, original_due_date=DUE, days_past_due=-999)


def _dpd(debt: Debt) -> int:
    return Debt.objects.values_list("days_past_due", flat=True).get(pk=debt.pk)


@pytest.mark.parametrize(
    ("utc_now", "expected"),
    [
        # Bogotá is UTC-5: 04:59 UTC on the 2nd is still 23:59 on the due date there.
        (dt.datetime(2026, 9, 2, 4, 59, tzinfo=dt.UTC), 0),
        (dt.datetime(2026, 9, 2, 5, 0, tzinfo=dt.UTC), 1),
        (dt.datetime(2026, 8, 27, 12, 0, tzinfo=dt.UTC), -5),
        (dt.datetime(2026, 12, 31, 5, 0, tzinfo=dt.UTC), 121),
    ],
)
def test_days_past_due_counts_days_in_the_portfolio_timezone(utc_now, expected):
    debt = _debt("America/Bogota")
    with time_machine.travel(utc_now, tick=False):
        debts_refresh_days_past_due()
    assert _dpd(debt) == expected


def test_the_same_instant_is_a_different_day_for_portfolios_far_apart():
    bogota, tokyo = _debt("America/Bogota"), _debt("Asia/Tokyo")
    # 20:00 on the 1st in Bogotá is already 10:00 on the 2nd in Tokyo.
    with time_machine.travel(dt.datetime(2026, 9, 2, 1, 0, tzinfo=dt.UTC), tick=False):
        debts_refresh_days_past_due()
    assert (_dpd(bogota), _dpd(tokyo)) == (0, 1)


def test_explicit_now_wins_over_the_clock():
    debt = _debt("America/Bogota")
    debts_refresh_days_past_due(now=dt.datetime(2026, 10, 1, 12, 0, tzinfo=dt.UTC))
    assert _dpd(debt) == 30


def test_only_rows_whose_value_changed_are_counted():
    _debt("America/Bogota")
    _debt("America/Bogota")
    now = dt.datetime(2026, 9, 10, 12, 0, tzinfo=dt.UTC)
    assert debts_refresh_days_past_due(now=now) == 2
    assert debts_refresh_days_past_due(now=now) == 0
    assert debts_refresh_days_past_due(now=now + dt.timedelta(days=1)) == 2
