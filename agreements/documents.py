"""Agreement PDFs: the signed record a debtor downloads and staff keep as evidence.

Rendering is split so the HTML→PDF step can be timed on its own (bench/agreement_pdf.py):
`agreement_pdf_context` gathers what the template shows, `agreement_pdf_bytes` turns a
context into PDF bytes, and `agreement_pdf_render` loads, renders, stores and audits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from portal.audit.services import record
from portal.debtors.imputation import Parts
from portal.debtors.selectors import debt_parts_as_of
from portal.storage import private_name

from .models import Agreement, AgreementDebt, AgreementDocument, Installment, InstallmentStatus

TEMPLATE = "agreements/pdf/agreement.html"


def html_to_pdf(html: str) -> bytes:
    """WeasyPrint, imported late: it loads pango and fonts, which web processes never need."""
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def agreement_pdf_context(
    *,
    agreement: Agreement,
    lines: Iterable[AgreementDebt],
    installments: Iterable[Installment],
) -> dict[str, Any]:
    """Everything the template shows. Takes the related rows explicitly so unsaved objects
    (the benchmark) render through exactly the same template as stored agreements."""
    portfolio = agreement.portfolio
    return {
        "agreement": agreement,
        "debtor": agreement.debtor,
        "portfolio": portfolio,
        "creditor": portfolio.creditor,
        "currency": agreement.currency,
        "lines": [
            {
                "account_ref": line.debt.account_ref,
                "parts": _parts_at_acceptance(line, agreement.accepted_at),
                "balance_minor": line.balance_minor,
                "discount_minor": line.discount_minor,
                "to_pay_minor": line.balance_minor - line.discount_minor,
            }
            for line in lines
        ],
        "installments": list(installments),
        "portfolio_timezone": portfolio.timezone,
    }


def _parts_at_acceptance(line: AgreementDebt, accepted_at: dt.datetime | None) -> Parts | None:
    """The debt's principal, interest and fees behind the balance the agreement took (the
    ledger as it stood when accepted; an unsaved debt, the benchmark's, as it is), or None
    when they do not add up to that balance (it was quoted before a later movement)."""
    debt = line.debt
    live = debt.outstanding
    if debt.pk and accepted_at:
        then = debt_parts_as_of(debt_id=debt.pk, when=accepted_at)
        if then.total == line.balance_minor:
            return then
    return live if live.total == line.balance_minor else None


def agreement_pdf_bytes(*, context: dict[str, Any], language: str) -> bytes:
    """The HTML→PDF step, in the debtor's language (labels, amounts, frequency)."""
    with translation.override(language):
        html = render_to_string(TEMPLATE, context)
    return html_to_pdf(html)


def _storage_name(agreement: Agreement) -> str:
    accepted = timezone.localtime(agreement.accepted_at)
    stem = agreement.number or f"agreement-{agreement.pk}"
    return private_name(f"agreements/{accepted:%Y/%m}", stem, ".pdf")


def agreement_pdf_render(*, agreement_id: int) -> str:
    """Render, store and audit the agreement's PDF once; returns the SHA-256 of the file.

    Runs in a task after commit. Rendering happens outside any transaction; the claim is a
    conditional UPDATE on an empty hash, so two workers racing store one file and one audit
    row, and the loser removes the file it wrote.
    """
    agreement = Agreement.objects.select_related("debtor", "portfolio__creditor").get(
        pk=agreement_id
    )
    if agreement.pdf_sha256:
        return agreement.pdf_sha256

    context = agreement_pdf_context(
        agreement=agreement,
        lines=agreement.lines.select_related("debt").order_by("debt__account_ref"),
        installments=agreement.installments.order_by("number"),
    )
    pdf = agreement_pdf_bytes(context=context, language=agreement.debtor.language)
    sha256 = hashlib.sha256(pdf).hexdigest()

    storage = Agreement._meta.get_field("pdf").storage
    name = storage.save(_storage_name(agreement), ContentFile(pdf))
    rendered_at = timezone.now()
    with transaction.atomic():
        claimed = Agreement.objects.filter(pk=agreement.pk, pdf_sha256="").update(
            pdf=name, pdf_sha256=sha256, pdf_rendered_at=rendered_at
        )
        if claimed:
            record(
                "agreement.pdf_rendered",
                subject=agreement,
                details={
                    "number": agreement.number,
                    "file": name,
                    "sha256": sha256,
                    "bytes": len(pdf),
                },
            )
    if not claimed:
        storage.delete(name)
        return Agreement.objects.values_list("pdf_sha256", flat=True).get(pk=agreement.pk)
    return sha256


def agreement_document_render(*, document_id: int) -> str:
    """Render, store and audit a reissued version (2, 3, ...) once, like version 1: the
    schedule as it is now (cancelled installments left out) and the change's evidence."""
    document = AgreementDocument.objects.select_related(
        "change", "agreement__debtor", "agreement__portfolio__creditor"
    ).get(pk=document_id)
    if document.sha256:
        return document.sha256
    agreement = document.agreement
    context = agreement_pdf_context(
        agreement=agreement,
        lines=agreement.lines.select_related("debt").order_by("debt__account_ref"),
        installments=agreement.installments.exclude(status=InstallmentStatus.CANCELLED).order_by(
            "number"
        ),
    )
    context["document"] = document
    evidence = dict(document.change.evidence)
    evidence["at"] = dt.datetime.fromisoformat(evidence["at"])
    context["change_evidence"] = evidence
    pdf = agreement_pdf_bytes(context=context, language=agreement.debtor.language)
    sha256 = hashlib.sha256(pdf).hexdigest()

    storage = AgreementDocument._meta.get_field("pdf").storage
    accepted = timezone.localtime(agreement.accepted_at)
    stem = f"{agreement.number or f'agreement-{agreement.pk}'}-v{document.version}"
    name = storage.save(
        private_name(f"agreements/{accepted:%Y/%m}", stem, ".pdf"), ContentFile(pdf)
    )
    with transaction.atomic():
        claimed = AgreementDocument.objects.filter(pk=document.pk, sha256="").update(
            pdf=name, sha256=sha256, rendered_at=timezone.now()
        )
        if claimed:
            record(
                "agreement.pdf_rendered",
                subject=agreement,
                details={
                    "number": agreement.number,
                    "version": document.version,
                    "file": name,
                    "sha256": sha256,
                    "bytes": len(pdf),
                },
            )
    if not claimed:
        storage.delete(name)
        return AgreementDocument.objects.values_list("sha256", flat=True).get(pk=document.pk)
    return sha256
