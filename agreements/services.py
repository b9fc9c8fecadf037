"""Writes for agreements: quotes, accepting offers, proposals and their review.

Every service is atomic and records its audit event in the same transaction; email and
the PDF are queued with `transaction.on_commit`, so nothing leaves before the data exists.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit.services import record
from portal.debtors.models import Debt, Debtor, DebtStatus, Portfolio
from portal.debtors.services import portfolio_today

from .models import (
    Agreement,
    AgreementDebt,
    AgreementKind,
    Installment,
    Proposal,
    ProposalStatus,
    Quote,
)
from .notifications import notify_debtor
from .quotes import Offer, balance_parts, make_offer, quote_offers
from .rules import check_plan
from .selectors import debtor_portfolio_debts, policy_for
from .tasks import render_agreement_pdf


class AgreementError(Exception):
    """A request the rules refuse; the message is safe to show the person who made it."""

    def __init__(self, message: str, *, messages: list[str] | None = None):
        super().__init__(message)
        self.messages = messages or [message]


@dataclass(frozen=True)
class Evidence:
    """How an electronic acceptance happened (Ley 527 de 1999): when, from where, which link."""

    at: dt.datetime
    ip: str | None
    user_agent: str
    payment_link_id: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "ip": self.ip,
            "user_agent": self.user_agent,
            "payment_link_id": self.payment_link_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Evidence:
        return cls(
            at=dt.datetime.fromisoformat(data["at"]),
            ip=data.get("ip"),
            user_agent=data.get("user_agent", ""),
            payment_link_id=data.get("payment_link_id"),
        )


STANDARD_TERMS = """\
ACUERDO DE PAGO

1. El deudor reconoce la obligación descrita en este acuerdo y se compromete a pagar el \
valor total acordado en las fechas y por los montos del plan de pagos.
2. Los descuentos concedidos se aplican solo si el acuerdo se cumple. Si una cuota queda \
sin pagar después del período de gracia, el acuerdo se considera incumplido, el descuento \
se pierde y el saldo pendiente vuelve a ser exigible, descontando lo ya pagado.
3. Mientras el acuerdo esté vigente no se iniciarán nuevas acciones de cobro por las \
obligaciones incluidas.
4. El deudor acepta este acuerdo por medios electrónicos y consiente en firmarlo \
electrónicamente (Ley 527 de 1999 y Decreto 2364 de 2012). Se conservan la fecha y hora, \
la dirección IP, el navegador y el enlace de acceso como prueba de la aceptación.
5. El deudor puede consultar el acuerdo, su plan de pagos y el documento en PDF en el portal.
"""


def terms_for(portfolio: Portfolio) -> tuple[str, str]:
    """The exact agreement text for `portfolio` and a version that changes with any edit."""
    text = STANDARD_TERMS
    extra = (portfolio.terms_text or "").strip()
    if extra:
        text = f"{text}\n{extra}\n"
    return "terms-" + _sha256(text)[:12], text


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _require_consent(accepted_terms: bool, accepted_esign: bool) -> None:
    if accepted_terms is not True or accepted_esign is not True:
        raise AgreementError(
            _("To accept, tick both the terms and the consent to sign electronically.")
        )


# -- quotes -------------------------------------------------------------------------------


@transaction.atomic
def quote_for_debtor(
    *,
    debtor: Debtor,
    portfolio: Portfolio | None = None,
    today: dt.date | None = None,
    payment_link_id: int | None = None,
) -> Quote | None:
    """The debtor's current offers, frozen as a Quote; None when nothing can be offered.

    A still-valid quote for the same debts and balance is reused, so reloading the page
    neither multiplies quotes nor the audit trail.
    """
    debts = debtor_portfolio_debts(debtor, portfolio)
    if not debts:
        return None
    policy = policy_for(debts=debts)
    if policy is None:
        return None
    portfolio = debts[0].portfolio
    today = today or portfolio_today(portfolio)
    parts = balance_parts(debts)
    if parts.total_minor <= 0:
        return None
    debt_ids = [debt.pk for debt in debts]
    recent = Quote.objects.filter(
        debtor=debtor,
        portfolio=portfolio,
        policy=policy,
        balance_minor=parts.total_minor,
        as_of__lte=today,
        valid_until__gte=today,
    ).order_by("-created_at", "-id")[:5]
    for quote in recent:
        if sorted(quote.debt_ids) == debt_ids:
            return quote

    offers = quote_offers(parts, policy, today)
    quote = Quote(
        debtor=debtor,
        portfolio=portfolio,
        policy=policy,
        payment_link_id=payment_link_id,
        debt_ids=debt_ids,
        currency=parts.currency,
        balance_minor=parts.total_minor,
        offers=[offer.to_json() for offer in offers],
        as_of=today,
        valid_until=today + dt.timedelta(days=policy.quote_validity_days),
    )
    quote.full_clean()
    quote.save()
    record(
        "quote.shown",
        actor=debtor,
        subject=quote,
        details={
            "policy_id": policy.pk,
            "debt_ids": debt_ids,
            "balance_minor": parts.total_minor,
            "currency": parts.currency,
            "offers": [offer.key for offer in offers],
            "valid_until": quote.valid_until,
            "payment_link_id": payment_link_id,
        },
    )
    return quote


# -- creating agreements ----------------------------------------------------------------


def _lock_debts(*, debtor: Debtor, debt_ids: list[int], expected_balance_minor: int) -> list[Debt]:
    """Lock the debts (rows ordered by id, so two acceptances never deadlock) and check
    they are still the debtor's, open, not in another agreement, and owe what was quoted."""
    debts = list(Debt.objects.select_for_update().filter(pk__in=debt_ids).order_by("id"))
    if len(debts) != len(set(debt_ids)) or any(d.debtor_id != debtor.pk for d in debts):
        raise AgreementError(_("These debts are no longer available for an agreement."))
    taken = AgreementDebt.objects.filter(debt__in=debts, is_active=True).exists()
    if taken or any(d.status == DebtStatus.IN_AGREEMENT for d in debts):
        raise AgreementError(_("These debts already have an active agreement."))
    if any(d.status != DebtStatus.ACTIVE for d in debts):
        raise AgreementError(_("These debts are no longer available for an agreement."))
    if sum(d.balance_minor for d in debts) != expected_balance_minor:
        raise AgreementError(
            _("Your balance changed since this offer was made. Please review the new offers.")
        )
    return debts


