from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.debtors.models import currency_code
from portal.money import format_minor

from .received import Payment


class RefundStatus(models.TextChoices):
    REQUESTED = (
        "requested",
        pgettext_lazy("refund status", "requested (the provider asked in the background)"),
    )
    SUCCEEDED = "succeeded", pgettext_lazy("refund status", "succeeded")
    FAILED = "failed", pgettext_lazy("refund status", "failed")


class Refund(models.Model):
    """A refund staff asked for in admin. The row exists before Stripe is called, so two
    refunds at once cannot both pass the remainder check, and its id is the key.

    `request_token` comes from the refund form (one per page view): a double click posts
    it twice and finds this row instead of making a second refund. A Celery task calls
    Stripe; `attempts` counts its tries and `error` keeps the last transient failure."""

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("payment")
    )
    amount_minor = models.BigIntegerField(
        validators=[MinValueValidator(1)], verbose_name=_("amount")
    )
    currency = models.CharField(
        max_length=3, validators=[currency_code], verbose_name=_("currency")
    )
    reason = models.CharField(max_length=255, blank=True, verbose_name=_("reason"))
    idempotency_key = models.CharField(
        max_length=120, unique=True, verbose_name=_("idempotency key")
    )
    request_token = models.UUIDField(
        null=True, blank=True, unique=True, verbose_name=_("request token")
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    stripe_refund_id = models.CharField(
        max_length=255, null=True, blank=True, unique=True, verbose_name=_("Stripe refund")
    )
    # Mercado Pago's refund id (Stripe's is stripe_refund_id).
    provider_refund_id = models.CharField(
        max_length=64, blank=True, verbose_name=_("provider refund")
    )
    status = models.CharField(
        max_length=10,
        choices=RefundStatus.choices,
        default=RefundStatus.REQUESTED,
        verbose_name=_("status"),
    )
    error = models.TextField(blank=True, verbose_name=_("error"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    completed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("completed at"))

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.payment} {format_minor(self.amount_minor, self.currency)}"
