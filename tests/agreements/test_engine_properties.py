"""Property tests for the quote engine: sums, bounds and dates hold for any input."""

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from agreements.models import OfferPolicy
from agreements.quotes import BalanceParts, percent_of, quote_offers
from agreements.schedules import add_months, build_schedule, nth_due_date, split_evenly

dates = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2035, 12, 31))
frequencies = st.sampled_from(["weekly", "biweekly", "monthly"])
percents = st.decimals(min_value=0, max_value=100, places=2)


@given(total=st.integers(0, 10**13), parts=st.integers(1, 72))
def test_split_sums_exactly_with_the_remainder_last(total, parts):
    amounts = split_evenly(total, parts)
    assert sum(amounts) == total and len(amounts) == parts
    assert len(set(amounts[:-1])) <= 1
    assert 0 <= amounts[-1] - amounts[0] < parts


@given(total=st.integers(0, 10**13), parts=st.integers(1, 72), unit=st.sampled_from([1, 100]))
def test_split_in_whole_cash_units_puts_the_rest_on_the_last(total, parts, unit):
    amounts = split_evenly(total, parts, unit)
    assert sum(amounts) == total and len(amounts) == parts
    assert len(set(amounts[:-1])) <= 1
    if total // parts >= unit:
        assert all(a % unit == 0 for a in amounts[:-1])
        assert 0 <= amounts[-1] - amounts[0] < parts * unit
        if total % unit == 0:
            assert amounts[-1] % unit == 0


@given(anchor=dates, months=st.integers(0, 120))
def test_add_months_clamps_to_month_end_and_keeps_the_anchor_day(anchor, months):
    result = add_months(anchor, months)
    assert (result.year * 12 + result.month) - (anchor.year * 12 + anchor.month) == months
    assert (
        result.day == anchor.day
        or result.day < anchor.day
        and ((result + dt.timedelta(days=1)).month != result.month)
    )


@given(
    total=st.integers(1, 10**12),
    n=st.integers(1, 72),
    frequency=frequencies,
    today=dates,
    delay=st.integers(0, 120),
    down_pct=st.integers(0, 99),
)
def test_schedule_sums_to_total_and_never_falls_before_today(
    total, n, frequency, today, delay, down_pct
):
    down = total * down_pct // 100
    first = today + dt.timedelta(days=delay)
    if total - down < n:
        return
    lines = build_schedule(
        total_minor=total,
        installments=n,
        frequency=frequency,
        first_due_date=first,
        down_payment_minor=down,
        today=today,
    )
    assert sum(line.amount_minor for line in lines) == total
    assert all(line.due_date >= today for line in lines)
    regular = [line for line in lines if line.number > 0]
    assert len(regular) == n and regular[0].due_date == first
    assert all(a.due_date <= b.due_date for a, b in zip(lines, lines[1:], strict=False))
    assert all(a.due_date < b.due_date for a, b in zip(regular, regular[1:], strict=False))
    assert all(line.amount_minor > 0 for line in lines)


@given(first=dates, n=st.integers(1, 71))
def test_monthly_dates_stay_on_the_anchor_day_when_the_month_has_it(first, n):
    due = nth_due_date(first, "monthly", n)
    if first.day <= 28:
        assert due.day == first.day


def _policy(**overrides) -> OfferPolicy:
    values = {
        "name": "p",
        "discount_interest_fees_pct": Decimal("40"),
        "discount_principal_pct": Decimal("10"),
        "max_installments": 24,
        "min_down_payment_pct": Decimal("10"),
        "min_installment_minor": 50_000_00,
        "allowed_frequencies": ["monthly", "biweekly"],
        "max_days_to_first_payment": 20,
        "quote_validity_days": 7,
    }
    values.update(overrides)
    return OfferPolicy(**values)


@settings(max_examples=60, deadline=None)
@given(
    principal=st.integers(0, 10**11),
    rest=st.integers(0, 10**10),
    today=dates,
    pct_if=percents,
    pct_p=percents,
    max_n=st.integers(1, 36),
    min_installment=st.integers(0, 10**8),
    down=st.integers(0, 90),
)
def test_every_offer_respects_the_policy(
    principal, rest, today, pct_if, pct_p, max_n, min_installment, down
):
    policy = _policy(
        discount_interest_fees_pct=pct_if,
        discount_principal_pct=pct_p,
        max_installments=max_n,
        min_installment_minor=min_installment,
        min_down_payment_pct=Decimal(down),
    )
    parts = BalanceParts(principal, rest, "COP")
    offers = quote_offers(parts, policy, today)
    if parts.total_minor == 0:
        assert offers == []
        return
    lump = offers[0]
    assert lump.kind == "lump_sum"
    # The policy's discount, lowered by less than one peso so the total is whole pesos.
    policy_discount = percent_of(rest, pct_if) + percent_of(principal, pct_p)
    assert policy_discount - 100 < lump.discount_minor <= policy_discount
    assert 0 <= lump.discount_minor <= parts.total_minor
    for offer in offers:
        assert sum(line.amount_minor for line in offer.schedule) == offer.total_minor
        assert offer.total_minor == offer.balance_minor - offer.discount_minor
        assert all(line.due_date >= today for line in offer.schedule)
        assert offer.first_due_date <= today + dt.timedelta(days=policy.max_days_to_first_payment)
        if offer.kind == "plan":
            assert 2 <= offer.installments <= max_n
            assert offer.frequency in policy.allowed_frequencies
            assert offer.discount_minor == 0
            assert offer.down_payment_minor * 100 >= parts.total_minor * down
            regular = [line.amount_minor for line in offer.schedule if line.number > 0]
            assert min(regular) >= max(1, min_installment)


@settings(max_examples=60, deadline=None)
@given(
    pesos=st.integers(1, 10**9),
    centavos=st.integers(0, 99),
    share=st.integers(0, 100),
    today=dates,
    pct_if=percents,
    pct_p=percents,
    max_n=st.integers(2, 36),
    down=st.integers(0, 90),
)
def test_cop_offers_are_in_whole_pesos_with_any_centavos_on_the_last_line(
    pesos, centavos, share, today, pct_if, pct_p, max_n, down
):
    """COP is paid without centavos: discounts, down payments and installments are whole
    pesos; a balance with centavos leaves them on the last installment (or the lump sum
    discount absorbs them)."""
    policy = _policy(
        discount_interest_fees_pct=pct_if,
        discount_principal_pct=pct_p,
        max_installments=max_n,
        min_installment_minor=100,
        min_down_payment_pct=Decimal(down),
    )
    total = pesos * 100 + centavos
    principal = total * share // 100
    offers = quote_offers(BalanceParts(principal, total - principal, "COP"), policy, today)
    for offer in offers:
        lines = [line.amount_minor for line in offer.schedule]
        assert sum(lines) == offer.total_minor
        assert all(amount % 100 == 0 for amount in lines[:-1])
        if offer.kind == "plan":
            assert offer.down_payment_minor % 100 == 0 or offer.down_payment_minor == total
        if centavos == 0 or offer.discount_minor >= 100:
            assert offer.total_minor % 100 == 0 or offer.kind == "plan"
        if centavos == 0:
            assert all(amount % 100 == 0 for amount in lines)
