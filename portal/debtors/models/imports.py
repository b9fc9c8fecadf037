from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.storage import private_name, private_storage

from .parties import Portfolio


class ImportStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("import status", "Queued")
    RUNNING = "running", pgettext_lazy("import status", "Processing")
    DONE = "done", pgettext_lazy("import status", "Finished")
    FAILED = "failed", pgettext_lazy("import status", "Rejected")


def import_file_name(instance: PortfolioImport, filename: str) -> str:
    name = PurePath(filename)
    return private_name(f"imports/{timezone.now():%Y/%m}", name.stem, name.suffix)


def import_errors_name(instance: PortfolioImport, filename: str) -> str:
    name = PurePath(filename)
    return private_name(f"imports/errors/{timezone.now():%Y/%m}", name.stem, name.suffix)


class PortfolioImport(models.Model):
    """One upload of a portfolio CSV and its outcome; the admin shows its progress."""

    portfolio = models.ForeignKey(
        Portfolio, on_delete=models.PROTECT, related_name="imports", verbose_name=_("portfolio")
    )
    file = models.FileField(
        upload_to=import_file_name, storage=private_storage, verbose_name=_("file")
    )
    original_name = models.CharField(max_length=255, verbose_name=_("original name"))
    sha256 = models.CharField(max_length=64, blank=True, verbose_name=_("SHA-256"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default="queued", verbose_name=_("status")
    )
    total_rows = models.PositiveIntegerField(default=0, verbose_name=_("total rows"))
    processed_rows = models.PositiveIntegerField(default=0, verbose_name=_("processed rows"))
    imported = models.PositiveIntegerField(default=0, verbose_name=_("imported"))
    updated = models.PositiveIntegerField(default=0, verbose_name=_("updated"))
    rejected = models.PositiveIntegerField(default=0, verbose_name=_("rejected"))
    error_message = models.TextField(blank=True, verbose_name=_("error message"))
    errors_file = models.FileField(
        upload_to=import_errors_name,
        storage=private_storage,
        blank=True,
        verbose_name=_("rejected rows file"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

    class Meta:
        verbose_name = _("portfolio import")
        verbose_name_plural = _("portfolio imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.original_name} → {self.portfolio.code}"
