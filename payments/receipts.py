"""Payment receipts: an email right after posting, and a WeasyPrint PDF stored once.

The email carries the amounts and a personal link to the receipt on the portal, never the
PDF: rendering takes ~100 ms of CPU, too much for the webhook workers. The PDF is rendered
by `render_payment_receipt` on the low-priority "documents" queue, queued by the receipt
email's task once the posting has committed, or by the first download if that comes
sooner. Both run outside any transaction;
each step is claimed with a conditional UPDATE, so a retried, duplicated or racing run
neither stores two files nor sends two emails.
"""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from agreements.documents import html_to_pdf
from portal.audit.services import record
from portal.outreach.notices import notice_send
from portal.storage import PRIVATE, private_name

from .models import Payment

TEMPLATE = "payments/pdf/receipt.html"
STORAGE_ALIAS = PRIVATE  # Payment.receipt_pdf's storage, named so a message can reopen it


def receipt_context(payment: Payment) -> dict:
    allocations = list(
        payment.allocations.select_related("debt", "installment", "ledger_entry").order_by("id")
    )
    debt = allocations[0].debt if allocations else None
    portfolio = debt.portfolio if debt else None
    return {
        "payment": payment,
        "debtor": payment.debtor,
        "agreement": payment.agreement,
        "allocations": allocations,
        "portfolio": portfolio,
        "creditor": portfolio.creditor if portfolio else None,
        "currency": payment.currency,
    }


def receipt_pdf_bytes(payment: Payment) -> bytes:
    with translation.override(payment.debtor.language or "es"):
        html = render_to_string(TEMPLATE, receipt_context(payment))
    return html_to_pdf(html)


def _store_pdf(payment: Payment) -> None:
    pdf = receipt_pdf_bytes(payment)
    sha256 = hashlib.sha256(pdf).hexdigest()
    storage = Payment._meta.get_field("receipt_pdf").storage
    path = private_name(f"receipts/{payment.received_at:%Y/%m}", payment.number, ".pdf")
    name = storage.save(path, ContentFile(pdf))
    with transaction.atomic():
        claimed = Payment.objects.filter(pk=payment.pk, receipt_sha256="").update(
            receipt_pdf=name, receipt_sha256=sha256
        )
        if claimed:
            record(
                "payment.receipt_rendered",
                subject=payment,
                details={"file": name, "sha256": sha256, "bytes": len(pdf)},
            )
    if not claimed:  # another run stored it first: theirs is the receipt
        storage.delete(name)
    payment.refresh_from_db(fields=["receipt_pdf", "receipt_sha256"])


def receipt_render(*, payment_id: int) -> Payment:
    """The payment with its receipt PDF, rendered and stored now if it was not yet."""
    payment = Payment.objects.select_related("debtor", "agreement").get(pk=payment_id)
    if not payment.receipt_sha256:
        _store_pdf(payment)
    return payment


def receipt_send(*, payment_id: int) -> str:
    """Email the receipt once, with a link to it on the portal; returns what happened:
    "sent", "deferred" (outside the debtor's contact window and not on the portal: the
    beat sends the same text when the window opens), "blocked", "no email" or "already
    sent"."""
    payment = Payment.objects.select_related("debtor", "agreement").get(pk=payment_id)
    if payment.receipt_sent_at:
        return "already sent"
    # `receipt_sent_at` is the claim to hand the receipt to outreach once; the message row
    # says when it actually left.
    claimed = Payment.objects.filter(pk=payment.pk, receipt_sent_at__isnull=True).update(
        receipt_sent_at=timezone.now()
    )
    if not claimed:
        return "already sent"
    first = payment.allocations.select_related("debt__portfolio").order_by("id").first()
    try:
        status = notice_send(
            debtor=payment.debtor,
            notice="payment_receipt",
            context={"payment": payment},
            about=("payment",),  # not the text: each try mints a new link
            link=first.debt.portfolio if first else True,
            link_to=reverse("payments:receipt_pdf", args=[payment.pk]),
            when="now",  # this task runs after the payment's commit
        )
    except Exception:
        # Give the claim back so the task's retry can send it.
        Payment.objects.filter(pk=payment.pk).update(receipt_sent_at=None)
        raise
    return status
