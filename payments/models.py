"""Online payments: what a debtor tries to pay (attempts), what Stripe told us (events), and
what landed (payments and their allocation to installments and debts).

Money is integer minor units plus an ISO currency, as everywhere in the portal.
"""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.debtors.models import currency_code


class Purpose(models.TextChoices):
    INSTALLMENT = "installment", _("Next installment")
    AGREEMENT = "agreement", _("Everything left on the agreement")
    PROMISE = "promise", _("Promise to pay")
    FREE = "free", _("Amount of your choice")


class AttemptStatus(models.TextChoices):
    NEW = "new", _("Being prepared")
    OPEN = "open", _("Waiting for your card")
    PROCESSING = "processing", _("Processing")
    SUCCEEDED = "succeeded", _("Paid")
    FAILED = "failed", _("Not paid")
    CANCELED = "canceled", _("Cancelled")


class PaymentAttempt(models.Model):
    """Our side of one Stripe PaymentIntent: what is being paid, how much, and how it went.

    `idempotency_key` is derived from what is paid (our ids and the amount), so coming back
    to pay the same thing finds this row and reuses its PaymentIntent instead of making one.
    """

    debtor = models.ForeignKey(
        "debtors.Debtor", on_delete=models.PROTECT, related_name="payment_attempts"
    )
    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    agreement = models.ForeignKey(
        "agreements.Agreement", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    installment = models.ForeignKey(
        "agreements.Installment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    promise = models.ForeignKey(
        "agreements.PromiseToPay",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    debt = models.ForeignKey(
        "debtors.Debt", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    currency = models.CharField(max_length=3, validators=[currency_code])
    amount_minor = models.BigIntegerField(validators=[MinValueValidator(1)])
    idempotency_key = models.CharField(max_length=120, unique=True)
    stripe_payment_intent_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    client_secret = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        max_length=12, choices=AttemptStatus.choices, default=AttemptStatus.NEW
    )
    failure_message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["debtor", "-created_at"])]

    def __str__(self) -> str:
        return f"attempt #{self.pk} {self.purpose} {self.amount_minor} {self.currency}"


class PaymentStatus(models.TextChoices):
    POSTED = "posted", _("Received")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
    REFUNDED = "refunded", _("Refunded")


class Payment(models.Model):
    """Money that arrived: exactly one per succeeded PaymentIntent (unique id)."""

    number = models.CharField(max_length=24, unique=True, null=True, blank=True)
    attempt = models.OneToOneField(
        PaymentAttempt, null=True, blank=True, on_delete=models.PROTECT, related_name="payment"
    )
    debtor = models.ForeignKey("debtors.Debtor", on_delete=models.PROTECT, related_name="payments")
    agreement = models.ForeignKey(
        "agreements.Agreement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    stripe_payment_intent_id = models.CharField(max_length=255, unique=True)
    stripe_charge_id = models.CharField(max_length=255, blank=True)
    currency = models.CharField(max_length=3, validators=[currency_code])
    amount_minor = models.BigIntegerField(validators=[MinValueValidator(1)])
    refunded_minor = models.BigIntegerField(default=0)
    status = models.CharField(
        max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.POSTED
    )
    disputed_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField()
    receipt_pdf = models.FileField(upload_to="receipts/%Y/%m/", blank=True)
    receipt_sha256 = models.CharField(max_length=64, blank=True)
    receipt_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["debtor", "-received_at"])]

    def __str__(self) -> str:
        return self.number or f"payment #{self.pk}"


class PaymentAllocation(models.Model):
    """Where a payment went: one debt, optionally one installment, and its ledger entry."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    debt = models.ForeignKey("debtors.Debt", on_delete=models.PROTECT, related_name="+")
    installment = models.ForeignKey(
        "agreements.Installment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="allocations",
    )
    ledger_entry = models.ForeignKey(
        "debtors.LedgerEntry", on_delete=models.PROTECT, related_name="+"
    )
    amount_minor = models.BigIntegerField(validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["payment", "id"]

    def __str__(self) -> str:
        return f"{self.payment} → debt {self.debt_id} {self.amount_minor}"


class EventStatus(models.TextChoices):
    RECEIVED = "received", "received"
    PROCESSED = "processed", "processed"
    IGNORED = "ignored", "ignored"
    DEFERRED = "deferred", "deferred (its payment is not posted yet)"
    FAILED = "failed", "failed"


class StripeEvent(models.Model):
    """Every webhook event, stored once by Stripe's id before anything is done with it."""

    stripe_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payment_intent_id = models.CharField(max_length=255, blank=True)
    livemode = models.BooleanField(default=False)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=EventStatus.choices, default=EventStatus.RECEIVED
    )
    error = models.TextField(blank=True)
    stripe_created_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(
                fields=["payment_intent_id"],
                condition=Q(status="deferred"),
                name="stripe_event_deferred",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_id} ({self.status})"
