"""Cash vouchers: what the debtor takes to a collection point (Efecty) to pay in cash.

The voucher itself is Mercado Pago's payment (reference and barcode in the attempt's
`provider_details`, its deadline in `expires_at`, set by `services.mercadopago_start`).
Here: what the page, the PDF and the email show, the PDF (WeasyPrint, rendered on demand:
it depends on nothing but the attempt), and the email with the PDF attached.
"""

from __future__ import annotations

import hashlib
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from agreements.documents import html_to_pdf
from portal.outreach.attachments import StoredFile
from portal.outreach.notices import notice_send
from portal.storage import PRIVATE, private_name

from .barcodes import code128_svg
from .models import AttemptStatus, Method, PaymentAttempt, Provider

TEMPLATE = "payments/pdf/voucher.html"
NOTICE = "cash_voucher"


def is_voucher(attempt: PaymentAttempt) -> bool:
    return attempt.provider == Provider.MERCADOPAGO and attempt.method == Method.CASH


def voucher_filename(attempt: PaymentAttempt) -> str:
    return f"efecty-{attempt.provider_details.get('reference') or attempt.pk}.pdf"


def voucher_context(attempt: PaymentAttempt) -> dict:
    """What a voucher shows: amount, network, reference, barcode (inline SVG), and the
    deadline as a naive local time of the portfolio (so templates show it as it is)."""
    details = attempt.provider_details or {}
    portfolio = (attempt.agreement or attempt.debt).portfolio
    deadline = None
    if attempt.expires_at:
        deadline = timezone.make_naive(attempt.expires_at, ZoneInfo(portfolio.timezone))
    barcode = details.get("barcode") or ""
    expired = attempt.status == AttemptStatus.EXPIRED or bool(
        attempt.expires_at
        and attempt.expires_at <= timezone.now()
        and attempt.status != AttemptStatus.SUCCEEDED
    )
    return {
        "attempt": attempt,
        "debtor": attempt.debtor,
        "portfolio": portfolio,
        "creditor": portfolio.creditor,
        "amount_minor": attempt.amount_minor,
        "currency": attempt.currency,
        "network": details.get("network") or "Efecty",
        "reference": details.get("reference") or "",
        "barcode": barcode,
        "barcode_svg": code128_svg(barcode) if barcode else "",
        "deadline": deadline,
        "issued": bool(attempt.provider_payment_id),
        "expired": expired,
        "paid": attempt.status == AttemptStatus.SUCCEEDED,
    }


def voucher_pdf_bytes(attempt: PaymentAttempt) -> bytes:
    with translation.override(attempt.debtor.language or "es"):
        html = render_to_string(TEMPLATE, voucher_context(attempt))
    return html_to_pdf(html)


def _stored_pdf(attempt: PaymentAttempt) -> StoredFile:
    pdf = voucher_pdf_bytes(attempt)
    storage = storages[PRIVATE]
    name = storage.save(
        private_name(f"vouchers/{timezone.now():%Y/%m}", f"voucher-{attempt.pk}", ".pdf"),
        ContentFile(pdf),
    )
    return StoredFile(
        filename=voucher_filename(attempt),
        path=name,
        sha256=hashlib.sha256(pdf).hexdigest(),
        mimetype="application/pdf",
    )


def voucher_send(*, attempt_id: int) -> str:
    """Email the debtor their voucher with the PDF attached and a link to its page; returns
    what happened ("sent", "deferred", "blocked", "no email", or "not a live voucher").
    The message key names the Mercado Pago payment, so a retried task sends it once and a
    new voucher for the same attempt is sent again."""
    attempt = PaymentAttempt.objects.select_related(
        "debtor", "agreement__portfolio", "debt__portfolio"
    ).get(pk=attempt_id)
    if not is_voucher(attempt) or not attempt.provider_payment_id:
        return "not a live voucher"
    if attempt.status != AttemptStatus.PROCESSING:
        return "not a live voucher"
    context = voucher_context(attempt)
    return notice_send(
        debtor=attempt.debtor,
        notice=NOTICE,
        context=context,
        key=f"notice:{NOTICE}:{attempt.debtor_id}:{attempt.pk}:{attempt.provider_payment_id}",
        link=context["portfolio"],
        link_to=reverse("payments:cash", args=[attempt.pk]),
        when="now",  # this task runs after the voucher's commit
        attachments=[_stored_pdf(attempt)],
    )
