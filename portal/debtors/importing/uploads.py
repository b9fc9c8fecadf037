"""Admin uploads: queue a PortfolioImport, run it in a task, keep its progress current."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation

from portal.audit.services import record

from ..models import ImportStatus, PortfolioImport
from . import FileRefused, errors_csv_write, portfolio_import_file
from .values import RowError

logger = logging.getLogger(__name__)

ERRORS_SHOWN = 50
STALE_MARGIN_SECONDS = 10 * 60
STALE_MESSAGE = (
    "The import stopped without finishing (its worker was interrupted); nothing was "
    "written. Upload the file again."
)


def portfolio_import_queue(*, portfolio_import: PortfolioImport, actor: Any) -> PortfolioImport:
    """Save an uploaded (unsaved) import with its hash and row estimate; queue the task."""
    from ..tasks import import_portfolio_file  # tasks import this module

    digest = hashlib.sha256()
    lines = 0
    upload = portfolio_import.file
    upload.open("rb")
    for chunk in upload.chunks():
        digest.update(chunk)
        lines += chunk.count(b"\n")
    upload.seek(0)
    portfolio_import.original_name = PurePath(upload.name).name[:255]
    portfolio_import.sha256 = digest.hexdigest()
    portfolio_import.total_rows = max(lines - 1, 0)  # an estimate: quoted fields may wrap
    portfolio_import.uploaded_by = actor
    portfolio_import.status = ImportStatus.QUEUED
    with transaction.atomic():
        portfolio_import.save()
        record(
            "portfolio.import_queued",
            actor=actor,
            subject=portfolio_import,
            details={
                "portfolio": portfolio_import.portfolio.code,
                "file": portfolio_import.original_name,
                "sha256": portfolio_import.sha256,
            },
        )
        transaction.on_commit(lambda: import_portfolio_file.delay(portfolio_import.pk))
    return portfolio_import


def portfolio_import_run(*, import_id: int) -> None:
    """Run a queued import once; a redelivered task finds it claimed and does nothing."""
    claimed = PortfolioImport.objects.filter(pk=import_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return
    job = PortfolioImport.objects.select_related("portfolio", "uploaded_by").get(pk=import_id)
    jobs = PortfolioImport.objects.filter(pk=import_id)

    def progress(rows: int) -> None:
        jobs.update(processed_rows=rows)

    try:
        # Reasons for rejected rows are written in the staff's default language, the same
        # whether the task runs in a worker or inline after the upload.
        with job.file.open("rb") as handle, translation.override(settings.LANGUAGE_CODE):
            result = portfolio_import_file(
                portfolio=job.portfolio,
                path_or_file=handle,
                actor=job.uploaded_by,
                progress=progress,
            )
    except FileRefused as exc:
        with transaction.atomic():
            jobs.update(
                status=ImportStatus.FAILED, error_message=str(exc), finished_at=timezone.now()
            )
            record(
                "portfolio.import_refused",
                actor=job.uploaded_by,
                subject=job,
                details={"portfolio": job.portfolio.code, "reason": str(exc)},
            )
        return
    except Exception:
        logger.exception("portfolio import %s failed", import_id)
        jobs.update(
            status=ImportStatus.FAILED,
            error_message="The import failed unexpectedly; nothing was written. "
            "Staff have the details in the logs.",
            finished_at=timezone.now(),
        )
        raise

    if result.errors:
        buffer = io.StringIO()
        errors_csv_write(result.errors, buffer)
        stem = PurePath(job.original_name).stem or "import"
        job.errors_file.save(
            f"{stem}-errors.csv", ContentFile(buffer.getvalue().encode("utf-8")), save=False
        )
    jobs.update(
        status=ImportStatus.DONE,
        processed_rows=result.rows,
        total_rows=result.rows,
        imported=result.imported,
        updated=result.updated,
        rejected=result.rejected,
        errors_file=job.errors_file.name or "",
        finished_at=timezone.now(),
    )


def portfolio_imports_fail_stale(*, now: dt.datetime | None = None) -> int:
    """Mark FAILED the imports left RUNNING by a worker that died; returns how many.

    An import writes in one transaction, so a dead worker wrote nothing. Its task
    message may come back (acks late), but finds the job claimed and does nothing; so
    a job still running well after the task's hard time limit is marked failed here,
    and staff upload the file again. Not re-queued automatically: a file that kills its
    worker (memory, say) would otherwise loop.
    """
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + STALE_MARGIN_SECONDS)
    failed = 0
    for job in PortfolioImport.objects.filter(
        status=ImportStatus.RUNNING, started_at__lt=cutoff
    ).select_related("portfolio"):
        with transaction.atomic():
            claimed = PortfolioImport.objects.filter(pk=job.pk, status=ImportStatus.RUNNING).update(
                status=ImportStatus.FAILED, error_message=STALE_MESSAGE, finished_at=now
            )
            if not claimed:
                continue
            record(
                "portfolio.import_stalled",
                subject=job,
                details={"portfolio": job.portfolio.code, "started_at": job.started_at.isoformat()},
            )
            failed += 1
    return failed


def import_errors_head(job: PortfolioImport, limit: int = ERRORS_SHOWN) -> list[RowError]:
    """The first rejected-row errors of a finished import, for its admin page."""
    if not job.errors_file:
        return []
    with job.errors_file.open("rb") as handle:
        reader = csv.reader(io.TextIOWrapper(handle, encoding="utf-8", newline=""))
        next(reader, None)
        return [
            RowError(int(line), column, reason)
            for (line, column, reason), _ in zip(reader, range(limit), strict=False)
        ]
