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


class Provider(models.TextChoices):
    STRIPE = "stripe", "Stripe"
    MERCADOPAGO = "mercadopago", "Mercado Pago"


class Method(models.TextChoices):
    # Debtors see these on the pay page, in the order the portfolio gives them.
    PSE = "pse", _("PSE bank transfer")
    CASH = "cash", _("Cash at a collection point")
    CARD = "card", _("Card")


class AttemptStatus(models.TextChoices):
    NEW = "new", _("Being prepared")
    OPEN = "open", _("Waiting for your card")
    PROCESSING = "processing", _("Processing")
    SUCCEEDED = "succeeded", _("Paid")
    FAILED = "failed", _("Not paid")
    CANCELED = "canceled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


class PaymentAttempt(models.Model):
    """Our side of one provider payment (a Stripe PaymentIntent, a Mercado Pago payment):
    what is being paid, how much, by which provider and method, and how it went.

    `idempotency_key` is derived from what is paid (our ids, the amount, the method), so
    coming back to pay the same thing finds this row and reuses its provider payment
    instead of making one. Mercado Pago payments carry `attempt-<pk>` as their reference.
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
    provider = models.CharField(
        max_length=12,
        choices=Provider.choices,
        default=Provider.STRIPE,
        verbose_name=_("provider"),
    )
    method = models.CharField(
        max_length=8, choices=Method.choices, default=Method.CARD, verbose_name=_("method")
    )
    # Mercado Pago's payment id (Stripe's lives in stripe_payment_intent_id). NULL until
    # Mercado Pago is asked, so the unique (provider, id) constraint never sees "" twice.
    provider_payment_id = models.CharField(  # noqa: DJ001
        max_length=64, null=True, blank=True, verbose_name=_("provider payment")
    )
    # What the debtor needs to finish: the bank chosen, the voucher's reference and
    # barcode, the provider's page, the provider's own status.
    provider_details = models.JSONField(
        default=dict, blank=True, verbose_name=_("provider details")
    )
    expires_at = models.DateTimeField(null=True, blank=True, verbose_name=_("expires at"))
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
    # Set when someone else pays through the debtor's pay-only link (the payer is a third
    # party; the money is the debtor's as always).
    third_party_link = models.ForeignKey(
        "PayForOtherLink",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attempts",
        verbose_name=_("third-party link"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("payment attempt")
        verbose_name_plural = _("payment attempts")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["debtor", "-created_at"]),
            # The expiry sweep: vouchers still waiting, by deadline.
            models.Index(
                fields=["expires_at"],
                condition=models.Q(status="processing", expires_at__isnull=False),
                name="attempt_waiting_expiry",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_payment_id"], name="attempt_provider_payment_once"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.purpose} {format_minor(self.amount_minor, self.currency)}"
