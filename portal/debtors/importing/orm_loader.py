"""Portable loader: one row at a time through the ORM (SQLite, and tests on PostgreSQL).

It must give exactly what the set-based PostgreSQL loader gives: a debtor ends with
the last row's name, the last given birth date, language and state, and its phones and emails
extended in file order; counts, ledger entries and balances are the same.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ..imputation import Parts, statement_change
from ..models import Debt, Debtor, LedgerEntry, LedgerKind, Portfolio
from .parsing import RowReader
from .values import ImportRow, RowError

CHARGE_DESCRIPTION = "Saldo asignado por importación"
ADJUSTMENT_DESCRIPTION = "Ajuste de saldo por importación"
OTHER_DEBTOR = gettext_noop("account_ref already belongs to another debtor in this portfolio")


def _snapshot(debtor: Debtor) -> tuple:
    return (
        debtor.full_name,
        debtor.birth_date,
        debtor.language,
        debtor.state,
        list(debtor.phones),
        list(debtor.emails),
    )


def _merge(debtor: Debtor, row: ImportRow) -> None:
    debtor.full_name = row.full_name
    if row.birth_date is not None:
        debtor.birth_date = row.birth_date
    if row.language:
        debtor.language = row.language
    if row.state:
        debtor.state = row.state
    if row.phone and row.phone not in debtor.phones:
        debtor.phones = [*debtor.phones, row.phone]
    if row.email and row.email not in debtor.emails:
        debtor.emails = [*debtor.emails, row.email]


def load(
    *,
    portfolio: Portfolio,
    reader: RowReader,
    today: dt.date,
    now: dt.datetime,
    actor: Any,
    consents: list | None = None,
) -> tuple[int, int]:
    """Upsert every valid row; return (debts created, existing debts changed).

    `consents` receives (debtor id, consent code, line) for each row that gives consent.
    """
    created_by = actor if getattr(actor, "is_staff", False) else None
    debtors: dict[tuple[str, str], Debtor] = {}
    snapshots: dict[int, tuple] = {}
    existing_debtor_ids: set[int] = set()
    existing_debts: list[tuple[int, bool]] = []  # (debtor id, debt changed)
    imported = 0
    for row in reader:
        key = (row.document_type, row.document_number)
        debt = (
            Debt.objects.select_related("debtor")
            .filter(portfolio=portfolio, account_ref=row.account_ref)
            .first()
        )
        if debt is not None and (debt.debtor.document_type, debt.debtor.document_number) != key:
            reader.reject([RowError(row.line, "account_ref", _(OTHER_DEBTOR))])
            continue

        debtor = debtors.get(key)
        if debtor is None:
            debtor = Debtor.objects.filter(document_type=key[0], document_number=key[1]).first()
            if debtor is None:
                debtor = Debtor(document_type=key[0], document_number=key[1], phones=[], emails=[])
                _merge(debtor, row)
                debtor.save()
            else:
                existing_debtor_ids.add(debtor.pk)
            snapshots[debtor.pk] = _snapshot(debtor)
            debtors[key] = debtor
        _merge(debtor, row)
        if row.consent and consents is not None:
            consents.append((debtor.pk, row.consent, row.line))

        statement = Parts(row.principal_minor, row.interest_minor, row.fees_minor)
        total = statement.total
        values = {
            "principal_due_minor": row.principal_minor,
            "interest_due_minor": row.interest_minor,
            "fees_due_minor": row.fees_minor,
            "original_due_date": row.due_date,
            "currency": portfolio.currency,
        }
        if debt is None:
            debt = Debt.objects.create(
                portfolio=portfolio,
                debtor=debtor,
                account_ref=row.account_ref,
                balance_minor=total,
                principal_minor=statement.principal,
                interest_minor=statement.interest,
                fees_minor=statement.fees,
                days_past_due=(today - row.due_date).days,
                **values,
            )
            if total:
                _post(debt, LedgerKind.CHARGE, statement, CHARGE_DESCRIPTION, today, created_by)
            imported += 1
            continue
        changed = any(getattr(debt, name) != value for name, value in values.items())
        if changed:
            split = statement_change(debt.statement, statement, debt.outstanding)
            debt.currency = portfolio.currency
            Debt.objects.filter(pk=debt.pk).update(
                **values,
                days_past_due=(today - row.due_date).days,
                balance_minor=F("balance_minor") + split.total,
                principal_minor=F("principal_minor") + split.principal,
                interest_minor=F("interest_minor") + split.interest,
                fees_minor=F("fees_minor") + split.fees,
                updated_at=now,
            )
            # A shift between components with the same total is still an entry (of zero):
            # the ledger explains every component's movement.
            if any(split):
                _post(
                    debt,
                    LedgerKind.ADJUSTMENT,
                    split,
                    ADJUSTMENT_DESCRIPTION,
                    today,
                    created_by,
                )
        existing_debts.append((debt.debtor_id, changed))

    changed_debtors = set()
    for debtor in debtors.values():
        if _snapshot(debtor) != snapshots[debtor.pk]:
            Debtor.objects.filter(pk=debtor.pk).update(
                full_name=debtor.full_name,
                birth_date=debtor.birth_date,
                language=debtor.language,
                state=debtor.state,
                phones=debtor.phones,
                emails=debtor.emails,
                updated_at=now,
            )
            if debtor.pk in existing_debtor_ids:
                changed_debtors.add(debtor.pk)
    updated = sum(
        1 for debtor_id, changed in existing_debts if changed or debtor_id in changed_debtors
    )
    return imported, updated


def _post(
    debt: Debt, kind: str, split: Parts, description: str, today: dt.date, created_by: Any
) -> None:
    """Write a ledger entry whose amount the caller has already added to the balance."""
    # Not services.ledger_post: that writes one audit event per entry, and an import
    # writes one event for the whole file. The balance is set in the same transaction.
    LedgerEntry.objects.create(
        debt=debt,
        kind=kind,
        amount_minor=split.total,
        principal_minor=split.principal,
        interest_minor=split.interest,
        fees_minor=split.fees,
        currency=debt.currency,
        effective_date=today,
        description=description,
        created_by=created_by,
    )
