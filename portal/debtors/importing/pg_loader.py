"""PostgreSQL loader: COPY valid rows into a temp table, then upsert with set-based SQL.

`stage` runs outside the import transaction (temp tables are private to the session),
so progress written while the file streams in is visible to the admin page. `apply`
runs inside it. Every UPDATE is guarded with IS DISTINCT FROM, so re-importing a file
touches no row. Results match orm_loader exactly; see its docstring.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from ..models import Debt, Debtor, LedgerEntry, Portfolio
from . import pg_sql as sql
from .orm_loader import ADJUSTMENT_DESCRIPTION, CHARGE_DESCRIPTION, OTHER_DEBTOR
from .parsing import RowReader
from .values import ImportRow, RowError

_IMPORT_LOCK_KEY = 0x696D7074  # "impt"
_COLUMNS = ", ".join(ImportRow._fields).replace("_minor", "")


def _with_defaults(statement: str, params: dict[str, Any]) -> str:
    """Fill in the columns an INSERT does not name, with each field's Python default.

    Django applies model defaults in Python, not in the table, so raw INSERTs must send
    them; reading them from the models keeps this right when fields are added.
    """
    named = {
        Debtor: {
            "id",
            "document_type",
            "document_number",
            "full_name",
            "birth_date",
            "phones",
            "emails",
            "language",
            "state",
            "created_at",
            "updated_at",
        },
        Debt: {
            "id",
            "portfolio_id",
            "debtor_id",
            "account_ref",
            "currency",
            "principal_due_minor",
            "interest_due_minor",
            "fees_due_minor",
            "balance_minor",
            "principal_minor",
            "interest_minor",
            "fees_minor",
            "original_due_date",
            "days_past_due",
            "status",
            "created_at",
            "updated_at",
        },
        LedgerEntry: {
            "id",
            "debt_id",
            "kind",
            "amount_minor",
            "principal_minor",
            "interest_minor",
            "fees_minor",
            "currency",
            "effective_date",
            "description",
            "created_at",
            "created_by_id",
        },
    }
    parts = {}
    for model, prefix in ((Debtor, "debtor"), (Debt, "debt"), (LedgerEntry, "entry")):
        columns, values = [], []
        for field in model._meta.concrete_fields:
            if field.column in named[model]:
                continue
            key = f"{prefix}_{field.column}"
            columns.append(f", {field.column}")
            values.append(f", %({key})s")
            params[key] = field.get_db_prep_save(field.get_default(), connection)
        parts[f"{prefix}_columns"] = "".join(columns)
        parts[f"{prefix}_values"] = "".join(values)
    return statement.format(**parts)


def drop_temp_tables() -> None:
    with connection.cursor() as cursor:
        for table in sql.TEMP_TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{table}")


def stage(reader: RowReader) -> None:
    """Stream the valid rows into the session's staging table, one COPY per chunk.

    The reader's progress callback writes to the database on this same connection,
    which must not happen while a COPY holds it, so it runs between chunks.
    """
    drop_temp_tables()
    with connection.cursor() as cursor:
        cursor.execute(sql.CREATE_STAGING)
        for chunk in reader.formatted(copy_line):
            if chunk:
                with cursor.copy(f"COPY import_row ({_COLUMNS}) FROM STDIN") as copy:
                    copy.write(chunk.encode())
        cursor.execute("ANALYZE import_row")


# COPY's text format: backslash, tab, newline and carriage return must be escaped.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]").search
_NULL = "\\N"


def copy_line(row: ImportRow) -> str:
    """One staged row in COPY's text format.

    One f-string per row rather than a call per field: formatting was as slow as
    validating. Only the text that came from the file (reference, document number, name,
    email) can hold a character COPY treats specially, and almost never does, so it is
    checked in one search and escaped only then. The type, language, state, phone
    (E.164), amounts and dates were normalised by the validator.
    """
    (
        line,
        account,
        kind,
        number,
        name,
        birth,
        phone,
        email,
        language,
        principal,
        interest,
        fees,
        due,
        consent,
        state,
    ) = row
    email = email or ""
    if _NEEDS_ESCAPE(account + number + name + email):
        escape = _COPY_ESCAPES
        account, number = account.translate(escape), number.translate(escape)
        name, email = name.translate(escape), email.translate(escape)
    return (
        f"{line}\t{account}\t{kind}\t{number}\t{name}\t{birth or _NULL}\t{phone or _NULL}\t"
        f"{email or _NULL}\t{language or _NULL}\t{principal}\t{interest}\t{fees}\t"
        f"{due}\t{consent or _NULL}\t{state or _NULL}\n"
    )


def apply(
    *,
    portfolio: Portfolio,
    reader: RowReader,
    today: dt.date,
    now: dt.datetime,
    actor: Any,
    consents: list | None = None,
) -> tuple[int, int]:
    """Upsert the staged rows; return (debts created, existing debts changed).

    `consents` receives (debtor id, consent code, line) for each row that gives consent.
    """
    params = {
        "portfolio": portfolio.pk,
        "currency": portfolio.currency,
        "today": today,
        "now": now,
        "actor": actor.pk if getattr(actor, "is_staff", False) else None,
        "charge": CHARGE_DESCRIPTION,
        "adjustment": ADJUSTMENT_DESCRIPTION,
    }
    with connection.cursor() as cursor:
        # Hash joins and aggregates over a million rows spill to disk at the default 4MB.
        cursor.execute("SET LOCAL work_mem = '256MB'")
        # The big statements cost their writes, not their expressions: compiling them
        # (JIT, on above a cost these all pass) took 0.2 s each and saved nothing.
        cursor.execute("SET LOCAL jit = off")
        # Imports into different portfolios share debtors; one at a time, none races to
        # create the same debtor (and ON CONFLICT would cost a third of the insert).
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_IMPORT_LOCK_KEY])
        cursor.execute(sql.CREATE_MERGE)
        cursor.execute(sql.REJECT_OTHER_DEBTOR, params)
        for (line,) in sorted(cursor.fetchall()):
            reader.reject([RowError(line, "account_ref", _(OTHER_DEBTOR))])
        cursor.execute(sql.DEBT_CHANGES, params)
        cursor.execute(sql.REPEATED)
        if cursor.rowcount:
            cursor.execute("ANALYZE import_repeated")
            cursor.execute(sql.DEBTORS.format(only_single=sql.NOT_REPEATED))
            cursor.execute(sql.REPEATED_DEBTORS)
        else:
            cursor.execute(sql.DEBTORS.format(only_single=""))
        cursor.execute("ANALYZE import_debtor")
        checks_deferred = _defer_reference_checks(cursor, actor=params["actor"])
        cursor.execute("CREATE TEMP TABLE import_debtor_changed (id bigint PRIMARY KEY)")
        cursor.execute(sql.UPDATE_DEBTORS, params)
        cursor.execute(_with_defaults(sql.INSERT_DEBTORS, params), params)
        cursor.execute(sql.COUNT_UPDATED, params)
        (updated,) = cursor.fetchone()
        cursor.execute(sql.UPDATE_DEBTS, params)
        cursor.execute(_with_defaults(sql.ADJUST, params), params)
        cursor.execute(_with_defaults(sql.INSERT_DEBTS, params), params)
        (imported,) = cursor.fetchone()
        if checks_deferred:
            _check_references(cursor, params)
        if consents is not None:
            cursor.execute(sql.CONSENTS)
            consents.extend(cursor.fetchall())
    return imported, updated


def _defer_reference_checks(cursor, *, actor: int | None) -> bool:
    """Check this import's foreign keys once, set-based, instead of once per row.

    At commit PostgreSQL checks every inserted row's foreign keys one by one: three
    million lookups for a million-row file, a quarter of the import's time. With
    `session_replication_role = replica` (what pg_restore --disable-triggers uses) those
    row triggers do not fire, and `_check_references` verifies the debts it created with
    one anti-join (see sql.ORPHANS for the ledger entries). The per-row check also locks
    each referenced row against deletion, so the rows that others could delete meanwhile
    are locked here: the portfolio is locked
    by the caller; the debtors the file names that already exist, and the staff user,
    are locked now. Debtors and debts created by this import are invisible to others.
    The tables involved have no triggers but those foreign keys; a trigger added to them
    later must be reconsidered here.

    Needs a superuser or, on PostgreSQL 15+, `GRANT SET ON PARAMETER
    session_replication_role TO <role>`; without that, the import runs with the
    per-row checks, just slower.
    """
    if not settings.PORTFOLIO_IMPORT_SET_BASED_CHECKS:
        return False
    try:
        with transaction.atomic():
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        return False
    cursor.execute(sql.LOCK_EXISTING_DEBTORS)
    if actor is not None:
        users = get_user_model()._meta.db_table
        cursor.execute(f"SELECT FROM {users} WHERE id = %s FOR KEY SHARE", [actor])
    return True


def _check_references(cursor, params: dict[str, Any]) -> None:
    cursor.execute(sql.ORPHANS, params)
    (orphans,) = cursor.fetchone()
    if orphans:
        # Cannot happen while the inserts join what they reference; if it ever does,
        # raising rolls the whole import back, as a failed per-row check would.
        raise IntegrityError(f"portfolio import would leave {orphans} dangling references")
    cursor.execute("SET LOCAL session_replication_role = origin")
