"""Debtor proposals and staff decisions on them (the debtor's answer to a counter-offer is in
`counters`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit.services import record
from portal.debtors.models import Debtor, Portfolio
from portal.debtors.services import portfolio_today
from portal.money import cash_unit
from portal.outreach.notices import notice_send

from ..models import (
    OPEN_PROPOSAL_STATUSES,
    Agreement,
    AgreementKind,
    Proposal,
    ProposalStatus,
)
from ..quotes import Offer, balance_parts, make_offer
from ..rules import check_plan
from ..selectors import debtor_portfolio_debts, policy_for
from .common import (
    AgreementError,
    Evidence,
    _evidence_json,
    _evidence_terms,
    _require_consent,
)
from .creation import _create_agreement, _lock_debts, _notify_agreement, _rebased


@transaction.atomic
def proposal_submit(
    *,
    debtor: Debtor,
    portfolio: Portfolio | None = None,
    installments: int,
    frequency: str,
    first_due_date: dt.date,
    down_payment_minor: int,
    monthly_income_minor: int | None = None,
    essential_expenses_minor: int | None = None,
    accepted_terms: bool,
    accepted_esign: bool,
    evidence: Evidence,
) -> tuple[Proposal, Agreement | None]:
    """The debtor's own plan: inside the auto-approve bounds it becomes an agreement at
    once; outside them it waits for staff as a pending proposal."""
    _require_consent(accepted_terms, accepted_esign)
    debts = debtor_portfolio_debts(debtor, portfolio)
    if not debts:
        raise AgreementError(_("There are no debts open for an agreement."))
    policy = policy_for(debts=debts)
    if policy is None:
        raise AgreementError(_("Payment plans are not available for these debts yet."))
    portfolio = debts[0].portfolio
    today = portfolio_today(portfolio)
    parts = balance_parts(debts)
    check = check_plan(
        parts=parts,
        policy=policy,
        installments=installments,
        frequency=frequency,
        first_due_date=first_due_date,
        down_payment_minor=down_payment_minor,
        today=today,
    )
    if check.errors:
        messages = [b.message for b in check.errors]
        raise AgreementError(" ".join(messages), messages=messages)
    # Locks in the reviewers' order (proposal, then debts), so neither waits on the other
    # forever: the open proposal this one replaces, then the debts, before any write.
    replaced = _lock_open_proposal(debtor=debtor, portfolio=portfolio)
    debts = _lock_debts(
        debtor=debtor,
        debt_ids=[d.pk for d in debts],
        expected_balance_minor=parts.total_minor,
    )
    proposal = Proposal(
        debtor=debtor,
        portfolio=portfolio,
        policy=policy,
        payment_link_id=evidence.payment_link_id,
        debt_ids=[d.pk for d in debts],
        currency=parts.currency,
        balance_minor=parts.total_minor,
        installments=installments,
        frequency=frequency,
        first_due_date=first_due_date,
        down_payment_minor=down_payment_minor,
        monthly_income_minor=monthly_income_minor,
        essential_expenses_minor=essential_expenses_minor,
        breaks=[{"bound": b.bound, "message": b.message} for b in check.review],
        evidence=_evidence_json(evidence, portfolio),
        status=ProposalStatus.APPROVED if check.auto_approvable else ProposalStatus.PENDING,
        decided_at=timezone.now() if check.auto_approvable else None,
    )
    if replaced is not None:
        _supersede(replaced, debtor=debtor)
    proposal.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            proposal.save()
    except IntegrityError:
        # Another submission for these debts committed between our lock and this insert.
        raise AgreementError(
            _("You sent another plan for these debts a moment ago. Check your proposals.")
        ) from None
    record(
        "proposal.submitted",
        actor=debtor,
        subject=proposal,
        details={
            "policy_id": policy.pk,
            "debt_ids": proposal.debt_ids,
            "balance_minor": proposal.balance_minor,
            "installments": installments,
            "frequency": frequency,
            "first_due_date": first_due_date,
            "down_payment_minor": down_payment_minor,
            "breaks": proposal.breaks,
            "evidence": evidence.to_json(),
        },
    )
    if not check.auto_approvable:
        notice_send(
            debtor=debtor,
            notice="proposal_received",
            context={"proposal": proposal},
            about=["proposal"],
            on_portal=True,  # the answer to what the debtor just did on the portal
        )
        return proposal, None

    agreement = _create_agreement(
        debtor=debtor,
        portfolio=portfolio,
        debts=debts,
        offer=check.offer,
        evidence=evidence,
        terms=_evidence_terms(proposal.evidence, portfolio),
        actor=debtor,
        proposal=proposal,
    )
    record(
        "proposal.auto_approved",
        subject=proposal,
        details={"agreement_id": agreement.pk, "number": agreement.number},
    )
    _notify_agreement(agreement, "agreement_created")
    return proposal, agreement


def _lock_open_proposal(*, debtor: Debtor, portfolio: Portfolio) -> Proposal | None:
    return (
        Proposal.objects.select_for_update()
        .filter(debtor=debtor, portfolio=portfolio, status__in=OPEN_PROPOSAL_STATUSES)
        .first()
    )


def _supersede(old: Proposal, *, debtor: Debtor) -> None:
    """The debtor's newer plan replaces the one still waiting (on staff or on them):
    kinder than refusing it, and the old one stays on record, marked and audited."""
    previous = old.status
    old.status = ProposalStatus.SUPERSEDED
    old.save(update_fields=["status"])
    record(
        "proposal.superseded",
        actor=debtor,
        subject=old,
        details={"from": previous},
    )


_TRANSITIONS = {
    ProposalStatus.PENDING: {
        ProposalStatus.APPROVED,
        ProposalStatus.COUNTERED,
        ProposalStatus.REJECTED,
    },
    ProposalStatus.COUNTERED: {ProposalStatus.ACCEPTED, ProposalStatus.DECLINED},
}


def _lock_for_transition(proposal: Proposal, to: str) -> Proposal:
    """The proposal re-read under a row lock, so two reviewers cannot both decide it."""
    locked = Proposal.objects.select_for_update().select_related("debtor", "portfolio")
    current = locked.get(pk=proposal.pk)
    if to not in _TRANSITIONS.get(current.status, set()):
        raise AgreementError(
            _("This proposal is %(status)s and can no longer be changed that way.")
            % {"status": current.get_status_display()}
        )
    return current


def _plan_offer(
    *,
    proposal: Proposal,
    installments: int,
    frequency: str,
    first_due_date: dt.date,
    down_payment_minor: int,
    as_of: dt.date,
    today: dt.date,
) -> Offer:
    offer = make_offer(
        key=f"proposal-{proposal.pk}",
        kind=AgreementKind.PLAN,
        installments=installments,
        frequency=frequency,
        balance_minor=proposal.balance_minor,
        discount_minor=0,
        total_minor=proposal.balance_minor,
        down_payment_minor=down_payment_minor,
        first_due_date=max(first_due_date, as_of),
        as_of=min(as_of, today),
        cash_unit_minor=cash_unit(proposal.currency),
    )
    return _rebased(offer, today)


def _finish(proposal: Proposal, original: Proposal, fields: list[str]) -> None:
    proposal.save(update_fields=fields)
    original.refresh_from_db()


@transaction.atomic
def proposal_approve(*, proposal: Proposal, actor: Any) -> Agreement:
    """Staff approve a pending proposal; the agreement carries the debtor's own evidence."""
    current = _lock_for_transition(proposal, ProposalStatus.APPROVED)
    debts = _lock_debts(
        debtor=current.debtor,
        debt_ids=current.debt_ids,
        expected_balance_minor=current.balance_minor,
    )
    today = portfolio_today(current.portfolio)
    offer = _plan_offer(
        proposal=current,
        installments=current.installments,
        frequency=current.frequency,
        first_due_date=current.first_due_date,
        down_payment_minor=current.down_payment_minor,
        as_of=portfolio_today(current.portfolio, current.created_at),
        today=today,
    )
    current.status = ProposalStatus.APPROVED
    current.decided_by = actor
    current.decided_at = timezone.now()
    _finish(current, proposal, ["status", "decided_by", "decided_at"])
    record("proposal.approved", actor=actor, subject=current, details={"from": "pending"})
    agreement = _create_agreement(
        debtor=current.debtor,
        portfolio=current.portfolio,
        debts=debts,
        offer=offer,
        evidence=Evidence.from_json(current.evidence),
        terms=_evidence_terms(current.evidence, current.portfolio),
        actor=actor,
        proposal=current,
    )
    _notify_agreement(agreement, "proposal_approved", proposal=current)
    return agreement


