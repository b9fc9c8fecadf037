"""Every notice renders from its one template folder, in Spanish and in English: subject,
text and HTML for email, and the SMS text where it has one."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils.html import escape

from portal.outreach.notices import NOTICES
from portal.outreach.rendering import render_notice

DUE = dt.date(2026, 11, 27)
debtor = SimpleNamespace(full_name="Ana María Peña")
agreement = SimpleNamespace(
    number="AC-7", currency="COP", total_minor=900_000_00, discount_minor=100_000_00
)
installments = [
    SimpleNamespace(number=0, amount_minor=300_000_00, due_date=DUE),
    SimpleNamespace(number=1, amount_minor=600_000_00, due_date=DUE + dt.timedelta(days=30)),
]
proposal = SimpleNamespace(
    installments=4,
    currency="COP",
    balance_minor=1_060_000_00,
    down_payment_minor=212_000_00,
    first_due_date=DUE,
    counter_installments=6,
    get_counter_frequency_display="monthly",
    counter_down_payment_minor=212_000_00,
    counter_first_due_date=DUE,
    decision_reason="Con 6 cuotas lo aprobamos.",
)
attempt = SimpleNamespace(amount_minor=50_000_00, currency="COP")
payment = SimpleNamespace(
    amount_minor=60_000_00, currency="COP", number="P-000123", agreement=agreement
)
card_debt = SimpleNamespace(
    account_ref="TC-100", portfolio=SimpleNamespace(creditor=SimpleNamespace(name="Banco Andino"))
)
case = SimpleNamespace(
    number="DISP-2026-000123",
    debt=card_debt,
    due_on=DUE,
    status="upheld",
    upheld_action="adjust",
    adjustment_minor=100_000_00,
    currency="COP",
    resolution_note="Se cobró de más.",
)
change = SimpleNamespace(
    kind="move", installment_number=2, to_date=DUE, decision_reason="Ya movió esta cuota."
)
reminder = {"first_name": "Ana", "creditor": "Banco Andino", "currency": "COP"}

CONTEXTS = {
    "proposal_received": {"proposal": proposal},
    "proposal_approved": {"agreement": agreement, "installments": installments},
    "proposal_countered": {"proposal": proposal},
    "proposal_rejected": {"proposal": proposal},
    "agreement_created": {"agreement": agreement, "installments": installments},
    "payment_receipt": {"payment": payment},
    "payment_failed": {"attempt": attempt, "reason": "Declined", "link_url": "https://x/p/T"},
    "cash_voucher": {
        "attempt": attempt,
        "amount_minor": 50_000_00,
        "currency": "COP",
        "network": "Efecty",
        "reference": "1234567",
        "deadline": dt.datetime(2026, 11, 27, 23, 59),  # noqa: DTZ001 - naive local time, as passed
        "link_url": "https://x/p/T",
    },
    "autopay_failed": {
        "attempt": attempt,
        "reason": "Declined",
        "retries_left": 1,
        "retry_days": 2,
        "link_url": "https://x/p/T",
    },
    "installment_due_soon": {**reminder, "amount_minor": 250_000_00, "due_date": "2026-11-27"},
    "installment_due_today": {**reminder, "amount_minor": 250_000_00},
    "promise_broken": {**reminder, "amount_minor": 100_000_00, "promised_date": "2026-11-23"},
    "agreement_broken": {**reminder, "number": "AC-9"},
    "dispute_received": {"case": case},
    "dispute_resolved": {"case": case, "link_url": "https://x/p/T"},
    "schedule_change_approved": {"agreement": "AC-7", "change": change},
    "schedule_change_rejected": {"agreement": "AC-7", "change": change},
}
# (English, Spanish) of each subject and of a line of each text.
SUBJECTS = {
    "proposal_received": ("We received your payment proposal", "Recibimos tu propuesta de pago"),
    "proposal_approved": (
        "Your proposal was approved: agreement AC-7",
        "Aprobamos tu propuesta: acuerdo AC-7",
    ),
    "proposal_countered": (
        "We have a counter-offer for your payment proposal",
        "Tenemos una contraoferta para tu propuesta de pago",
    ),
    "proposal_rejected": (
        "Your payment proposal was not approved",
        "Tu propuesta de pago no fue aprobada",
    ),
    "agreement_created": ("Your payment agreement AC-7", "Tu acuerdo de pago AC-7"),
    "payment_receipt": ("Your payment receipt P-000123", "Tu recibo de pago P-000123"),
    "payment_failed": ("Your payment did not go through", "Tu pago no se completó"),
    "cash_voucher": (
        "Your cash payment voucher 1234567",
        "Tu comprobante para pagar en efectivo 1234567",
    ),
    "autopay_failed": (
        "Your automatic payment did not go through",
        "Tu pago automático no se realizó",
    ),
    "installment_due_soon": ("Your installment is due on Nov 27, 2026", "Tu cuota vence el"),
    "installment_due_today": ("Your installment is due today", "Tu cuota vence hoy"),
    "promise_broken": ("About your planned payment", "Sobre el pago que programaste"),
    "agreement_broken": (
        "Your payment agreement AC-9 has ended",
        "Tu acuerdo de pago AC-9 terminó",
    ),
    "dispute_received": (
        "We received your dispute DISP-2026-000123",
        "Recibimos tu reclamo DISP-2026-000123",
    ),
    "dispute_resolved": (
        "The answer to your dispute DISP-2026-000123",
        "La respuesta a tu reclamo DISP-2026-000123",
    ),
    "schedule_change_approved": (
        "Your change to the payment plan was approved",
        "Aprobamos tu cambio al plan de pagos",
    ),
    "schedule_change_rejected": (
        "Your change to the payment plan was not approved",
        "Tu cambio al plan de pagos no fue aprobado",
    ),
}
GREETING = ("Hello Ana María Peña,", "Hola, Ana María Peña:")
TEXTS = {
    "installment_due_soon": ("is due on Nov 27, 2026", "tu cuota de"),
    "installment_due_today": ("is due today", "vence hoy"),
    "promise_broken": ("we have not received the payment", "aún no recibimos el pago"),
    "agreement_broken": ("has ended because installments are overdue", "con Banco Andino terminó"),
}
WITH_SMS = {name for name, spec in NOTICES.items() if "sms" in spec.channels}


def test_every_notice_has_its_expectations():
    assert set(CONTEXTS) == set(SUBJECTS) == set(NOTICES)
    assert set(TEXTS) == WITH_SMS  # the reminders, which go on the preferred channel


@pytest.mark.parametrize("notice", sorted(NOTICES))
@pytest.mark.parametrize(("language", "index"), [("en", 0), ("es", 1)])
def test_each_notice_renders_its_email_in_the_debtors_language(notice, language, index):
    context = {"debtor": debtor, **CONTEXTS[notice]}

    email = render_notice(notice=notice, channel="email", language=language, context=context)

    assert email.subject.startswith(SUBJECTS[notice][index])
    assert "\n" not in email.subject
    line = TEXTS.get(notice, GREETING)[index]
    assert line in email.text
    assert email.text == email.text.strip()
    # The HTML is the text inside the one email layout, with its unsubscribe link.
    assert email.html.startswith("<!doctype html>")
    assert escape(line) in email.html
    assert 'href="__UNSUBSCRIBE__"' in email.html
    stop = ("Stop receiving these emails", "Dejar de recibir estos correos")[index]
    assert stop in email.html


@pytest.mark.parametrize("notice", sorted(WITH_SMS))
@pytest.mark.parametrize(("language", "index"), [("en", 0), ("es", 1)])
def test_reminders_render_their_sms_in_one_line(notice, language, index, settings):
    sms = render_notice(notice=notice, channel="sms", language=language, context=CONTEXTS[notice])

    assert sms.subject == "" and sms.html == ""
    assert TEXTS[notice][index] in sms.text and "\n" not in sms.text
    assert "Ana" in sms.text and settings.SUPPORT_PHONE in sms.text


def test_plain_text_is_not_html_escaped():
    context = {**CONTEXTS["agreement_broken"], "creditor": "Crédito & Ahorro O'Neil"}

    sms = render_notice(notice="agreement_broken", channel="sms", language="en", context=context)
    email = render_notice(
        notice="agreement_broken", channel="email", language="en", context=context
    )

    assert "Crédito & Ahorro O'Neil" in sms.text and "Crédito & Ahorro O'Neil" in email.text
    assert "Crédito &amp; Ahorro O&#x27;Neil" in email.html


def test_the_payment_failure_carries_its_link_in_both_languages():
    context = {"debtor": debtor, **CONTEXTS["payment_failed"]}
    for language in ("es", "en"):
        email = render_notice(
            notice="payment_failed", channel="email", language=language, context=context
        )
        assert "https://x/p/T" in email.text and "https://x/p/T" in email.html


def test_the_stop_confirmation_is_an_sms_in_both_languages():
    texts = {
        language: render_notice(
            notice="stop_confirmation", channel="sms", language=language, context={}
        ).text
        for language in ("es", "en")
    }
    assert texts["en"].startswith("You will not receive more messages from us")
    assert texts["es"].startswith("No recibirás más mensajes nuestros")
