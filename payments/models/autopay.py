from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AutopayStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for your card")
    ACTIVE = "active", _("On")
    OFF = "off", _("Off")


class Autopay(models.Model):
    """The debtor's opt-in to have each installment of one agreement charged to a saved
    card on its due date, with the evidence of that consent (text, SHA-256, when, where)."""

    debtor = models.ForeignKey(
        "debtors.Debtor",
        on_delete=models.PROTECT,
        related_name="autopays",
        verbose_name=_("debtor"),
    )
    agreement = models.ForeignKey(
        "agreements.Agreement",
        on_delete=models.PROTECT,
        related_name="autopays",
        verbose_name=_("agreement"),
    )
    status = models.CharField(
        max_length=10,
        choices=AutopayStatus.choices,
        default=AutopayStatus.PENDING,
        verbose_name=_("status"),
    )
    stripe_customer_id = models.CharField(
        max_length=255, blank=True, verbose_name=_("Stripe customer")
    )
    stripe_setup_intent_id = models.CharField(
        max_length=255, blank=True, verbose_name=_("Stripe setup intent")
    )
    setup_client_secret = models.CharField(
        max_length=255, blank=True, verbose_name=_("setup client secret")
    )
    stripe_payment_method_id = models.CharField(
        max_length=255, blank=True, verbose_name=_("Stripe payment method")
    )
    card_brand = models.CharField(max_length=20, blank=True, verbose_name=_("card brand"))
    card_last4 = models.CharField(max_length=4, blank=True, verbose_name=_("card's last 4 digits"))
    consent_version = models.CharField(max_length=40, verbose_name=_("consent version"))
    consent_text = models.TextField(verbose_name=_("consent text"))
    consent_sha256 = models.CharField(max_length=64, verbose_name=_("consent SHA-256"))
    consented_at = models.DateTimeField(verbose_name=_("consented at"))
    consent_ip = models.GenericIPAddressField(null=True, blank=True, verbose_name=_("consent IP"))
    consent_user_agent = models.CharField(
        max_length=512, blank=True, verbose_name=_("consent user agent")
    )
    activated_at = models.DateTimeField(null=True, blank=True, verbose_name=_("activated at"))
    disabled_at = models.DateTimeField(null=True, blank=True, verbose_name=_("disabled at"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

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
