from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.debtors.models import currency_code
from portal.money import format_minor


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
        "debtors.Debtor",
        on_delete=models.PROTECT,
        related_name="payment_attempts",
        verbose_name=_("debtor"),
    )
    purpose = models.CharField(max_length=12, choices=Purpose.choices, verbose_name=_("purpose"))
    agreement = models.ForeignKey(
        "agreements.Agreement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("agreement"),
    )
    installment = models.ForeignKey(
        "agreements.Installment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("installment"),
    )
    promise = models.ForeignKey(
        "agreements.PromiseToPay",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("promise"),
    )
    debt = models.ForeignKey(
        "debtors.Debt",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("debt"),
    )
    currency = models.CharField(
        max_length=3, validators=[currency_code], verbose_name=_("currency")
    )
    amount_minor = models.BigIntegerField(
        validators=[MinValueValidator(1)], verbose_name=_("amount")
    )
    idempotency_key = models.CharField(
        max_length=120, unique=True, verbose_name=_("idempotency key")
    )
    stripe_payment_intent_id = models.CharField(
        max_length=255, null=True, blank=True, unique=True, verbose_name=_("Stripe payment intent")
    )
    client_secret = models.CharField(max_length=255, blank=True, verbose_name=_("client secret"))
    status = models.CharField(
        max_length=12,
        choices=AttemptStatus.choices,
        default=AttemptStatus.NEW,
        verbose_name=_("status"),
    )
    failure_message = models.CharField(
        max_length=500, blank=True, verbose_name=_("failure message")
    )
    # Set when autopay charged a saved card off-session (no debtor at the keyboard).
    autopay = models.ForeignKey(
        "Autopay",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attempts",
        verbose_name=_("autopay"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("payment attempt")
        verbose_name_plural = _("payment attempts")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["debtor", "-created_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.purpose} {format_minor(self.amount_minor, self.currency)}"