def _rebased(offer: Offer, today: dt.date) -> Offer:
    """The same offer built from `today` when the debtor comes back after it was made.

    The down payment is due on the day of acceptance; a first payment now in the past
    moves forward keeping the distance the policy gave it originally.
    """
    if offer.as_of >= today:
        return offer
    first = offer.first_due_date
    if first < today:
        first = today + (offer.first_due_date - offer.as_of)
    return make_offer(
        key=offer.key,
        kind=offer.kind,
        installments=offer.installments,
        frequency=offer.frequency,
        balance_minor=offer.balance_minor,
        discount_minor=offer.discount_minor,
        total_minor=offer.total_minor,
        down_payment_minor=offer.down_payment_minor,
        first_due_date=first,
        as_of=today,
    )


def _spread(amount_minor: int, weights: list[int]) -> list[int]:
    """Split `amount_minor` in proportion to `weights`, exactly (largest remainders first)."""
    total = sum(weights)
    if amount_minor == 0 or total == 0:
        return [0] * len(weights)
    shares = [amount_minor * w // total for w in weights]
    remainders = sorted(
        range(len(weights)), key=lambda i: (-(amount_minor * weights[i] % total), i)
    )
    for i in remainders[: amount_minor - sum(shares)]:
        shares[i] += 1
    return shares


def _create_agreement(
    *,
    debtor: Debtor,
    portfolio: Portfolio,
    debts: list[Debt],
    offer: Offer,
    evidence: Evidence,
    terms: tuple[str, str],
    actor: Any,
    quote: Quote | None = None,
    proposal: Proposal | None = None,
) -> Agreement:
    """The one way an agreement comes to exist; callers have locked and checked `debts`."""
    terms_version, terms_text = terms
    agreement = Agreement(
        debtor=debtor,
        portfolio=portfolio,
        kind=AgreementKind(offer.kind),
        currency=debts[0].currency,
        balance_minor=offer.balance_minor,
        discount_minor=offer.discount_minor,
        total_minor=offer.total_minor,
        down_payment_minor=offer.down_payment_minor,
        frequency=offer.frequency if offer.kind == AgreementKind.PLAN else "",
        quote=quote,
        proposal=proposal,
        terms_version=terms_version,
        terms_text=terms_text,
        terms_sha256=_sha256(terms_text),
        accepted_at=evidence.at,
        accepted_ip=evidence.ip or None,
        accepted_user_agent=(evidence.user_agent or "")[:512],
        payment_link_id=evidence.payment_link_id,
    )
    agreement.full_clean()
    agreement.save()
    agreement.number = f"ACU-{offer.as_of.year}-{agreement.pk:06d}"
    agreement.save(update_fields=["number"])

    discounts = _spread(offer.discount_minor, [d.balance_minor for d in debts])
    try:
        # The partial unique index is the last word if a lock was ever bypassed.
        with transaction.atomic():
            AgreementDebt.objects.bulk_create(
                AgreementDebt(
                    agreement=agreement,
                    debt=debt,
                    balance_minor=debt.balance_minor,
                    discount_minor=discount,
                )
                for debt, discount in zip(debts, discounts, strict=True)
            )
    except IntegrityError as error:
        raise AgreementError(_("These debts already have an active agreement.")) from error
    installments = Installment.objects.bulk_create(
        Installment(
            agreement=agreement,
            number=line.number,
            due_date=line.due_date,
            amount_minor=line.amount_minor,
        )
        for line in offer.schedule
    )
    Debt.objects.filter(pk__in=[d.pk for d in debts]).update(
        status=DebtStatus.IN_AGREEMENT, updated_at=timezone.now()
    )
    record(
        "agreement.created",
        actor=actor,
        subject=agreement,
        details={
            "number": agreement.number,
            "kind": agreement.kind,
            "offer_key": offer.key,
            "quote_id": quote.pk if quote else None,
            "proposal_id": proposal.pk if proposal else None,
            "debt_ids": [d.pk for d in debts],
            "currency": agreement.currency,
            "balance_minor": agreement.balance_minor,
            "discount_minor": agreement.discount_minor,
            "total_minor": agreement.total_minor,
            "down_payment_minor": agreement.down_payment_minor,
            "installments": [
                [line.number, line.due_date, line.amount_minor] for line in offer.schedule
            ],
            "evidence": evidence.to_json(),
            "terms_version": terms_version,
            "terms_sha256": agreement.terms_sha256,
        },
    )
    # robust: the agreement is committed; a broker hiccup is logged, not shown as a failure.
    transaction.on_commit(partial(render_agreement_pdf.delay, agreement.pk), robust=True)
    agreement._created_installments = installments  # for the notice below
    return agreement


def _notify_agreement(agreement: Agreement, notice: str, **context: Any) -> None:
    notify_debtor(
        debtor=agreement.debtor,
        notice=notice,
        context={
            "agreement": agreement,
            "installments": getattr(agreement, "_created_installments", None)
            or list(agreement.installments.all()),
            **context,
        },
    )


@transaction.atomic
def agreement_accept_offer(
    *,
    debtor: Debtor,
    quote: Quote,
    offer_key: str,
    accepted_terms: bool,
    accepted_esign: bool,
    evidence: Evidence,
) -> Agreement:
    """Turn one offer of a quote into an agreement, at most once per debt."""
    _require_consent(accepted_terms, accepted_esign)
    if quote.debtor_id != debtor.pk:
        raise AgreementError(_("This offer is not available."))
    portfolio = quote.portfolio
    today = portfolio_today(portfolio)
    if quote.valid_until < today:
        raise AgreementError(_("This offer has expired. Please review the current offers."))
    data = next((o for o in quote.offers if o.get("key") == offer_key), None)
    if data is None:
        raise AgreementError(_("This offer is not available."))
    debts = _lock_debts(
        debtor=debtor, debt_ids=quote.debt_ids, expected_balance_minor=quote.balance_minor
    )
    offer = _rebased(Offer.from_json(data), today)
    agreement = _create_agreement(
        debtor=debtor,
        portfolio=portfolio,
        debts=debts,
        offer=offer,
        evidence=evidence,
        terms=terms_for(portfolio),
        actor=debtor,
        quote=quote,
    )
    _notify_agreement(agreement, "agreement_created")
    return agreement


# -- proposals ----------------------------------------------------------------------------


def _evidence_json(evidence: Evidence, portfolio: Portfolio) -> dict[str, Any]:
    version, text = terms_for(portfolio)
    return {
        **evidence.to_json(),
        "accepted_terms": True,
        "accepted_esign": True,
        "terms_version": version,
        "terms_text": text,
    }


def _evidence_terms(data: dict[str, Any], portfolio: Portfolio) -> tuple[str, str]:
    """The terms the debtor was shown when proposing, which are the ones they accepted."""
    if data.get("terms_text"):
        return data["terms_version"], data["terms_text"]
    return terms_for(portfolio)


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
    if check.auto_approvable:
        # Lock before anything is written so two submissions cannot both become agreements.
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
    proposal.full_clean()
    proposal.save()
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
        notify_debtor(debtor=debtor, notice="proposal_received", context={"proposal": proposal})
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
    notify_debtor(debtor=current.debtor, notice="proposal_countered", context={"proposal": current})
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
    notify_debtor(debtor=current.debtor, notice="proposal_rejected", context={"proposal": current})
    return proposal


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
    debts = _lock_debts(
        debtor=debtor, debt_ids=current.debt_ids, expected_balance_minor=current.balance_minor
    )
    today = portfolio_today(current.portfolio)
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
