"""The demo's book: one creditor, one COP portfolio, ~60 debtors with ledger history, and
the staff admin.

Deterministic (fixed seed) and idempotent: natural keys decide what already exists, and
history is only written for debts created in this run.
"""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.db import transaction

from portal.debtors.imputation import Parts
from portal.debtors.models import Creditor, Debt, Debtor, DocumentType, LedgerKind, Portfolio
from portal.debtors.services import days_past_due, ledger_post, portfolio_today
from portal.debtors.stages import default_stages_ensure

from .payment_methods import seed_demo_payment_methods

DEMO_PORTFOLIO_CODE = "demo-cop"
DEMO_ADMIN_USERNAME = "admin"

# Days past due drawn per stage so every band holds debts.
_DPD_RANGES = [(-10, 0), (1, 30), (31, 90), (91, 180), (181, 540)]

_FIRST = [
    "María",
    "José",
    "Luisa",
    "Carlos",
    "Ana",
    "Andrés",
    "Paula",
    "Jorge",
    "Diana",
    "Camilo",
    "Sofía",
    "Julián",
    "Valentina",
    "Sebastián",
    "Natalia",
    "Felipe",
]
_LAST = [
    "Rodríguez",
    "Gómez",
    "Martínez",
    "López",
    "García",
    "Hernández",
    "Pérez",
    "Díaz",
    "Moreno",
    "Ramírez",
    "Torres",
    "Rojas",
    "Vargas",
    "Peña",
    "Castro",
    "Ospina",
]


def _ensure_admin(password: str) -> None:
    user, _ = get_user_model().objects.get_or_create(
        username=DEMO_ADMIN_USERNAME,
        defaults={"email": "admin@agencia.example", "is_staff": True, "is_superuser": True},
    )
    # Reset each time so the credentials printed by seed_demo always work.
    user.is_staff = user.is_superuser = True
    user.set_password(password)
    user.save()


def _history(debt: Debt, rng: random.Random, today: dt.date) -> None:
    """Opening charge, then a plausible mix of payments, discounts and adjustments."""
    statement = Parts(debt.principal_due_minor, debt.interest_due_minor, debt.fees_due_minor)
    total = statement.total
    ledger_post(
        debt=debt,
        kind=LedgerKind.CHARGE,
        amount_minor=total,
        effective_date=debt.original_due_date,
        description="Saldo asignado",
        parts=statement,
    )
    for month in range(rng.randint(0, 5)):
        when = min(today, debt.original_due_date + dt.timedelta(days=20 + 30 * month))
        paid = rng.randint(5, 15) * total // 100 // 100 * 100
        if paid and debt.balance_minor > paid:
            ledger_post(
                debt=debt,
                kind=LedgerKind.PAYMENT,
                amount_minor=-paid,
                effective_date=when,
                description="Pago en oficina",
            )
    if rng.random() < 0.2:
        ledger_post(
            debt=debt,
            kind=LedgerKind.CHARGE,
            amount_minor=rng.randint(10, 50) * 1000_00,
            effective_date=today,
            description="Intereses de mora del periodo",
            component="interest",
        )
    if rng.random() < 0.1 and debt.balance_minor > 100_000_00:
        ledger_post(
            debt=debt,
            kind=LedgerKind.DISCOUNT,
            amount_minor=-50_000_00,
            effective_date=today,
            description="Condonación de gastos de cobranza",
        )


@transaction.atomic
def book_seed(*, debtors: int, admin_password: str) -> tuple[Portfolio, int, int]:
    """(portfolio, debtors created, debts created)."""
    rng = random.Random(20261125)
    default_stages_ensure()
    _ensure_admin(admin_password)
    creditor, _ = Creditor.objects.get_or_create(
        name="Banco Andino S.A. (demo)", defaults={"tax_id": "900123456-8"}
    )
    portfolio, _ = Portfolio.objects.get_or_create(
        code=DEMO_PORTFOLIO_CODE,
        defaults={
            "creditor": creditor,
            "name": "Tarjetas de crédito — demo",
            "currency": "COP",
            "timezone": "America/Bogota",
            "country": "CO",
            "terms_text": "Acuerdo de pago sujeto a las condiciones del acreedor.",
        },
    )
    seed_demo_payment_methods(portfolio)
    today = portfolio_today(portfolio)
    debtors_created = debts_created = 0
    for i in range(debtors):
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)} {rng.choice(_LAST)}"
        debtor, created = Debtor.objects.get_or_create(
            document_type=DocumentType.CC,
            document_number=str(52_000_000 + i * 7919),
            defaults={
                "full_name": name,
                "birth_date": dt.date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
                "phones": [f"+57300{1_000_000 + i * 37:07d}"],
                "emails": [f"deudor{i:02d}@example.com"],
                "language": "en" if i % 10 == 9 else "es",
            },
        )
        debtors_created += created
        low, high = _DPD_RANGES[i % len(_DPD_RANGES)]
        due = today - dt.timedelta(days=rng.randint(low, high))
        principal = rng.randint(3, 120) * 50_000_00
        debt, created = Debt.objects.get_or_create(
            portfolio=portfolio,
            account_ref=f"TC-{4_500_000 + i}",
            defaults={
                "debtor": debtor,
                "currency": portfolio.currency,
                "principal_due_minor": principal,
                "interest_due_minor": principal * rng.randint(5, 30) // 100,
                "fees_due_minor": rng.choice([0, 25_000_00, 60_000_00]),
                "original_due_date": due,
                "days_past_due": days_past_due(due, today),
            },
        )
        if created:
            debts_created += 1
            _history(debt, rng, today)
    return portfolio, debtors_created, debts_created
