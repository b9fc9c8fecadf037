"""Quotes: the offers a debtor sees, frozen for the policy's validity."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from portal.audit.services import record
from portal.debtors.models import Debtor, Portfolio
from portal.debtors.services import portfolio_today

from ..models import (
    Quote,
)
from ..quotes import balance_parts, quote_offers
from ..selectors import debtor_portfolio_debts, policy_for


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
