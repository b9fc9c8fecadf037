from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.debtors.models import currency_code
from portal.money import format_minor


class PromiseStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    KEPT = "kept", _("Kept")
    BROKEN = "broken", _("Broken")
    CANCELLED = "cancelled", _("Cancelled")


class PromiseToPay(models.Model):
    """An amount the debtor promises to pay on a date, without a plan."""

    debtor = models.ForeignKey(
        "debtors.Debtor",
        on_delete=models.PROTECT,
        related_name="promises",
        verbose_name=_("debtor"),
    )
    debt = models.ForeignKey(
        "debtors.Debt", on_delete=models.PROTECT, related_name="promises", verbose_name=_("debt")
    )
    currency = models.CharField(
        max_length=3, validators=[currency_code], verbose_name=_("currency")
    )
    amount_minor = models.BigIntegerField(
        validators=[MinValueValidator(1)], verbose_name=_("amount")
    )
    promised_date = models.DateField(verbose_name=_("promised date"))
    status = models.CharField(
        max_length=10,
        choices=PromiseStatus.choices,
        default=PromiseStatus.PENDING,
        verbose_name=_("status"),
    )
    source = models.CharField(max_length=10, default="portal", verbose_name=_("source"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    # The call or visit it was made on, when an agent took it (source "call").
    contact_outcome = models.OneToOneField(
        "outreach.ContactOutcome",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="promise",
        verbose_name=_("contact outcome"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("resolved at"))

    class Meta:
        verbose_name = _("promise to pay")
        verbose_name_plural = _("promises to pay")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "promised_date"])]

    def __str__(self) -> str:
        amount = format_minor(self.amount_minor, self.currency)
        return f"promise #{self.pk} {amount} by {self.promised_date}"
