from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .debts import Debt, DebtStatus


class HoldKind(models.TextChoices):
    CARD = "card", _("Card dispute")
    CALL = "call", _("Dispute raised on a call")
    ONLINE = "online", _("Dispute filed on the portal")


class DisputeHold(models.Model):
    """One open or closed dispute on a debt, whatever raised it. While any hold on a debt is
    open the debt is `disputed` (so it gets no outreach); when the last one closes the debt
    goes back to `previous_status`, the status it had before the first. Written only by
    `portal.debtors.disputes`; the app that raised it keeps its own record (a card
    dispute, a logged call) and names it in `reference`."""

    # No index of its own: the unique (debt, kind, reference) constraint serves debt lookups.
    debt = models.ForeignKey(
        Debt,
        on_delete=models.PROTECT,
        related_name="dispute_holds",
        db_index=False,
        verbose_name=_("debt"),
    )
    kind = models.CharField(max_length=8, choices=HoldKind.choices, verbose_name=_("kind"))
    # The Stripe dispute id of a card dispute, the contact outcome id of a call.
    reference = models.CharField(max_length=255, verbose_name=_("reference"))
    previous_status = models.CharField(
        max_length=16, choices=DebtStatus.choices, verbose_name=_("previous status")
    )
    opened_at = models.DateTimeField(verbose_name=_("opened at"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("opened by"),
    )
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("closed by"),
    )

    class Meta:
        verbose_name = _("dispute hold")
        verbose_name_plural = _("dispute holds")
        ordering = ["opened_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["debt", "kind", "reference"], name="dispute_hold_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference} on debt {self.debt_id}"
