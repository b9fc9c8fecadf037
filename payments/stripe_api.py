"""The only place that talks to Stripe. Every call is a network call: never inside a
database transaction (callers commit first, then call, then store the answer)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import stripe
from django.conf import settings

DEFAULT_API_BASE = "https://api.stripe.com"


class PaymentsNotConfigured(RuntimeError):
    """No Stripe keys: the portal says payments are unavailable instead of failing."""


def is_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_PUBLISHABLE_KEY)


def is_test_mode() -> bool:
    """Test keys or localstripe: no real money moves, and the pages say so."""
    return is_configured() and (
        bool(settings.STRIPE_API_BASE) or settings.STRIPE_SECRET_KEY.startswith("sk_test_")
    )


def _options() -> dict[str, Any]:
    if not is_configured():
        raise PaymentsNotConfigured("STRIPE_SECRET_KEY / STRIPE_PUBLISHABLE_KEY are not set")
    # Read on every call so tests (and a test-only STRIPE_API_BASE) can point it elsewhere.
    stripe.api_base = settings.STRIPE_API_BASE or DEFAULT_API_BASE
    return {"api_key": settings.STRIPE_SECRET_KEY}


def intent_create(
    *, amount_minor: int, currency: str, metadata: dict[str, str], idempotency_key: str
) -> stripe.PaymentIntent:
    """A card PaymentIntent; the key makes a retry of the same logical payment return the
    same PaymentIntent on Stripe's side."""
    return stripe.PaymentIntent.create(
        amount=amount_minor,
        currency=currency.lower(),
        # Cards only: the Payment Element then shows the card form, and the Card Element
        # (localstripe's stand-in) confirms the same intent.
        payment_method_types=["card"],
        metadata=metadata,
        idempotency_key=idempotency_key,
        **_options(),
    )


def intent_retrieve(intent_id: str) -> stripe.PaymentIntent:
    return stripe.PaymentIntent.retrieve(intent_id, **_options())


def intent_cancel(intent_id: str) -> stripe.PaymentIntent:
    return stripe.PaymentIntent.cancel(intent_id, **_options())


def intent_confirm_with_token(
    *, intent_id: str, token_id: str, idempotency_key: str
) -> stripe.PaymentIntent:
    """Card Element path: the browser tokenised the card with Stripe.js (card data went to
    Stripe, never to us); attach the token's card and confirm on the server.

    localstripe implements neither `payment_method_data` nor `confirm(payment_method=...)`,
    so the card is set with an update, then the intent is confirmed.
    """
    options = _options()
    token = stripe.Token.retrieve(token_id, **options)
    stripe.PaymentIntent.modify(intent_id, payment_method=token.card.id, **options)
    return stripe.PaymentIntent.confirm(
        intent_id, idempotency_key=f"{idempotency_key}:confirm:{token_id}", **options
    )


def intents_created_since(since_ts: int, *, page_size: int = 100) -> Iterator[dict[str, Any]]:
    """Every PaymentIntent created at or after `since_ts` (Unix time), newest first, as
    plain dicts; the pages are fetched as the caller iterates (auto-paging), so the caller
    must not hold a transaction open across iterations."""
    return _created_since(stripe.PaymentIntent, since_ts, page_size)


# Errors after which Stripe may or may not have acted: the same call is tried again later
# with the same idempotency key. Anything else from Stripe is a definite "no".
TRANSIENT_ERRORS = (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError)


def refund_create(
    *,
    payment_intent_id: str,
    amount_minor: int,
    idempotency_key: str,
    metadata: dict[str, str] | None = None,
) -> Any:
    """A (partial) refund of a PaymentIntent's charge; the key is made of our ids, and the
    metadata names our refund row so that a lost answer can be found again."""
    return stripe.Refund.create(
        payment_intent=payment_intent_id,
        amount=amount_minor,
        metadata=metadata or {},
        idempotency_key=idempotency_key,
        **_options(),
    )


def refunds_for_intent(intent_id: str) -> list[dict[str, Any]]:
    """Every refund of an intent's charge, as plain dicts."""
    page = stripe.Refund.list(payment_intent=intent_id, limit=100, **_options())
    return [refund.to_dict() for refund in page.auto_paging_iter()]


