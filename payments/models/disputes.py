from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .received import Payment


class DebtDispute(models.Model):
    """A card dispute on a payment that went to this debt. The debt is `disputed` (and so
    gets no outreach) while any of its disputes is open; `previous_status` is what it
    returns to when the dispute is won."""

    debt = models.ForeignKey(
        "debtors.Debt", on_delete=models.PROTECT, related_name="+", verbose_name=_("debt")
    )
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="disputes", verbose_name=_("payment")
    )
    stripe_dispute_id = models.CharField(max_length=255, verbose_name=_("Stripe dispute"))
    previous_status = models.CharField(max_length=20, verbose_name=_("previous status"))
    reason = models.CharField(max_length=100, blank=True, verbose_name=_("reason"))
    amount_minor = models.BigIntegerField(default=0, verbose_name=_("amount"))
    opened_at = models.DateTimeField(verbose_name=_("opened at"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))
    outcome = models.CharField(max_length=30, blank=True, verbose_name=_("outcome"))

    class Meta:
        verbose_name = _("debt dispute")
        verbose_name_plural = _("debt disputes")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(fields=["debt", "stripe_dispute_id"], name="dispute_once"),
        ]

    def __str__(self) -> str:
        return f"{self.stripe_dispute_id} on debt {self.debt_id}"
