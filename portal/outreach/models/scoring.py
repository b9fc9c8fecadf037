"""What the analytics layer learned about each debt and debtor, stored where campaigns can
use it: the propensity to pay in the next 30 days per debt, and the channel and hour band
with the best estimated response per debtor. Analytics (above payments) computes them and
writes them through `portal.outreach.scoring`; outreach only reads them to segment, order
and time a campaign. Consent, the contact policy and the debtor's own preferences always
win over a best channel."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.debtors.models import ContactChannel


class ScoreBand(models.TextChoices):
    HIGH = "high", _("High propensity")
    MEDIUM = "medium", _("Medium propensity")
    LOW = "low", _("Low propensity")


class DebtScore(models.Model):
    """The current model's probability that the debt receives a payment within 30 days."""

    debt = models.OneToOneField(
        "debtors.Debt", on_delete=models.CASCADE, related_name="score", verbose_name=_("debt")
    )
    debtor = models.ForeignKey(
        "debtors.Debtor",
        on_delete=models.CASCADE,
        related_name="debt_scores",
        verbose_name=_("debtor"),
    )
    propensity = models.FloatField(verbose_name=_("propensity to pay"))
    band = models.CharField(max_length=8, choices=ScoreBand.choices, verbose_name=_("band"))
    model_version = models.CharField(max_length=40, verbose_name=_("model version"))
    scored_at = models.DateTimeField(default=timezone.now, verbose_name=_("scored at"))

    class Meta:
        verbose_name = _("debt score")
        verbose_name_plural = _("debt scores")
        indexes = [models.Index(fields=["band", "propensity"], name="outreach_score_band_idx")]

    def __str__(self) -> str:
        return f"{self.debt_id}: {self.propensity:.2f}"


class ContactTiming(models.Model):
    """The channel and local hour band with the highest estimated response for a debtor."""

    debtor = models.OneToOneField(
        "debtors.Debtor",
        on_delete=models.CASCADE,
        related_name="contact_timing",
        verbose_name=_("debtor"),
    )
    channel = models.CharField(
        max_length=10, choices=ContactChannel.choices, verbose_name=_("best channel")
    )
    hour_from = models.PositiveSmallIntegerField(verbose_name=_("from hour"))
    hour_to = models.PositiveSmallIntegerField(verbose_name=_("to hour"))
    response_rate = models.FloatField(verbose_name=_("estimated response rate"))
    estimates = models.JSONField(default=dict, blank=True, verbose_name=_("estimates"))
    computed_at = models.DateTimeField(default=timezone.now, verbose_name=_("computed at"))

    class Meta:
        verbose_name = _("best contact time")
        verbose_name_plural = _("best contact times")

    def __str__(self) -> str:
        return f"{self.debtor_id}: {self.channel} {self.hour_from}-{self.hour_to}"
