"""Agreements accepted and payment attempts started through the real services."""

from __future__ import annotations

import datetime as dt

from agreements.models import Agreement
from agreements.services import Evidence, agreement_accept_offer, quote_for_debtor
from payments.models import PaymentAttempt
from payments.services import attempt_start


def accept_offer(debtor, offer_key: str) -> Agreement:
    quote = quote_for_debtor(debtor=debtor)
    return agreement_accept_offer(
        debtor=debtor,
        quote=quote,
        offer_key=offer_key,
        accepted_terms=True,
        accepted_esign=True,
        evidence=Evidence(
            at=dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC),
            ip="190.24.1.10",
            user_agent="pytest",
            payment_link_id=None,
        ),
    )


def started(debtor, key: str, amount_minor: int | None = None, *, intent_id: str | None = None):
    """An attempt started through the service, with a made-up PaymentIntent id (for tests
    that deliver their own signed events; nothing here calls Stripe)."""
    attempt = attempt_start(debtor=debtor, key=key, amount_minor=amount_minor)
    PaymentAttempt.objects.filter(pk=attempt.pk).update(
        stripe_payment_intent_id=intent_id or f"pi_test{attempt.pk:08d}", status="open"
    )
    attempt.refresh_from_db()
    return attempt
