"""A trained propensity model: its metrics for the model card and its stored artifact."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.storage import private_storage


class PropensityModel(models.Model):
    version = models.CharField(max_length=40, unique=True, verbose_name=_("version"))
    algorithm = models.CharField(max_length=40, verbose_name=_("algorithm"))
    trained_at = models.DateTimeField(default=timezone.now, verbose_name=_("trained at"))
    window_start = models.DateField(verbose_name=_("first cut-off"))
    window_end = models.DateField(verbose_name=_("last cut-off"))
    feature_names = models.JSONField(default=list, verbose_name=_("features"))
    metrics = models.JSONField(default=dict, verbose_name=_("holdout metrics"))
    calibration = models.JSONField(default=list, verbose_name=_("calibration curve"))
    lift = models.JSONField(default=list, verbose_name=_("lift by decile"))
    importance = models.JSONField(default=list, verbose_name=_("feature importance"))
    # Only the portal writes this file; its SHA-256 is checked before it is loaded.
    artifact = models.FileField(
        upload_to="models/", storage=private_storage, verbose_name=_("artifact")
    )
    artifact_sha256 = models.CharField(max_length=64, verbose_name=_("artifact SHA-256"))
    is_current = models.BooleanField(default=False, verbose_name=_("current"))

    class Meta:
        verbose_name = _("propensity model")
        verbose_name_plural = _("propensity models")
        ordering = ["-trained_at"]
        permissions = [("train_propensitymodel", _("Can train the propensity model"))]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"],
                condition=models.Q(is_current=True),
                name="analytics_one_current_model",
            )
        ]

    def __str__(self) -> str:
        return self.version
