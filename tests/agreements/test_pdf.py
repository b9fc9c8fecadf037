from __future__ import annotations

import datetime as dt
import hashlib
import io
import re

import pytest
from pypdf import PdfReader

from agreements.documents import agreement_pdf_render
from agreements.models import Agreement, AgreementDebt, Installment
from agreements.schedules import build_schedule
from agreements.tasks import render_agreement_pdf
from portal.audit.models import AuditEvent
from portal.debtors.models import DebtStatus
from portal.debtors.services import ledger_post
from portal.money import format_minor
from tests.factories import DebtFactory, DebtorFactory, PortfolioFactory

TERMS = "1. The debtor pays the schedule below.\n2. Late payments beyond the grace period break it."


def make_agreement(
    *,
    debtor,
    debts,
    installments: int = 6,
    frequency: str = "monthly",
    today: dt.date = dt.date(2026, 11, 25),
    first_due_date: dt.date | None = None,
    down_payment_minor: int = 0,
    discount_pct: int = 10,
    number: str | None = None,
) -> Agreement:
    """An agreement written by hand, the way the acceptance service will store one."""
    balances = [debt.balance_minor for debt in debts]
    discounts = [balance * discount_pct // 100 for balance in balances]
    total = sum(balances) - sum(discounts)
    agreement = Agreement.objects.create(
        number=number or f"AC-{debtor.pk:04d}-{debts[0].pk:04d}",
        debtor=debtor,
        portfolio=debts[0].portfolio,
        kind="plan" if installments > 1 else "lump_sum",
        currency=debts[0].currency,
        balance_minor=sum(balances),
        discount_minor=sum(discounts),
        total_minor=total,
        down_payment_minor=down_payment_minor,
        frequency=frequency,
        terms_version="2026-11",
        terms_text=TERMS,
        terms_sha256=hashlib.sha256(TERMS.encode()).hexdigest(),
        accepted_at=dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC),
        accepted_ip="190.24.1.7",
        accepted_user_agent="Mozilla/5.0 (Android 14) Firefox/133.0",
        payment_link_id=4242,
    )
    for debt, balance, discount in zip(debts, balances, discounts, strict=True):
        AgreementDebt.objects.create(
            agreement=agreement, debt=debt, balance_minor=balance, discount_minor=discount
        )
        debt.status = DebtStatus.IN_AGREEMENT
        debt.save(update_fields=["status"])
    for line in build_schedule(
        total_minor=total,
        installments=installments,
        frequency=frequency,
        first_due_date=first_due_date or today + dt.timedelta(days=30),
        down_payment_minor=down_payment_minor,
        today=today,
    ):
        Installment.objects.create(
            agreement=agreement,
            number=line.number,
            due_date=line.due_date,
            amount_minor=line.amount_minor,
        )
    return agreement


def pdf_text(data: bytes) -> str:
    """Text of every page with whitespace (including no-break spaces) collapsed."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", " ", text)


def money_text(amount_minor: int, currency: str = "COP", locale: str = "es_CO") -> str:
    return re.sub(r"\s+", " ", format_minor(amount_minor, currency, locale=locale))


@pytest.fixture
def portfolio(db):
    return PortfolioFactory(code="tarjetas", name="Tarjetas 2026", creditor__name="Banco Andino")


@pytest.fixture
def debtor(portfolio):
    return DebtorFactory(document_number="1020304050", full_name="Ana María Peña")


@pytest.fixture
def debts(portfolio, debtor):
    first = DebtFactory(portfolio=portfolio, debtor=debtor, account_ref="TC-100")
    second = DebtFactory(portfolio=portfolio, debtor=debtor, account_ref="LB-200")
    ledger_post(debt=first, kind="charge", amount_minor=1_060_000_00)
    ledger_post(debt=second, kind="charge", amount_minor=333_333_33)
    return [first, second]


@pytest.fixture
def agreement(debtor, debts):
    return make_agreement(
        debtor=debtor, debts=debts, installments=36, down_payment_minor=100_000_00
    )


def test_pdf_shows_every_schedule_row_and_the_totals(agreement):
    agreement_pdf_render(agreement_id=agreement.pk)
    agreement.refresh_from_db()
    text = pdf_text(agreement.pdf.read())

    installments = list(agreement.installments.order_by("number"))
    assert len(installments) == 37  # down payment + 36
    for installment in installments:
        row = f"{installment.due_date:%d/%m/%Y} {money_text(installment.amount_minor)}"  # es dates
        assert row in text, row
    for amount in (
        agreement.balance_minor,
        agreement.discount_minor,
        agreement.total_minor,
        agreement.down_payment_minor,
    ):
        assert money_text(amount) in text
    assert "Total a pagar" in text or "Total to pay" in text


def test_pdf_names_parties_debts_terms_and_evidence(agreement, debts):
    agreement_pdf_render(agreement_id=agreement.pk)
    agreement.refresh_from_db()
    text = pdf_text(agreement.pdf.read())

    for expected in (
        agreement.number,
        "Banco Andino",
        "Tarjetas 2026",
        "Ana María Peña",
        "CC 1020304050",
        "TC-100",
        "LB-200",
        money_text(debts[1].balance_minor),
        "190.24.1.7",
        "Firefox/133.0",
        "4242",
        "2026-11-25 04:30:00",  # 09:30 UTC in America/Bogota
        "UTC-0500",
        "The debtor pays the schedule below.",
    ):
        assert expected in text, expected
    # The hash is printed in a monospace cell that may wrap; compare without spaces.
    assert agreement.terms_sha256 in text.replace(" ", "")
    assert re.search(r"of 2|de 2|of 3|de 3", text)  # the page X of Y footer


def test_stored_hash_is_the_hash_of_the_stored_file(agreement):
    sha256 = agreement_pdf_render(agreement_id=agreement.pk)
    agreement.refresh_from_db()

    data = agreement.pdf.read()
    assert data.startswith(b"%PDF-")
    assert sha256 == agreement.pdf_sha256 == hashlib.sha256(data).hexdigest()
    assert agreement.pdf_rendered_at is not None
    # The number, then 96 random bits (16 URL-safe characters): a name nobody can guess.
    assert re.fullmatch(
        rf"agreements/2026/11/{agreement.number}-[\w-]{{16}}\.pdf", agreement.pdf.name
    )
    event = AuditEvent.objects.get(action="agreement.pdf_rendered")
    assert event.subject_id == str(agreement.pk)
    assert event.details["sha256"] == sha256


def test_second_render_returns_the_stored_hash_and_renders_nothing(agreement):
    first = render_agreement_pdf.delay(agreement.pk).get()
    agreement.refresh_from_db()
    name, rendered_at = agreement.pdf.name, agreement.pdf_rendered_at

    assert agreement_pdf_render(agreement_id=agreement.pk) == first
    agreement.refresh_from_db()
    assert (agreement.pdf.name, agreement.pdf_rendered_at) == (name, rendered_at)
    assert AuditEvent.objects.filter(action="agreement.pdf_rendered").count() == 1


def test_pdf_is_in_the_debtors_language(debtor, debts):
    debtor.language = "en"
    debtor.save(update_fields=["language"])
    agreement = make_agreement(debtor=debtor, debts=debts, installments=3)
    agreement_pdf_render(agreement_id=agreement.pk)
    agreement.refresh_from_db()
    text = pdf_text(agreement.pdf.read())

    assert "Payment schedule" in text
    assert "Monthly" in text
    assert money_text(agreement.total_minor, locale="en_US") in text
