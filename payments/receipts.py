"""Payment receipts: a WeasyPrint PDF, stored once with its SHA-256, emailed once.

Runs in a task after the payment commits. Rendering and sending happen outside any
transaction; each step is claimed with a conditional UPDATE, so a retried or duplicated
task neither stores two files nor sends two emails.
"""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from agreements.documents import html_to_pdf
from portal.audit.services import record
from portal.outreach.attachments import StoredFile
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


def receipt_send(*, payment_id: int) -> str:
    """Render (once) and email (once) the receipt; returns what happened: "sent",
    "deferred" (outside the debtor's contact window and not on the portal: the beat sends
    it, PDF attached, when the window opens), "blocked", "no email" or "already sent"."""
    payment = Payment.objects.select_related("debtor", "agreement", "attempt").get(pk=payment_id)
    if payment.receipt_sent_at:
        return "already sent"
    if not payment.receipt_sha256:
        _store_pdf(payment)
    # `receipt_sent_at` is the claim to hand the receipt to outreach once; the message row
    # says when it actually left.
    claimed = Payment.objects.filter(pk=payment.pk, receipt_sent_at__isnull=True).update(
        receipt_sent_at=timezone.now()
    )
    if not claimed:
        return "already sent"
    pdf = StoredFile(
        filename=f"{payment.number}.pdf",
        path=payment.receipt_pdf.name,
        sha256=payment.receipt_sha256,
        mimetype="application/pdf",
        storage=STORAGE_ALIAS,
    )
    try:
        status = notice_send(
            debtor=payment.debtor,
            notice="payment_receipt",
            context={"payment": payment},
            attachments=[pdf],
            when="now",  # this task runs after the payment's commit
        )
    except Exception:
        # Give the claim back so the task's retry can send it.
        Payment.objects.filter(pk=payment.pk).update(receipt_sent_at=None)
        raise
    return status
