"""Online payments: what a debtor tries to pay (attempts), what Stripe told us (events), and
what landed (payments and their allocation to installments and debts).

Money is integer minor units plus an ISO currency, as everywhere in the portal.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.debtors.models import currency_code
from portal.debtors.money import format_minor


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
    # Set when autopay charged a saved card off-session (no debtor at the keyboard).
    autopay = models.ForeignKey(
        "Autopay", null=True, blank=True, on_delete=models.PROTECT, related_name="attempts"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("payment attempt")
        verbose_name_plural = _("payment attempts")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["debtor", "-created_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.purpose} {format_minor(self.amount_minor, self.currency)}"


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
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["debtor", "-received_at"])]
        permissions = [("refund_payment", "Can refund payments through Stripe")]

    def __str__(self) -> str:
        return self.number or f"payment #{self.pk}"

    @property
    def refundable_minor(self) -> int:
        return self.amount_minor - self.refunded_minor


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
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        ordering = ["payment", "id"]

    def __str__(self) -> str:
        return f"{self.payment} → debt {self.debt_id}"


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
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")
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


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", "requested (Stripe asked in the background)"
    SUCCEEDED = "succeeded", "succeeded"
    FAILED = "failed", "failed"


class Refund(models.Model):
    """A refund staff asked for in admin. The row exists before Stripe is called, so two
    refunds at once cannot both pass the remainder check, and its id is the key.

    `request_token` comes from the refund form (one per page view): a double click posts
    it twice and finds this row instead of making a second refund. A Celery task calls
    Stripe; `attempts` counts its tries and `error` keeps the last transient failure."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_minor = models.BigIntegerField(validators=[MinValueValidator(1)])
    currency = models.CharField(max_length=3, validators=[currency_code])
    reason = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    request_token = models.UUIDField(null=True, blank=True, unique=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    stripe_refund_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    status = models.CharField(
        max_length=10, choices=RefundStatus.choices, default=RefundStatus.REQUESTED
    )
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.payment} {format_minor(self.amount_minor, self.currency)}"


class DebtDispute(models.Model):
    """A card dispute on a payment that went to this debt. The debt is `disputed` (and so
    gets no outreach) while any of its disputes is open; `previous_status` is what it
    returns to when the dispute is won."""

    debt = models.ForeignKey("debtors.Debt", on_delete=models.PROTECT, related_name="+")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="disputes")
    stripe_dispute_id = models.CharField(max_length=255)
    previous_status = models.CharField(max_length=20)
    reason = models.CharField(max_length=100, blank=True)
    amount_minor = models.BigIntegerField(default=0)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=30, blank=True)

    class Meta:
        verbose_name = _("debt dispute")
        verbose_name_plural = _("debt disputes")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(fields=["debt", "stripe_dispute_id"], name="dispute_once"),
        ]

    def __str__(self) -> str:
        return f"{self.stripe_dispute_id} on debt {self.debt_id}"


class AutopayStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for your card")
    ACTIVE = "active", _("On")
    OFF = "off", _("Off")


class Autopay(models.Model):
    """The debtor's opt-in to have each installment of one agreement charged to a saved
    card on its due date, with the evidence of that consent (text, SHA-256, when, where)."""

    debtor = models.ForeignKey("debtors.Debtor", on_delete=models.PROTECT, related_name="autopays")
    agreement = models.ForeignKey(
        "agreements.Agreement", on_delete=models.PROTECT, related_name="autopays"
    )
    status = models.CharField(
        max_length=10, choices=AutopayStatus.choices, default=AutopayStatus.PENDING
    )
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    stripe_setup_intent_id = models.CharField(max_length=255, blank=True)
    setup_client_secret = models.CharField(max_length=255, blank=True)
    stripe_payment_method_id = models.CharField(max_length=255, blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    consent_version = models.CharField(max_length=40)
    consent_text = models.TextField()
    consent_sha256 = models.CharField(max_length=64)
    consented_at = models.DateTimeField()
    consent_ip = models.GenericIPAddressField(null=True, blank=True)
    consent_user_agent = models.CharField(max_length=512, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("automatic payment")
        verbose_name_plural = _("automatic payments")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement"],
                condition=Q(status__in=["pending", "active"]),
                name="one_live_autopay_per_agreement",
            ),
        ]

    def __str__(self) -> str:
        return f"autopay #{self.pk} {self.agreement} ({self.status})"
