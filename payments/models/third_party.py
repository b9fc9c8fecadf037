from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PayForOtherLink(models.Model):
    """A pay-only link the debtor sends a relative: it pays one installment (or, without
    one, what is left on the agreement) and shows only the creditor, the amount and the
    due date. Only the token's SHA-256 is stored; the raw token is shown to the debtor once.

    Whoever holds it pays without an identity check, so it names nothing personal and
    lets nothing be read back: the payment posts to the debtor's agreement as usual, its
    attempt marked with this link (the payer is a third party).
    """

    token_hash = models.CharField(
        max_length=64, unique=True, editable=False, verbose_name=_("token hash")
    )
    debtor = models.ForeignKey(
        "debtors.Debtor",
        on_delete=models.PROTECT,
        related_name="pay_for_other_links",
        verbose_name=_("debtor"),
    )
    agreement = models.ForeignKey(
        "agreements.Agreement",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("agreement"),
    )
    # None: everything left on the agreement.
    installment = models.ForeignKey(
        "agreements.Installment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("installment"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))

    class Meta:
        verbose_name = _("pay-for-someone link")
        verbose_name_plural = _("pay-for-someone links")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["debtor", "-created_at"])]

    def __str__(self) -> str:
        return f"pay-for-other #{self.pk} → {self.agreement_id}"

    def is_live(self, now=None) -> bool:
        return self.revoked_at is None and (now or timezone.now()) < self.expires_at
