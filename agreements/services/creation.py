"""Creating agreements: locks, schedules, lines, installments, evidence, PDF."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from portal.audit.services import record
from portal.celery import delay_on_commit
from portal.debtors.models import Debt, Debtor, DebtStatus, Portfolio
from portal.debtors.services import portfolio_today
from portal.debtors.status import debt_status_change
from portal.outreach.notices import notice_send

from ..models import (
    Agreement,
    AgreementDebt,
    AgreementKind,
    Installment,
    Proposal,
    Quote,
)
from ..quotes import Offer, make_offer
from ..tasks import render_agreement_pdf
from .common import (
    AgreementError,
    Evidence,
    _require_consent,
    _sha256,
    terms_for,
)


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
        cash_unit_minor=offer.cash_unit_minor,
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
    # agreement.created below lists the debts: no entry per debt.
    debt_status_change(
        [d.pk for d in debts], to=DebtStatus.IN_AGREEMENT, expect=[DebtStatus.ACTIVE]
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
    delay_on_commit(render_agreement_pdf, agreement.pk)
    agreement._created_installments = installments  # for the notice below
    return agreement


def _notify_agreement(agreement: Agreement, notice: str, **context: Any) -> None:
    context = {
        "agreement": agreement,
        "installments": getattr(agreement, "_created_installments", None)
        or list(agreement.installments.all()),
        **context,
    }
    notice_send(
        debtor=agreement.debtor,
        notice=notice,
        context=context,
        about=[name for name in ("agreement", "proposal") if name in context],
        # An agreement is created by the debtor's own accept, on the portal right now; a
        # staff approval waits for their window unless they are on the portal then.
        on_portal=notice == "agreement_created",
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
