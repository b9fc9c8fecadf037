"""Writes for payments: starting attempts, posting succeeded intents, webhook events.

Every service that writes commits its audit record in the same transaction; Stripe calls
happen between transactions, never inside one; email and PDFs are queued `on_commit`.
"""

from .events import (
    stripe_event_problem,
    stripe_event_process,
    stripe_event_receive,
    stripe_events_drain,
)
from .paying import (
    PaymentError,
    attempt_confirm_card,
    attempt_is_payable,
    attempt_open_intent,
    attempt_start,
    check_amount,
    idempotency_base,
    payable_for_key,
)
from .posting import PostingError, payment_post_intent

__all__ = [
    "PaymentError",
    "PostingError",
    "attempt_confirm_card",
    "attempt_is_payable",
    "attempt_open_intent",
    "attempt_start",
    "check_amount",
    "idempotency_base",
    "payable_for_key",
    "payment_post_intent",
    "stripe_event_process",
    "stripe_event_problem",
    "stripe_event_receive",
    "stripe_events_drain",
]
