from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class StageTone(models.TextChoices):
    FRIENDLY = "friendly", _("Friendly reminder")
    SUPPORTIVE = "supportive", _("Supportive")
    URGENT = "urgent", _("Urgent but respectful")
    FORMAL = "formal", _("Formal (pre-legal)")


class MoraStage(models.Model):
    """A band of days past due. Bands cover every integer once: no overlaps, no gaps.

    An empty `min_days` means "from minus infinity", an empty `max_days` "to infinity".
    """

    code = models.SlugField(max_length=30, unique=True, verbose_name=_("code"))
    name = models.CharField(max_length=80, verbose_name=_("name"))
    min_days = models.IntegerField(null=True, blank=True, verbose_name=_("minimum days past due"))
    max_days = models.IntegerField(null=True, blank=True, verbose_name=_("maximum days past due"))
    tone = models.CharField(
        max_length=12, choices=StageTone.choices, default=StageTone.FRIENDLY, verbose_name=_("tone")
    )

    class Meta:
        verbose_name = _("mora stage")
        verbose_name_plural = _("mora stages")
        ordering = [F("min_days").asc(nulls_first=True)]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_days__isnull=True)
                | Q(max_days__isnull=True)
                | Q(min_days__lte=F("max_days")),
                name="mora_stage_min_le_max",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def contains(self, days: int) -> bool:
        return (self.min_days is None or days >= self.min_days) and (
            self.max_days is None or days <= self.max_days
        )
