"""Writes of the staff workspace: logging a call or visit and what its outcome sets off,
closing a dispute raised on a call, and answering one filed on the portal."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from agreements.promises import PromiseError, promise_create
from portal.audit.services import record
from portal.debtors.dispute_cases import Upload, dispute_case_resolve, dispute_files_forget
from portal.debtors.disputes import dispute_hold_close, dispute_hold_open
from portal.debtors.models import Debt, Debtor, DebtStatus, DisputeCase, DocumentKind, HoldKind
from portal.outreach.models import ContactOutcome, Outcome
from portal.outreach.notices import notice_send
from portal.outreach.selectors import address_for
from portal.outreach.services import call_attempt_record

from .models import DisputeResolution, Resolution
from .selectors import call_check, visit_check


class OutcomeError(ValueError):
    pass


@transaction.atomic
def contact_outcome_log(
    *,
    debtor: Debtor,
    agent,
    method: str,
    direction: str,
    outcome: str,
    notes: str = "",
    debt: Debt | None = None,
    promise_amount_minor: int | None = None,
    promise_date: dt.date | None = None,
    now: dt.datetime | None = None,
) -> ContactOutcome:
    """Log one call, IVR contact or visit, and apply its outcome in the same transaction:

    - an outbound phone/IVR call or visit is checked against the contact policy (the
      decision is kept, not enforced: the contact happened, compliance must see it); a call
      is recorded as a call attempt message, a visit is counted from this row, so later
      messages, calls and visits count either;
    - "promise" creates a PromiseToPay through the agreements service;
    - "dispute" marks the debt disputed, which stops collection outreach on it;
    - everything is audited with the debtor, so it shows on their timeline.
    """
    now = now or timezone.now()
    if debt is not None and debt.debtor_id != debtor.pk:
        raise OutcomeError("This debt does not belong to this debtor.")
    if outcome in (Outcome.PROMISE, Outcome.DISPUTE) and debt is None:
        raise OutcomeError("Choose the debt the promise or dispute is about.")
    row = ContactOutcome(
        debtor=debtor,
        debt=debt,
        method=method,
        direction=direction,
        outcome=outcome,
        notes=notes.strip(),
        occurred_at=now,
        agent=agent,
    )
    try:
        row.full_clean()
    except ValidationError as exc:
        raise OutcomeError("; ".join(exc.messages)) from exc
    if row.counts_as_call:
        row.policy_decision = call_check(debtor, debt, at=now).decision.as_json()
    elif row.counts_as_visit:
        row.policy_decision = visit_check(debtor, debt, at=now).decision.as_json()
    row.save()
    details = {
        "outcome": outcome,
        "method": method,
        "direction": direction,
        "debt_id": debt.pk if debt else None,
        "text": row.notes,
        "contact_outcome_id": row.pk,
    }
    if row.counts_as_call:
        message = call_attempt_record(
            debtor=debtor,
            debt=debt,
            to=address_for(debtor, "call"),
            at=now,
            key=f"staff-call:{row.pk}",
            decision={**row.policy_decision, "at": now.isoformat()},
        )
        row.message_id = message.pk
    if row.policy_decision:
        details["policy"] = row.policy_decision
        if row.policy_decision.get("action") != "send":
            details["reason"] = f"logged against policy: {row.policy_decision.get('reason')}"
    if outcome == Outcome.PROMISE:
        promise = _promise(debtor, debt, agent, promise_amount_minor, promise_date)
        # The promise names the call it was made on (reached back as `row.promise`).
        promise.contact_outcome = row
        promise.save(update_fields=["contact_outcome"])
        details["promise_id"] = promise.pk
    if outcome == Outcome.DISPUTE:
        row.previous_debt_status = _dispute(debt, row)
    row.save(update_fields=["message_id", "previous_debt_status"])
    record(f"call.{outcome}", actor=agent, subject=row, details=details, debtor=debtor)
    transaction.on_commit(lambda: _refresh_kpis(timezone.localdate(now)), robust=True)
    return row


def _refresh_kpis(day: dt.date) -> None:
    from .tasks import refresh_kpis_day

    refresh_kpis_day.delay(day.isoformat())


def _promise(debtor, debt, agent, amount_minor, promised_date):
    if not amount_minor or promised_date is None:
        raise OutcomeError("A promise needs an amount and a date.")
    try:
        return promise_create(
            debtor=debtor,
            debt=debt,
            amount_minor=amount_minor,
            promised_date=promised_date,
            source="call",
            actor=agent,
        )
    except PromiseError as exc:
        raise OutcomeError(str(exc)) from exc


def _dispute(debt: Debt, row: ContactOutcome) -> str:
    """Hold the debt disputed (outreach skips disputed debts) through the hold card
    disputes use too, so whoever resolves the dispute puts back the status before it; the
    row keeps that status for the panel. Audited as `debt.disputed`."""
    hold = dispute_hold_open(
        debt=debt,
        kind=HoldKind.CALL,
        reference=str(row.pk),
        actor=row.agent,
        details={"source": "call", "contact_outcome_id": row.pk},
        now=row.occurred_at,
    )
    return hold.previous_status


@transaction.atomic
def call_dispute_resolve(
    *,
    contact_outcome: ContactOutcome,
    resolver,
    resolution: str,
    note: str,
    now: dt.datetime | None = None,
) -> DisputeResolution:
    """Close a dispute the debtor raised on a call, in one transaction:

    - upheld: the debtor is right; the debt is closed (it gets no more outreach);
    - rejected (the debt is verified): the debt goes back to the status it had before the
      dispute, through the hold card disputes use too (`portal.debtors.disputes`): not
      while another dispute, card or call, still holds it. Outreach resumes by itself once
      the debt is active again: the contact policy reads the debt's status.

    Audited as `call.dispute_resolved` with the debtor, so it shows on the timeline.
    """
    now = now or timezone.now()
    row = ContactOutcome.objects.select_for_update().get(pk=contact_outcome.pk)
    if row.outcome != Outcome.DISPUTE or row.debt_id is None:
        raise OutcomeError("This contact raised no dispute.")
    if DisputeResolution.objects.filter(contact_outcome=row).exists():
        raise OutcomeError("This dispute is already resolved.")
    if resolution not in Resolution.values:
        raise OutcomeError("Choose whether the dispute is upheld or rejected.")
    note = note.strip()
    if not note:
        raise OutcomeError("Say why: the note goes on the debtor's timeline.")
    debt = Debt.objects.select_for_update().get(pk=row.debt_id)
    # Upheld closes the debt even while another dispute holds it; rejected puts it back once
    # no hold is left. The call.dispute_resolved entry below states either.
    dispute_hold_close(
        debt_id=debt.pk,
        kind=HoldKind.CALL,
        reference=str(row.pk),
        actor=resolver,
        to=DebtStatus.CLOSED if resolution == Resolution.UPHELD else None,
        event=None,
        now=now,
    )
    status = Debt.objects.filter(pk=debt.pk).values_list("status", flat=True).get()
    resolved = DisputeResolution.objects.create(
        contact_outcome=row,
        resolution=resolution,
        note=note[:2000],
        resolved_by=resolver,
        resolved_at=now,
        debt_status=status,
    )
    record(
        "call.dispute_resolved",
        actor=resolver,
        subject=row,
        details={
            "resolution": resolution,
            "debt_id": debt.pk,
            "previous": debt.status,
            "status": status,
            "text": resolved.note,
            "contact_outcome_id": row.pk,
        },
        debtor=row.debtor_id,
    )
    return resolved


@transaction.atomic
def online_dispute_resolve(
    *,
    case: DisputeCase,
    resolver,
    status: str,
    note: str,
    action: str = "",
    adjustment_minor: int | None = None,
    verification: Upload | None = None,
) -> DisputeCase:
    """Answer a dispute the debtor filed on the portal (`portal.debtors.dispute_cases`:
    closes or adjusts the debt, or stores the verification; audited `dispute.resolved`), and
    tell the debtor through the notice pipeline, with a link to the answer and its
    documents on the portal. Raises DisputeError."""
    resolved = dispute_case_resolve(
        case=case,
        resolver=resolver,
        status=status,
        note=note,
        action=action,
        adjustment_minor=adjustment_minor,
        verification=verification,
    )
    resolved = DisputeCase.objects.select_related("debtor", "debt__portfolio__creditor").get(
        pk=resolved.pk
    )
    try:
        notice_send(
            debtor=resolved.debtor,
            notice="dispute_resolved",
            context={"case": resolved},
            about=["case"],
            link=resolved.debt.portfolio,
            link_to=reverse("selfservice:dispute_detail", args=[resolved.pk]),
            debt=resolved.debt,
            country=resolved.country,
        )
    except Exception:
        # The answer rolls back: the verification it stored goes too.
        dispute_files_forget(resolved, kind=DocumentKind.VERIFICATION)
        raise
    return resolved
