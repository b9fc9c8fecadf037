"""Changes to an active agreement's schedule: move one installment's date, or skip one
installment (its amount becomes a new last installment one period after the current last).

Inside the policy's limits (`OfferPolicy.max_date_moves`, `max_move_days`, `allow_skip`) the
debtor's change is applied at once; outside them it becomes a `ScheduleChangeRequest` that
staff approve (applied by the same `_apply`) or reject. Rules that no review can lift:
only an active agreement, only a pending installment with nothing paid on it (a late one is
already a breach in progress: the debtor pays it or calls), never the down payment, a new
date after today that keeps the installments in order. Every applied change raises
`Agreement.schedule_revision` (the calendar's SEQUENCE) and reissues the PDF as a new
version; the earlier versions stay.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit.services import record
from portal.celery import delay_on_commit
from portal.debtors.models import Debtor
from portal.debtors.services import portfolio_today
from portal.outreach.notices import notice_send

from ..lifecycle.moves import status_move
from ..models import (
    Agreement,
    AgreementDocument,
    ChangeKind,
    ChangeStatus,
    Installment,
    InstallmentStatus,
    ScheduleChangeRequest,
)
from ..tasks import render_agreement_document
from .change_rules import ChangeOptions, change_options, change_preview
from .common import AgreementError, Evidence, _require_consent


def _locked(agreement_id: int) -> tuple[Agreement, list[Installment], ChangeOptions]:
    agreement = (
        Agreement.objects.select_for_update(of=("self",))
        .select_related("portfolio", "debtor", "quote__policy", "proposal__policy")
        .get(pk=agreement_id)
    )
    installments = list(agreement.installments.order_by("number"))
    options = change_options(
        agreement=agreement,
        installments=installments,
        requests=agreement.change_requests.all(),
    )
    return agreement, installments, options


@transaction.atomic
def schedule_change_submit(
    *,
    debtor: Debtor,
    agreement_id: int,
    kind: str,
    number: int,
    new_date: dt.date | None,
    reason: str,
    accepted_terms: bool,
    accepted_esign: bool,
    evidence: Evidence,
) -> ScheduleChangeRequest:
    """The debtor's change: applied at once inside the limits, else a request for review."""
    _require_consent(accepted_terms, accepted_esign)
    agreement, installments, options = _locked(agreement_id)
    if agreement.debtor_id != debtor.pk:
        raise AgreementError(_("This agreement is not available."))
    if options.pending is not None:
        raise AgreementError(_("A change to this agreement is already waiting for review."))
    preview = change_preview(
        agreement=agreement,
        installments=installments,
        options=options,
        kind=kind,
        number=number,
        new_date=new_date,
        today=portfolio_today(agreement.portfolio),
    )
    reason = (reason or "").strip()
    if not preview.within_limits and not reason:
        raise AgreementError(_("Tell us why you need this change, for the advisor who reviews it."))
    change = ScheduleChangeRequest(
        agreement=agreement,
        kind=kind,
        status=ChangeStatus.APPLIED if preview.within_limits else ChangeStatus.PENDING,
        installment_number=number,
        from_date=preview.from_date,
        to_date=preview.to_date,
        reason=reason,
        breaks=preview.breaks,
        # The same evidence as the acceptance, of the same terms (the agreement's own).
        evidence={
            **evidence.to_json(),
            "accepted_terms": True,
            "accepted_esign": True,
            "terms_version": agreement.terms_version,
            "terms_sha256": agreement.terms_sha256,
        },
    )
    change.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            change.save()
    except IntegrityError:
        raise AgreementError(
            _("A change to this agreement is already waiting for review.")
        ) from None
    record(
        "schedule_change.requested",
        actor=debtor,
        subject=agreement,
        details={
            "change_id": change.pk,
            "kind": kind,
            "installment": number,
            "from_date": preview.from_date,
            "to_date": preview.to_date,
            "breaks": preview.breaks,
            "reason": reason,
            "evidence": evidence.to_json(),
        },
    )
    if preview.within_limits:
        _apply(agreement, installments, change, actor=debtor)
    return change