def _created_since(resource, since_ts: int, page_size: int) -> Iterator[dict[str, Any]]:
    options = _options()
    if settings.STRIPE_API_BASE:
        # localstripe (the test-only API base) has no `created` filter (400 on intents,
        # 500 on refunds): list everything and filter here, as Stripe would have.
        page = resource.list(limit=page_size, **options)
    else:
        page = resource.list(created={"gte": since_ts}, limit=page_size, **options)
    for item in page.auto_paging_iter():
        if item.created >= since_ts:
            yield item.to_dict()


def refunds_created_since(since_ts: int, *, page_size: int = 100) -> Iterator[dict[str, Any]]:
    """Every refund created at or after `since_ts`, ours and the dashboard's, page by page
    as the caller iterates (no transaction may be open across iterations)."""
    return _created_since(stripe.Refund, since_ts, page_size)


def disputes_created_since(since_ts: int, *, page_size: int = 100) -> Iterator[dict[str, Any]]:
    """Every dispute created at or after `since_ts` (localstripe has no disputes)."""
    return _created_since(stripe.Dispute, since_ts, page_size)


def intent_refunded_total(intent_id: str) -> int:
    """What Stripe has refunded on an intent's charge so far (cumulative, all refunds)."""
    intent = stripe.PaymentIntent.retrieve(intent_id, expand=["latest_charge"], **_options())
    charge = intent.latest_charge
    return int(charge.amount_refunded or 0) if charge else 0


def customer_create(*, name: str, email: str, metadata: dict[str, str], idempotency_key: str):
    return stripe.Customer.create(
        name=name,
        email=email or None,
        metadata=metadata,
        idempotency_key=idempotency_key,
        **_options(),
    )


def setup_intent_create(*, customer_id: str, metadata: dict[str, str], idempotency_key: str):
    """Save a card for charges made later without the debtor (usage=off_session)."""
    return stripe.SetupIntent.create(
        customer=customer_id,
        usage="off_session",
        payment_method_types=["card"],
        metadata=metadata,
        idempotency_key=idempotency_key,
        **_options(),
    )


def setup_intent_retrieve(setup_intent_id: str):
    return stripe.SetupIntent.retrieve(setup_intent_id, **_options())


def payment_method_retrieve(payment_method_id: str):
    return stripe.PaymentMethod.retrieve(payment_method_id, **_options())


def intent_charge_off_session(
    *,
    amount_minor: int,
    currency: str,
    customer_id: str,
    payment_method_id: str,
    metadata: dict[str, str],
    idempotency_key: str,
) -> stripe.PaymentIntent:
    """Charge a saved card without the debtor present; raises stripe.CardError on a
    decline (Stripe then also sends payment_intent.payment_failed)."""
    return stripe.PaymentIntent.create(
        amount=amount_minor,
        currency=currency.lower(),
        customer=customer_id,
        payment_method=payment_method_id,
        payment_method_types=["card"],
        off_session=True,
        confirm=True,
        metadata=metadata,
        idempotency_key=idempotency_key,
        **_options(),
    )


def signature_verify(payload: bytes, signature: str) -> None:
    """Verify the Stripe-Signature header (HMAC with our secret, timestamp within the
    tolerance on both sides of now); raises SignatureVerificationError saying why. The body
    is parsed and checked by the caller: a signed body need not be an event
    (`stripe_event_problem`)."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise stripe.SignatureVerificationError("no webhook secret configured", signature)
    tolerance = settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS
    stripe.WebhookSignature.verify_header(
        payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=tolerance
    )
    # stripe-python only refuses timestamps older than the tolerance; a header dated ahead
    # would stay replayable for as long as it is early, so the window is closed both ways.
    timestamp = _signature_timestamp(signature)
    if timestamp > time.time() + tolerance:
        raise stripe.SignatureVerificationError(
            "timestamp is more than the tolerance in the future", signature
        )


def _signature_timestamp(signature: str) -> int:
    # verify_header has already parsed a valid integer `t=` from this header.
    for item in signature.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            return int(value)
    raise stripe.SignatureVerificationError("no timestamp in the header", signature)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def checkout_csp() -> dict[str, list[str]]:
    """What the checkout page adds to the site's CSP: Stripe.js, its frames, its API.

    Only the checkout page gets these; every other page keeps the strict site policy.
    """
    script = [_origin(settings.STRIPE_JS_URL)]
    connect = list(settings.STRIPE_CONNECT_ORIGINS)
    if settings.STRIPE_API_BASE:  # localstripe's stand-in calls its own server
        connect.append(_origin(settings.STRIPE_API_BASE))
    return {
        "script-src": script,
        "frame-src": list(settings.STRIPE_FRAME_ORIGINS),
        "connect-src": connect,
    }
