from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone

from portal.audit.services import record
from portal.db import days_between_sql
from portal.pagecache import debtor_pages_all_changed

from .imputation import COMPONENTS, Parts, impute, on_component, undo
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
    component: str = "principal",
    parts: Parts | None = None,
    reverses: LedgerEntry | None = None,
) -> LedgerEntry:
    """Add one ledger entry and move the debt's balance and components by it, atomically.

    An increase lands on `component` (or splits as `parts`, e.g. an opening charge from
    a statement); a reduction is imputed interest, fees, then principal; a refund or
    reversal names the entry it undoes in `reverses` and gives back what that imputed.
    """
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool):
        raise LedgerError("amount_minor must be an integer number of minor units")
    if amount_minor == 0:
        raise LedgerError("a ledger entry cannot be zero")
    kind = LedgerKind(kind)
    sign = _KIND_SIGN[kind]
    if sign and (amount_minor > 0) != (sign > 0):
        raise LedgerError(f"a {kind} must be {'positive' if sign > 0 else 'negative'}")
    locked = (
        Debt.objects.select_for_update()
        .only("id", "currency", "principal_minor", "interest_minor", "fees_minor")
        .get(pk=debt.pk)
    )
    split = _split(locked, kind, amount_minor, component, parts, reverses)
    entry = LedgerEntry.objects.create(
        debt=locked,
        kind=kind,
        amount_minor=amount_minor,
        currency=locked.currency,
        effective_date=effective_date or timezone.localdate(),
        description=description,
        principal_minor=split.principal,
        interest_minor=split.interest,
        fees_minor=split.fees,
        reverses=reverses,
        created_by=actor if getattr(actor, "is_staff", False) else None,
    )
    Debt.objects.filter(pk=locked.pk).update(
        balance_minor=F("balance_minor") + amount_minor,
        principal_minor=F("principal_minor") + split.principal,
        interest_minor=F("interest_minor") + split.interest,
        fees_minor=F("fees_minor") + split.fees,
    )
    # Read under the row lock and moved by this UPDATE alone, so the new values are known;
    # the parts sum to the balance (a CHECK).
    debt.principal_minor = locked.principal_minor + split.principal
    debt.interest_minor = locked.interest_minor + split.interest
    debt.fees_minor = locked.fees_minor + split.fees
    debt.balance_minor = debt.principal_minor + debt.interest_minor + debt.fees_minor
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
            "parts": list(split),
            **({"reverses": reverses.pk} if reverses else {}),
        },
    )
    return entry


def _split(
    debt: Debt,
    kind: LedgerKind,
    amount: int,
    component: str,
    parts: Parts | None,
    reverses: LedgerEntry | None,
) -> Parts:
    if kind in (LedgerKind.REFUND, LedgerKind.REVERSAL):
        if reverses is None:
            raise LedgerError(f"a {kind} must name the entry it undoes")
        if reverses.debt_id != debt.pk:
            raise LedgerError(f"a {kind} undoes an entry of the same debt")
        earlier = reverses.reversed_by.aggregate(
            p=Sum("principal_minor"), i=Sum("interest_minor"), f=Sum("fees_minor")
        )
        remaining = reverses.parts + Parts(*(earlier[k] or 0 for k in "pif"))
        try:
            return undo(amount, remaining, debt.outstanding)
        except ValueError as error:
            raise LedgerError(str(error)) from error
    if reverses is not None:
        raise LedgerError(f"a {kind} does not undo another entry")
    if parts is not None:
        if parts.total != amount or any((p > 0 and amount < 0) or (p < 0 < amount) for p in parts):
            raise LedgerError("the parts must add up to the amount, each the same way")
        return Parts(*parts)
    if amount > 0:
        if component not in COMPONENTS:
            raise LedgerError(f"unknown component {component!r}")
        return on_component(amount, component)
    return impute(amount, debt.outstanding)


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
    if changed:
        debtor_pages_all_changed()
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
