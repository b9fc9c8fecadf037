"""One debt, four screens, the same numbers: after a later interest charge and a payment
(imputed interest first), the dashboard, the agreement PDF, the receipt and the staff
debt page all show principal, interest and fees that add up to the balance."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from agreements.documents import agreement_pdf_render
from payments.models import Payment
from payments.receipts import receipt_pdf_bytes
from portal.debtors.services import ledger_post
from tests.factories import intent_payload
from tests.helpers.access import sign_in
from tests.helpers.payments import accept_offer, started
from tests.localstripe import make_event

pytestmark = pytest.mark.django_db

# Assigned 1.000.000 + 50.000 + 10.000; 14.000 more interest; 100.000 paid: 64.000 to
# interest, 10.000 to fees, 26.000 to principal.
PRINCIPAL, INTEREST, FEES, BALANCE = "$974.000", "$0", "$0", "$974.000"


@pytest.fixture
def paid(deliver, debt) -> Payment:
    ledger_post(debt=debt, kind="charge", amount_minor=14_000_00, component="interest")
    attempt = started(debt.debtor, f"free-{debt.pk}", 100_000_00)
    assert (
        deliver(make_event("payment_intent.succeeded", intent_payload(attempt))).status_code == 200
    )
    debt.refresh_from_db()
    assert (debt.principal_minor, debt.interest_minor, debt.fees_minor) == (974_000_00, 0, 0)
    return Payment.objects.get(stripe_payment_intent_id=attempt.stripe_payment_intent_id)


def text_of(data: bytes) -> str:
    pages = PdfReader(io.BytesIO(data)).pages
    return re.sub(r"\s+", " ", "\n".join(page.extract_text() for page in pages))


def test_the_dashboard_shows_parts_that_add_up(client, paid, debt):
    sign_in(client, debt.debtor)
    body = re.sub(r"\s+", " ", client.get("/mi-cuenta/").content.decode())
    figures = re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", body)
    assert figures[:4] == [
        ("Capital", PRINCIPAL),
        ("Intereses", INTEREST),
        ("Gastos de cobranza", FEES),
        ("Saldo hoy", BALANCE),
    ]


def test_the_receipt_shows_how_the_payment_was_imputed(paid):
    text = text_of(receipt_pdf_bytes(paid))
    assert "TC-100" in text
    assert "$64.000 $10.000 $26.000 $100.000" in text  # interest, fees, principal, total


def test_the_agreement_pdf_shows_the_parts_of_the_balance_it_took(paid, debt, policy):
    agreement = accept_offer(debt.debtor, "plan-monthly-3")
    agreement_pdf_render(agreement_id=agreement.pk)
    agreement.refresh_from_db()
    text = text_of(agreement.pdf.read())
    assert f"TC-100 {PRINCIPAL} {INTEREST} {FEES} {BALANCE}" in text


def test_the_staff_debt_page_shows_the_same_parts(admin_client, paid, debt):
    page = admin_client.get(reverse("admin:debtors_debt_change", args=[debt.pk])).content.decode()
    shown = dict(
        re.findall(r'<label>([^<:]+):</label>\s*<div class="readonly">([^<]+)</div>', page)
    )
    assert shown["Capital pendiente"] == PRINCIPAL
    assert shown["Intereses pendientes"] == INTEREST
    assert shown["Gastos de cobranza pendientes"] == FEES
    assert shown["Saldo"] == BALANCE
