from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from portal.audit.services import record
from portal.db import days_between_sql

from .models import Debt, Debtor, Language, LedgerEntry, LedgerKind, Portfolio

# Which way each kind may move the balance: +1 raises it, -1 lowers it, 0 either way.
_KIND_SIGN = {
    LedgerKind.CHARGE: 1,
    LedgerKind.PAYMENT: -1,
    LedgerKind.DISCOUNT: -1,
    LedgerKind.ADJUSTMENT: 0,
    LedgerKind.REFUND: 1,
    LedgerKind.REVERSAL: 0,
}


class LedgerError(ValueError):
    pass


@transaction.atomic
def ledger_post(
    *,
    debt: Debt,
    kind: str,
    amount_minor: int,
    effective_date: dt.date | None = None,
    description: str = "",
    actor=None,
) -> LedgerEntry:
    """Add one ledger entry and move the debt's balance by the same amount, atomically."""
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool):
        raise LedgerError("amount_minor must be an integer number of minor units")
    if amount_minor == 0:
        raise LedgerError("a ledger entry cannot be zero")
    sign = _KIND_SIGN[LedgerKind(kind)]
    if sign and (amount_minor > 0) != (sign > 0):
        raise LedgerError(f"a {kind} must be {'positive' if sign > 0 else 'negative'}")
    locked = Debt.objects.select_for_update().only("id", "currency").get(pk=debt.pk)
    entry = LedgerEntry.objects.create(
        debt=locked,
        kind=kind,
        amount_minor=amount_minor,
        currency=locked.currency,
        effective_date=effective_date or timezone.localdate(),
        description=description,
        created_by=actor if getattr(actor, "is_staff", False) else None,
    )
    Debt.objects.filter(pk=locked.pk).update(balance_minor=F("balance_minor") + amount_minor)
    debt.refresh_from_db(fields=["balance_minor"])
    record(
        "ledger.posted",
        actor=actor,
        subject=debt,
        details={
            "entry_id": entry.pk,
            "kind": kind,
            "amount_minor": amount_minor,
            "currency": locked.currency,
            "balance_minor": debt.balance_minor,
        },
    )
    return entry


def days_past_due(due_date: dt.date, today: dt.date) -> int:
    """Negative before the due date (preventive stage), zero on it, positive after."""
    return (today - due_date).days


def portfolio_today(portfolio: Portfolio, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(ZoneInfo(portfolio.timezone)).date()


def debts_refresh_days_past_due(*, now: dt.datetime | None = None) -> int:
    """Recompute days past due for every debt from its due date, per portfolio timezone.

    One UPDATE per portfolio (a handful), touching only rows whose value changed.
    """
    elapsed = days_between_sql("%s", "original_due_date")
    changed = 0
    with connection.cursor() as cursor:
        for portfolio in Portfolio.objects.only("id", "timezone"):
            today = portfolio_today(portfolio, now)
            cursor.execute(
                f"UPDATE debtors_debt SET days_past_due = {elapsed} "
                f"WHERE portfolio_id = %s AND days_past_due <> {elapsed}",
                [today, portfolio.pk, today],
            )
            changed += cursor.rowcount
    return changed


@transaction.atomic
def debtor_language_set(*, debtor: Debtor, language: str) -> bool:
    """The debtor chose the language of their pages and messages; True if it changed."""
    if language not in Language.values:
        raise ValueError(f"unknown language {language!r}")
    if debtor.language == language:
        return False
    previous = debtor.language
    debtor.language = language
    debtor.save(update_fields=["language"])
    record(
        "debtor.language_changed",
        actor=debtor,
        subject=debtor,
        details={"from": previous, "to": language},
    )
    return True
