"""Online payments: what a debtor tries to pay (attempts), what the providers told us
(Stripe events, Mercado Pago notifications), what landed (payments and their allocation to
installments and debts), refunds, disputes, automatic payments, and the online methods
each portfolio offers.

Money is integer minor units plus an ISO currency, as everywhere in the portal.
"""

from __future__ import annotations

from .attempts import AttemptStatus, Method, PaymentAttempt, Provider, Purpose
from .autopay import Autopay, AutopayStatus
from .disputes import DebtDispute
from .events import EventStatus, MercadoPagoNotification, StripeEvent
from .methods import PortfolioPaymentMethod
from .received import Payment, PaymentAllocation, PaymentStatus
from .refunds import Refund, RefundStatus
from .third_party import PayForOtherLink

__all__ = [
    "AttemptStatus",
    "Autopay",
    "AutopayStatus",
    "DebtDispute",
    "EventStatus",
    "MercadoPagoNotification",
    "Method",
    "PayForOtherLink",
    "Payment",
    "PaymentAllocation",
    "PaymentAttempt",
    "PortfolioPaymentMethod",
    "Provider",
    "PaymentStatus",
    "Purpose",
    "Refund",
    "RefundStatus",
    "StripeEvent",
]
