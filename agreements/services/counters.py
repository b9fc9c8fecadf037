"""The debtor's answer to a staff counter-offer: accept (and sign) or decline."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from portal.audit.services import record
from portal.debtors.models import Debtor
from portal.debtors.services import portfolio_today

from ..models import Agreement, Proposal, ProposalStatus
from ..selectors import counter_valid_until
from .common import AgreementError, Evidence, _evidence_json, _require_consent, terms_for
from .creation import _create_agreement, _lock_debts, _notify_agreement
from .proposals import _finish, _lock_for_transition, _plan_offer


@transaction.atomic
def counter_accept(
    *,
    proposal: Proposal,
    debtor: Debtor,
    accepted_terms: bool,
    accepted_esign: bool,
    evidence: Evidence,
) -> Agreement:
    """The debtor accepts the staff counter-offer, signing it with fresh evidence."""
    _require_consent(accepted_terms, accepted_esign)
    if proposal.debtor_id != debtor.pk:
        raise AgreementError(_("This proposal is not available."))
    current = _lock_for_transition(proposal, ProposalStatus.ACCEPTED)
    today = portfolio_today(current.portfolio)
    valid_until = counter_valid_until(current)
    if today > valid_until:
        raise AgreementError(
            _("This counter-offer expired on %(date)s. You can propose another plan.")
            % {"date": valid_until.strftime("%d/%m/%Y")}
        )
    debts = _lock_debts(
        debtor=debtor, debt_ids=current.debt_ids, expected_balance_minor=current.balance_minor
    )
    offer = _plan_offer(
        proposal=current,
        installments=current.counter_installments,
        frequency=current.counter_frequency,
        first_due_date=current.counter_first_due_date,
        down_payment_minor=current.counter_down_payment_minor or 0,
        as_of=portfolio_today(current.portfolio, current.decided_at),
        today=today,
    )
    current.status = ProposalStatus.ACCEPTED
    current.evidence = {**current.evidence, "counter": _evidence_json(evidence, current.portfolio)}
    _finish(current, proposal, ["status", "evidence"])
    record(
        "proposal.counter_accepted",
        actor=debtor,
        subject=current,
        details={"evidence": evidence.to_json()},
    )
    agreement = _create_agreement(
        debtor=debtor,
        portfolio=current.portfolio,
        debts=debts,
        offer=offer,
        evidence=evidence,
        terms=terms_for(current.portfolio),
        actor=debtor,
        proposal=current,
    )
    _notify_agreement(agreement, "agreement_created")
    return agreement


@transaction.atomic
def counter_decline(*, proposal: Proposal, debtor: Debtor) -> Proposal:
    """The debtor declines the counter-offer; the debts stay open for other offers."""
    if proposal.debtor_id != debtor.pk:
        raise AgreementError(_("This proposal is not available."))
    current = _lock_for_transition(proposal, ProposalStatus.DECLINED)
    current.status = ProposalStatus.DECLINED
    _finish(current, proposal, ["status"])
    record("proposal.counter_declined", actor=debtor, subject=current, details={})
    return proposal
