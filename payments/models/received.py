from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.debtors.models import currency_code
from portal.storage import private_storage

from .attempts import Method, PaymentAttempt, Provider


class PaymentStatus(models.TextChoices):
    POSTED = "posted", _("Received")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
    REFUNDED = "refunded", _("Refunded")


class Payment(models.Model):
    """Money that arrived: exactly one per provider payment (unique provider and id; for
    Stripe the id is the PaymentIntent's, also kept in `stripe_payment_intent_id`)."""

    number = models.CharField(
        max_length=24, unique=True, null=True, blank=True, verbose_name=_("number")
    )
    attempt = models.OneToOneField(
        PaymentAttempt,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payment",
        verbose_name=_("attempt"),
    )
    debtor = models.ForeignKey(
        "debtors.Debtor",
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("debtor"),
    )
    agreement = models.ForeignKey(
        "agreements.Agreement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("agreement"),
    )
    provider = models.CharField(
        max_length=12,
        choices=Provider.choices,
        default=Provider.STRIPE,
        verbose_name=_("provider"),
    )
    method = models.CharField(
        max_length=8, choices=Method.choices, default=Method.CARD, verbose_name=_("method")
    )
    provider_payment_id = models.CharField(max_length=255, verbose_name=_("provider payment"))
    stripe_payment_intent_id = models.CharField(
        max_length=255, null=True, blank=True, unique=True, verbose_name=_("Stripe payment intent")
    )
    stripe_charge_id = models.CharField(max_length=255, blank=True, verbose_name=_("Stripe charge"))
    currency = models.CharField(
        max_length=3, validators=[currency_code], verbose_name=_("currency")
    )
    amount_minor = models.BigIntegerField(
        validators=[MinValueValidator(1)], verbose_name=_("amount")
    )
    refunded_minor = models.BigIntegerField(default=0, verbose_name=_("refunded"))
    status = models.CharField(
        max_length=20,
        choices=PaymentStatus.choices,
        default=PaymentStatus.POSTED,
        verbose_name=_("status"),
    )
    disputed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("disputed at"))
    received_at = models.DateTimeField(verbose_name=_("received at"))
    receipt_pdf = models.FileField(
        upload_to="receipts/%Y/%m/",
        storage=private_storage,
        blank=True,
        verbose_name=_("receipt PDF"),
    )
    receipt_sha256 = models.CharField(max_length=64, blank=True, verbose_name=_("receipt SHA-256"))
    receipt_sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("receipt sent at"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["debtor", "-received_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_payment_id"], name="payment_provider_payment_once"
            ),
        ]
        permissions = [("refund_payment", "Can refund payments through the provider")]

    def __str__(self) -> str:
        return self.number or f"payment #{self.pk}"

    @property
    def refundable_minor(self) -> int:
        return self.amount_minor - self.refunded_minor


class PaymentAllocation(models.Model):
    """Where a payment went: one debt, optionally one installment, and its ledger entry."""

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("payment")
    )
    debt = models.ForeignKey(
        "debtors.Debt", on_delete=models.PROTECT, related_name="+", verbose_name=_("debt")
    )
    installment = models.ForeignKey(
        "agreements.Installment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="allocations",
        verbose_name=_("installment"),
    )
    ledger_entry = models.ForeignKey(
        "debtors.LedgerEntry",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("ledger entry"),
    )
    amount_minor = models.BigIntegerField(
        validators=[MinValueValidator(1)], verbose_name=_("amount")
    )

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        ordering = ["payment", "id"]

    def __str__(self) -> str:
        return f"{self.payment} → debt {self.debt_id}"
