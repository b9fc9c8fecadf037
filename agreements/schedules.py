"""Installment schedules: exact integer amounts and calendar-safe due dates."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from .models import Frequency

_DAYS = {Frequency.WEEKLY: 7, Frequency.BIWEEKLY: 14}


@dataclass(frozen=True)
class ScheduleLine:
    number: int  # 0 is the down payment
    due_date: dt.date
    amount_minor: int


def add_months(anchor: dt.date, months: int) -> dt.date:
    """Same day-of-month `months` later, clamped to the month's end (31 Jan → 28/29 Feb).

    Always counted from the anchor, so a plan started on the 31st comes back to the 31st
    whenever the month has one instead of drifting to the 28th.
    """
    month_index = anchor.month - 1 + months
    year, month = anchor.year + month_index // 12, month_index % 12 + 1
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)


def nth_due_date(first: dt.date, frequency: str, n: int) -> dt.date:
    """Due date of the n-th installment (0-based) of a plan whose first falls on `first`."""
    if frequency == Frequency.MONTHLY:
        return add_months(first, n)
    return first + dt.timedelta(days=_DAYS[Frequency(frequency)] * n)


def split_evenly(total_minor: int, parts: int, unit: int = 1) -> list[int]:
    """`parts` amounts summing exactly to `total_minor`; the remainder goes on the last.

    Each but the last is a whole number of `unit` (minor units per cash unit: 100 for COP,
    whose centavos nobody pays), so what a debtor sees adds up without hidden cents.
    """
    if parts < 1:
        raise ValueError("at least one installment")
    if total_minor < 0:
        raise ValueError("a total cannot be negative")
    base = total_minor // parts
    if base >= unit:  # a plan too small for whole units keeps its exact split
        base = base // unit * unit
    return [base] * (parts - 1) + [total_minor - base * (parts - 1)]


def build_schedule(
    *,
    total_minor: int,
    installments: int,
    frequency: str,
    first_due_date: dt.date,
    down_payment_minor: int = 0,
    today: dt.date,
    unit: int = 1,
) -> list[ScheduleLine]:
    """Down payment (if any) due today, then `installments` regular payments.

    The down payment is line 0 and is not counted in `installments`.
    """
    if first_due_date < today:
        raise ValueError("the first payment cannot be before today")
    if not 0 <= down_payment_minor <= total_minor:
        raise ValueError("the down payment must be between zero and the total")
    lines = []
    if down_payment_minor:
        lines.append(ScheduleLine(0, today, down_payment_minor))
    amounts = split_evenly(total_minor - down_payment_minor, installments, unit)
    for index, amount in enumerate(amounts):
        lines.append(
            ScheduleLine(index + 1, nth_due_date(first_due_date, frequency, index), amount)
        )
    return lines
