from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .parties import Portfolio


class ImportStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("import status", "Queued")
    RUNNING = "running", pgettext_lazy("import status", "Processing")
    DONE = "done", pgettext_lazy("import status", "Finished")
    FAILED = "failed", pgettext_lazy("import status", "Rejected")


class PortfolioImport(models.Model):
    """One upload of a portfolio CSV and its outcome; the admin shows its progress."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.PROTECT, related_name="imports")
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default="queued")
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    error_message = models.TextField(blank=True)
    errors_file = models.FileField(upload_to="imports/errors/%Y/%m/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("portfolio import")
        verbose_name_plural = _("portfolio imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.original_name} → {self.portfolio.code}"