def _apply(
    agreement: Agreement, installments: list[Installment], change: ScheduleChangeRequest, *, actor
) -> AgreementDocument:
    """Write the change to the schedule, raise the revision, queue the new PDF version."""
    target = next(i for i in installments if i.number == change.installment_number)
    unpaid = Installment.objects.filter(
        pk=target.pk, status=InstallmentStatus.PENDING, paid_minor=0
    )
    if change.kind == ChangeKind.MOVE:
        moved = unpaid.update(due_date=change.to_date)
    else:
        moved = status_move(
            unpaid, to=InstallmentStatus.CANCELLED, expect=[InstallmentStatus.PENDING]
        )
        if moved:
            last = max(i.number for i in installments)
            Installment.objects.create(
                agreement=agreement,
                number=last + 1,
                due_date=change.to_date,
                amount_minor=target.amount_minor,
            )
    if moved != 1:  # a payment reached it between the lock and here: nothing half-done
        raise AgreementError(_("This installment can no longer be changed."))
    Agreement.objects.filter(pk=agreement.pk).update(schedule_revision=F("schedule_revision") + 1)
    version = (agreement.documents.aggregate(v=Max("version"))["v"] or 1) + 1
    document = AgreementDocument.objects.create(
        agreement=agreement, version=version, change=change, reason=_reason(change)[:200]
    )
    record(
        "agreement.schedule_changed",
        actor=actor,
        subject=agreement,
        details={
            "change_id": change.pk,
            "kind": change.kind,
            "installment": change.installment_number,
            "from_date": change.from_date,
            "to_date": change.to_date,
            "schedule_revision": agreement.schedule_revision + 1,
            "document_version": version,
        },
    )
    delay_on_commit(render_agreement_document, document.pk)
    return document


def _reason(change: ScheduleChangeRequest) -> str:
    values = {
        "number": change.installment_number,
        "from": change.from_date.strftime("%d/%m/%Y"),
        "to": change.to_date.strftime("%d/%m/%Y"),
    }
    if change.kind == ChangeKind.MOVE:
        return _("Installment %(number)s moved from %(from)s to %(to)s") % values
    return _("Installment %(number)s skipped; its amount is due on %(to)s") % values


def _lock_pending(change: ScheduleChangeRequest) -> ScheduleChangeRequest:
    current = ScheduleChangeRequest.objects.select_for_update().get(pk=change.pk)
    if current.status != ChangeStatus.PENDING:
        raise AgreementError(_("This request was already decided."))
    return current


@transaction.atomic
def schedule_change_approve(*, change: ScheduleChangeRequest, actor: Any) -> ScheduleChangeRequest:
    """Staff accept a request outside the limits; the fixed rules still hold today."""
    current = _lock_pending(change)
    agreement, installments, options = _locked(current.agreement_id)
    preview = change_preview(
        agreement=agreement,
        installments=installments,
        options=options,
        kind=current.kind,
        number=current.installment_number,
        new_date=current.to_date if current.kind == ChangeKind.MOVE else None,
        today=portfolio_today(agreement.portfolio),
        limits=False,
    )
    current.to_date = preview.to_date  # a skip lands after the last date as it is now
    current.status = ChangeStatus.APPROVED
    current.decided_by = actor
    current.decided_at = timezone.now()
    current.save(update_fields=["to_date", "status", "decided_by", "decided_at"])
    record(
        "schedule_change.approved",
        actor=actor,
        subject=agreement,
        details={"change_id": current.pk},
    )
    _apply(agreement, installments, current, actor=actor)
    _notify(agreement, current, "schedule_change_approved")
    return current


@transaction.atomic
def schedule_change_reject(
    *, change: ScheduleChangeRequest, actor: Any, reason: str
) -> ScheduleChangeRequest:
    """Staff turn a request down, always saying why; the schedule stays as it was."""
    reason = (reason or "").strip()
    if not reason:
        raise AgreementError(_("Say why the request is rejected."))
    current = _lock_pending(change)
    current.status = ChangeStatus.REJECTED
    current.decided_by = actor
    current.decided_at = timezone.now()
    current.decision_reason = reason
    current.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    agreement = Agreement.objects.select_related("debtor").get(pk=current.agreement_id)
    record(
        "schedule_change.rejected",
        actor=actor,
        subject=agreement,
        details={"change_id": current.pk, "reason": reason},
    )
    _notify(agreement, current, "schedule_change_rejected")
    return current


def _notify(agreement: Agreement, change: ScheduleChangeRequest, notice: str) -> None:
    notice_send(
        debtor=agreement.debtor,
        notice=notice,
        context={"agreement": agreement, "change": change},
        about=["change"],
    )
