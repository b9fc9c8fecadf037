"""Portfolio CSV import: `portfolio_import_file` is the one entry point for writes.

parsing.py checks the file and streams validated rows (values.py checks one row);
orm_loader.py and pg_loader.py write them; uploads.py runs admin uploads.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from portal import csvsafe
from portal.audit.services import record
from portal.db import is_postgresql
from portal.pagecache import debtor_pages_all_changed

from ..models import Portfolio
from ..services import portfolio_today
from . import orm_loader, pg_loader
from .parsing import FileRefused, RowReader, source_open
from .values import RowError

# Sent inside the import's transaction with the consent the file gives:
# consents=[(debtor id, code, line)], code one of "y"/"n"/"-" per CONSENT_CHANNELS.
# Outreach, which owns consent, records it; debtors must not import outreach.
consents_imported = Signal()

__all__ = [
    "consents_imported",
    "FileRefused",
    "ImportResult",
    "RowError",
    "errors_csv_write",
    "portfolio_import_file",
]


@dataclass
class ImportResult:
    imported: int
    updated: int
    rejected: int
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    sha256: str = ""


def portfolio_import_file(
    *,
    portfolio: Portfolio,
    path_or_file: str | os.PathLike | IO[bytes],
    actor: Any = None,
    progress: Any = None,
    loader: str | None = None,
) -> ImportResult:
    """Import a portfolio CSV: upsert debtors and debts from its valid rows.

    Raises FileRefused, having written nothing, for an empty or binary file or a wrong
    header. Otherwise loads every valid row in one transaction with one audit event, and
    reports each rejected row's errors. `progress(rows_read)` is called every few
    thousand rows. `loader` ("orm" or "postgres") defaults to the database's best.

    `updated` counts the file's rows whose existing debt changed or whose existing
    debtor changed (name, birth date, language, state, a new phone or email).
    """
    loader = loader or ("postgres" if is_postgresql() else "orm")
    if loader == "postgres" and not is_postgresql():
        raise ValueError("the postgres loader needs a PostgreSQL database")
    owns_file = isinstance(path_or_file, str | os.PathLike)
    source = source_open(path_or_file)
    try:
        today = portfolio_today(portfolio)
        reader = RowReader(
            source,
            country=portfolio.country,
            currency=portfolio.currency,
            today=today,
            progress=progress,
        )
        if loader == "postgres":
            try:
                pg_loader.stage(reader)
                imported, updated = _load(pg_loader.apply, portfolio, reader, today, actor)
            finally:
                pg_loader.drop_temp_tables()
        else:
            imported, updated = _load(orm_loader.load, portfolio, reader, today, actor)
    finally:
        if owns_file:
            source.raw.close()
    return ImportResult(
        imported=imported,
        updated=updated,
        rejected=reader.rejected,
        # Stable sort: a row's errors keep the order of its columns.
        errors=sorted(reader.errors, key=lambda error: error.line),
        rows=reader.processed,
        sha256=source.sha256,
    )


def _load(load, portfolio: Portfolio, reader: RowReader, today, actor) -> tuple[int, int]:
    with transaction.atomic():
        debtor_pages_all_changed()  # on commit: set-based SQL wrote many debtors' debts
        # One import per portfolio at a time: both would read the same "before" state.
        Portfolio.objects.select_for_update().filter(pk=portfolio.pk).first()
        consents: list[tuple[int, str, int]] = []
        imported, updated = load(
            portfolio=portfolio,
            reader=reader,
            today=today,
            now=timezone.now(),
            actor=actor,
            consents=consents,
        )
        if consents:
            consents_imported.send(
                sender=Portfolio,
                portfolio=portfolio,
                consents=consents,
                sha256=reader.source.sha256,
                actor=actor,
            )
        record(
            "portfolio.imported",
            actor=actor,
            subject=portfolio,
            details={
                "portfolio": portfolio.code,
                "sha256": reader.source.sha256,
                "rows": reader.processed,
                "imported": imported,
                "updated": updated,
                "rejected": reader.rejected,
                "actor": getattr(actor, "username", None) or "system",
            },
        )
    return imported, updated


def errors_csv_write(errors: list[RowError], handle: IO[str]) -> None:
    """Write `line,column,reason` rows; the line is the file's physical line (header = 1)."""
    writer = csvsafe.writer(handle)
    writer.writerow(("line", "column", "reason"))
    writer.writerows(errors)