@transaction.atomic
def proposal_counter(
    *,
    proposal: Proposal,
    actor: Any,
    installments: int,
    frequency: str,
    first_due_date: dt.date,
    down_payment_minor: int,
    reason: str = "",
) -> Proposal:
    """Staff answer a pending proposal with another plan; the debtor accepts or declines."""
    current = _lock_for_transition(proposal, ProposalStatus.COUNTERED)
    debts = _lock_debts(
        debtor=current.debtor,
        debt_ids=current.debt_ids,
        expected_balance_minor=current.balance_minor,
    )
    check = check_plan(
        parts=balance_parts(debts),
        policy=current.policy,
        installments=installments,
        frequency=frequency,
        first_due_date=first_due_date,
        down_payment_minor=down_payment_minor,
        today=portfolio_today(current.portfolio),
    )
    if check.errors:
        messages = [b.message for b in check.errors]
        raise AgreementError(" ".join(messages), messages=messages)
    current.status = ProposalStatus.COUNTERED
    current.decided_by = actor
    current.decided_at = timezone.now()
    current.decision_reason = reason.strip()
    current.counter_installments = installments
    current.counter_frequency = frequency
    current.counter_first_due_date = first_due_date
    current.counter_down_payment_minor = down_payment_minor
    _finish(
        current,
        proposal,
        [
            "status",
            "decided_by",
            "decided_at",
            "decision_reason",
            "counter_installments",
            "counter_frequency",
            "counter_first_due_date",
            "counter_down_payment_minor",
        ],
    )
    record(
        "proposal.countered",
        actor=actor,
        subject=current,
        details={
            "reason": current.decision_reason,
            "proposed": {
                "installments": current.installments,
                "frequency": current.frequency,
                "first_due_date": current.first_due_date,
                "down_payment_minor": current.down_payment_minor,
            },
            "counter": {
                "installments": installments,
                "frequency": frequency,
                "first_due_date": first_due_date,
                "down_payment_minor": down_payment_minor,
            },
        },
    )
    notice_send(
        debtor=current.debtor,
        notice="proposal_countered",
        context={"proposal": current},
        about=["proposal"],
    )
    return proposal


@transaction.atomic
def proposal_reject(*, proposal: Proposal, actor: Any, reason: str) -> Proposal:
    """Staff turn down a pending proposal, always saying why."""
    reason = (reason or "").strip()
    if not reason:
        raise AgreementError(_("Say why the proposal is rejected."))
    current = _lock_for_transition(proposal, ProposalStatus.REJECTED)
    current.status = ProposalStatus.REJECTED
    current.decided_by = actor
    current.decided_at = timezone.now()
    current.decision_reason = reason
    _finish(current, proposal, ["status", "decided_by", "decided_at", "decision_reason"])
    record("proposal.rejected", actor=actor, subject=current, details={"reason": reason})
    notice_send(
        debtor=current.debtor,
        notice="proposal_rejected",
        context={"proposal": current},
        about=["proposal"],
    )
    return proposal
