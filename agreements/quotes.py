"""The quote engine: plain functions from balances, a policy and a date to offers.

Nothing here touches the database, so the arithmetic can be proven with property tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from portal.money import cash_unit

from .models import AgreementKind, Frequency, OfferPolicy
from .schedules import ScheduleLine, build_schedule

HARD_MAX_INSTALLMENTS = 72
PERIOD_DAYS = {Frequency.WEEKLY: 7, Frequency.BIWEEKLY: 14, Frequency.MONTHLY: 30}
# Share of monthly disposable income we suggest committing to a plan.
AFFORDABLE_SHARE = Decimal("0.5")


@dataclass(frozen=True)
class BalanceParts:
    """What is owed now, split so discounts can treat principal and the rest differently."""

    principal_minor: int
    interest_fees_minor: int
    currency: str

    @property
    def total_minor(self) -> int:
        return self.principal_minor + self.interest_fees_minor


def balance_parts(debts: Iterable) -> BalanceParts:
    """The debts' outstanding principal and the rest, as the ledger imputed them."""
    principal = rest = 0
    currencies = set()
    for debt in debts:
        balance = max(debt.balance_minor, 0)
        debt_principal = min(max(debt.principal_minor, 0), balance)
        principal += debt_principal
        rest += balance - debt_principal
        currencies.add(debt.currency)
    if len(currencies) != 1:
        raise ValueError("a quote covers debts in exactly one currency")
    return BalanceParts(principal, rest, currencies.pop())


def percent_of(amount_minor: int, pct: Decimal) -> int:
    """`pct`% of an amount, rounded down to the minor unit (a discount never overshoots)."""
    hundredths = int(Decimal(pct) * 100)
    return amount_minor * hundredths // 10_000


def percent_up(amount_minor: int, pct: Decimal) -> int:
    """`pct`% rounded up (a minimum down payment is never undershot)."""
    hundredths = int(Decimal(pct) * 100)
    return -(-amount_minor * hundredths // 10_000)


@dataclass(frozen=True)
class Offer:
    key: str
    kind: str
    installments: int  # regular installments, not counting the down payment
    frequency: str
    balance_minor: int
    discount_minor: int
    total_minor: int
    down_payment_minor: int
    first_due_date: dt.date
    as_of: dt.date
    cash_unit_minor: int = 1  # installments are whole multiples of it (see cash_unit)
    schedule: tuple[ScheduleLine, ...] = field(compare=False, default=())

    @property
    def installment_minor(self) -> int:
        regular = [line for line in self.schedule if line.number > 0]
        return regular[0].amount_minor if regular else 0

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("schedule")
        data["first_due_date"] = self.first_due_date.isoformat()
        data["as_of"] = self.as_of.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict) -> Offer:
        values = {
            **data,
            "first_due_date": dt.date.fromisoformat(data["first_due_date"]),
            "as_of": dt.date.fromisoformat(data["as_of"]),
        }
        return make_offer(**values)


def make_offer(
    *,
    key: str,
    kind: str,
    installments: int,
    frequency: str,
    balance_minor: int,
    discount_minor: int,
    total_minor: int,
    down_payment_minor: int,
    first_due_date: dt.date,
    as_of: dt.date,
    cash_unit_minor: int = 1,
) -> Offer:
    schedule = build_schedule(
        total_minor=total_minor,
        installments=installments,
        frequency=frequency or "monthly",
        first_due_date=first_due_date,
        down_payment_minor=down_payment_minor,
        today=as_of,
        unit=cash_unit_minor,
    )
    return Offer(
        key,
        kind,
        installments,
        frequency,
        balance_minor,
        discount_minor,
        total_minor,
        down_payment_minor,
        first_due_date,
        as_of,
        cash_unit_minor,
        tuple(schedule),
    )


def first_due_for(policy: OfferPolicy, frequency: str, today: dt.date) -> dt.date:
    """One period from today, but never later than the policy allows."""
    days = min(PERIOD_DAYS[Frequency(frequency)], policy.max_days_to_first_payment)
    return today + dt.timedelta(days=days)


def whole_total_discount(balance_minor: int, discount_minor: int, unit: int) -> int:
    """The discount lowered (never raised) until what is left to pay is whole cash units."""
    short = (-(balance_minor - discount_minor)) % unit
    return discount_minor - short if discount_minor >= short else discount_minor


def whole_up(amount_minor: int, unit: int, cap: int) -> int:
    """Rounded up to whole cash units, but never above `cap`."""
    return min(-(-amount_minor // unit) * unit, cap)


def lump_sum_offer(parts: BalanceParts, policy: OfferPolicy, today: dt.date) -> Offer:
    unit = cash_unit(parts.currency)
    discount = percent_of(parts.interest_fees_minor, policy.discount_interest_fees_pct)
    discount += percent_of(parts.principal_minor, policy.discount_principal_pct)
    discount = whole_total_discount(parts.total_minor, discount, unit)
    due = today + dt.timedelta(days=policy.max_days_to_first_payment)
    return make_offer(
        key="lump_sum",
        kind=AgreementKind.LUMP_SUM,
        installments=1,
        frequency="",
        balance_minor=parts.total_minor,
        discount_minor=discount,
        total_minor=parts.total_minor - discount,
        down_payment_minor=0,
        first_due_date=due,
        as_of=today,
        cash_unit_minor=unit,
    )


def plan_offer(
    parts: BalanceParts, policy: OfferPolicy, today: dt.date, *, installments: int, frequency: str
) -> Offer | None:
    """A plan of `installments` at the policy's minimum down payment, or None when its
    installments would fall below the policy's minimum amount."""
    total = parts.total_minor
    unit = cash_unit(parts.currency)
    down = whole_up(percent_up(total, policy.min_down_payment_pct), unit, total)
    per_installment = (total - down) // installments // unit * unit
    if per_installment < max(1, policy.min_installment_minor):
        return None
    return make_offer(
        key=f"plan-{frequency}-{installments}",
        kind=AgreementKind.PLAN,
        installments=installments,
        frequency=frequency,
        balance_minor=total,
        discount_minor=0,
        total_minor=total,
        down_payment_minor=down,
        first_due_date=first_due_for(policy, frequency, today),
        as_of=today,
        cash_unit_minor=unit,
    )


def quote_offers(parts: BalanceParts, policy: OfferPolicy, today: dt.date) -> list[Offer]:
    """Pay in full with the discount, then every plan of 2..N installments the policy allows."""
    if parts.total_minor <= 0:
        return []
    offers = [lump_sum_offer(parts, policy, today)]
    for frequency in Frequency.values:
        if frequency not in policy.allowed_frequencies:
            continue
        for n in range(2, min(policy.max_installments, HARD_MAX_INSTALLMENTS) + 1):
            offer = plan_offer(parts, policy, today, installments=n, frequency=frequency)
            if offer is None:
                break  # more installments only make each one smaller
            offers.append(offer)
    return offers
