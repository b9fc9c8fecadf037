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
from .orm_loader import ADJUSTMENT_DESCRIPTION, CHARGE_DESCRIPTION, OTHER_DEBTOR
from .parsing import RowReader
from .values import ImportRow, RowError

_IMPORT_LOCK_KEY = 0x696D7074  # "impt"
# Rows the loader rejected were deleted from import_row, as the ORM loader skips them.
_CONSENTS = """
SELECT d.id, s.consent, s.line
  FROM import_row AS s
  JOIN debtors_debtor AS d
    ON d.document_number = s.document_number AND d.document_type = s.document_type
 WHERE s.consent IS NOT NULL
 ORDER BY s.line
"""
_TEMP_TABLES = (
    "import_row",
    "import_repeated",
    "import_debtor",
    "import_debt_change",
    "import_debtor_changed",
)

_CREATE_STAGING = """
CREATE TEMP TABLE import_row (
    line integer NOT NULL,
    account_ref text NOT NULL,
    document_type text NOT NULL,
    document_number text NOT NULL,
    full_name text NOT NULL,
    birth_date date,
    phone text,
    email text,
    language text,
    principal bigint NOT NULL,
    interest bigint NOT NULL,
    fees bigint NOT NULL,
    due_date date NOT NULL,
    consent text,
    state text
)
"""

# Appends the values of `additions` that `existing` lacks, in order, without repeats.
_CREATE_MERGE = """
CREATE OR REPLACE FUNCTION pg_temp.import_merge(existing jsonb, additions text[])
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT existing || COALESCE(
        (SELECT jsonb_agg(value ORDER BY position)
           FROM (SELECT value, min(position) AS position
                   FROM unnest(additions) WITH ORDINALITY AS added(value, position)
                  WHERE NOT existing ? value
                  GROUP BY value) AS missing),
        '[]'::jsonb)
$$
"""

_REJECT_OTHER_DEBTOR = """
DELETE FROM import_row AS s
 USING debtors_debt AS t JOIN debtors_debtor AS d ON d.id = t.debtor_id
 WHERE t.portfolio_id = %(portfolio)s AND t.account_ref = s.account_ref
   AND (d.document_type, d.document_number) <> (s.document_type, s.document_number)
RETURNING s.line
"""

_DEBT_CHANGES = """
CREATE TEMP TABLE import_debt_change AS
SELECT t.id, s.line,
       (s.principal + s.interest + s.fees)
       - (t.principal_due_minor + t.interest_due_minor + t.fees_due_minor) AS difference
  FROM import_row AS s
  JOIN debtors_debt AS t ON t.portfolio_id = %(portfolio)s AND t.account_ref = s.account_ref
 WHERE (t.principal_due_minor, t.interest_due_minor, t.fees_due_minor,
        t.original_due_date, t.currency)
       IS DISTINCT FROM (s.principal, s.interest, s.fees, s.due_date, %(currency)s)
"""

# Last row wins for the name; last given value for birth date, language and state. Most
# debtors have one row, and aggregating with ORDER BY sorts the whole table, so only
# the debtors with several rows are aggregated. The repeated keys are a table of their
# own, analysed: as a CTE the planner guessed a third of the rows repeated and sorted
# the whole file to merge-join them, a second of a million-row import. When there are
# none (the usual file), the single rows are copied without the anti-join at all.
_REPEATED = """
CREATE TEMP TABLE import_repeated AS
SELECT document_type, document_number
  FROM import_row
 GROUP BY document_type, document_number
HAVING count(*) > 1
"""

_DEBTORS = """
CREATE TEMP TABLE import_debtor AS
SELECT s.document_type, s.document_number, s.full_name, s.birth_date, s.language, s.state,
       CASE WHEN s.phone IS NOT NULL THEN ARRAY[s.phone] END AS phones,
       CASE WHEN s.email IS NOT NULL THEN ARRAY[s.email] END AS emails
  FROM import_row AS s{only_single}
"""

_NOT_REPEATED = """
 WHERE NOT EXISTS (SELECT FROM import_repeated AS r
                    WHERE r.document_type = s.document_type
                      AND r.document_number = s.document_number)"""

_REPEATED_DEBTORS = """
INSERT INTO import_debtor
SELECT s.document_type, s.document_number,
       (array_agg(s.full_name ORDER BY s.line DESC))[1],
       (array_agg(s.birth_date ORDER BY s.line DESC) FILTER (WHERE s.birth_date IS NOT NULL))[1],
       (array_agg(s.language ORDER BY s.line DESC) FILTER (WHERE s.language IS NOT NULL))[1],
       (array_agg(s.state ORDER BY s.line DESC) FILTER (WHERE s.state IS NOT NULL))[1],
       array_agg(s.phone ORDER BY s.line) FILTER (WHERE s.phone IS NOT NULL),
       array_agg(s.email ORDER BY s.line) FILTER (WHERE s.email IS NOT NULL)
  FROM import_row AS s
  JOIN import_repeated AS r
    ON r.document_type = s.document_type AND r.document_number = s.document_number
 GROUP BY s.document_type, s.document_number
"""

_UPDATE_DEBTORS = """
WITH merged AS (
    SELECT d.id, s.full_name,
           COALESCE(s.birth_date, d.birth_date) AS birth_date,
           COALESCE(s.language, d.language) AS language,
           COALESCE(s.state, d.state) AS state,
           pg_temp.import_merge(d.phones, s.phones) AS phones,
           pg_temp.import_merge(d.emails, s.emails) AS emails
      FROM import_debtor AS s
      JOIN debtors_debtor AS d
        ON d.document_type = s.document_type AND d.document_number = s.document_number
), changed AS (
    UPDATE debtors_debtor AS d
       SET full_name = m.full_name, birth_date = m.birth_date, language = m.language,
           state = m.state, phones = m.phones, emails = m.emails, updated_at = %(now)s
      FROM merged AS m
     WHERE d.id = m.id
       AND (d.full_name, d.birth_date, d.language, d.state, d.phones, d.emails)
           IS DISTINCT FROM (m.full_name, m.birth_date, m.language, m.state, m.phones, m.emails)
    RETURNING d.id
)
INSERT INTO import_debtor_changed SELECT id FROM changed
"""

_INSERT_DEBTORS = """
INSERT INTO debtors_debtor (document_type, document_number, full_name, birth_date,
                            phones, emails, language, state, created_at,
                            updated_at{debtor_columns})
SELECT s.document_type, s.document_number, s.full_name, s.birth_date,
       CASE WHEN cardinality(s.phones) > 1 THEN pg_temp.import_merge('[]', s.phones)
            ELSE COALESCE(to_jsonb(s.phones), '[]') END,
       CASE WHEN cardinality(s.emails) > 1 THEN pg_temp.import_merge('[]', s.emails)
            ELSE COALESCE(to_jsonb(s.emails), '[]') END,
       COALESCE(s.language, 'es'), COALESCE(s.state, ''), %(now)s, %(now)s{debtor_values}
  FROM import_debtor AS s
 WHERE NOT EXISTS (SELECT FROM debtors_debtor AS d
                    WHERE d.document_type = s.document_type
                      AND d.document_number = s.document_number)
"""

_COUNT_UPDATED = """
SELECT count(*)
  FROM import_row AS s
  JOIN debtors_debt AS t ON t.portfolio_id = %(portfolio)s AND t.account_ref = s.account_ref
 WHERE t.id IN (SELECT id FROM import_debt_change)
    OR t.debtor_id IN (SELECT id FROM import_debtor_changed)
"""

_UPDATE_DEBTS = """
UPDATE debtors_debt AS t
   SET principal_due_minor = s.principal, interest_due_minor = s.interest,
       fees_due_minor = s.fees, original_due_date = s.due_date, currency = %(currency)s,
       days_past_due = %(today)s::date - s.due_date,
       balance_minor = t.balance_minor + c.difference, updated_at = %(now)s
  FROM import_debt_change AS c JOIN import_row AS s ON s.line = c.line
 WHERE t.id = c.id
"""

_ADJUST = """
INSERT INTO debtors_ledgerentry (debt_id, kind, amount_minor, currency, effective_date,
                                 description, created_at, created_by_id{entry_columns})
SELECT id, 'adjustment', difference, %(currency)s, %(today)s, %(adjustment)s, %(now)s, %(actor)s
       {entry_values}
  FROM import_debt_change
 WHERE difference <> 0
 ORDER BY line
"""

_INSERT_DEBTS = """
WITH created AS (
    INSERT INTO debtors_debt (portfolio_id, debtor_id, account_ref, currency,
                              principal_due_minor, interest_due_minor, fees_due_minor,
                              balance_minor, original_due_date, days_past_due, status,
                              created_at, updated_at{debt_columns})
    SELECT %(portfolio)s, d.id, s.account_ref, %(currency)s, s.principal, s.interest, s.fees,
           s.principal + s.interest + s.fees, s.due_date, %(today)s::date - s.due_date,
           'active', %(now)s, %(now)s{debt_values}
      FROM import_row AS s
      JOIN debtors_debtor AS d
        ON d.document_type = s.document_type AND d.document_number = s.document_number
     WHERE NOT EXISTS (SELECT FROM debtors_debt AS t
                        WHERE t.portfolio_id = %(portfolio)s AND t.account_ref = s.account_ref)
     ORDER BY s.line
    RETURNING id, balance_minor
), charged AS (
    INSERT INTO debtors_ledgerentry (debt_id, kind, amount_minor, currency, effective_date,
                                     description, created_at, created_by_id{entry_columns})
    SELECT id, 'charge', balance_minor, %(currency)s, %(today)s, %(charge)s, %(now)s, %(actor)s
           {entry_values}
      FROM created
     WHERE balance_minor > 0
)
SELECT count(*) FROM created
"""

_LOCK_EXISTING_DEBTORS = """
SELECT FROM debtors_debtor AS d
  JOIN import_debtor AS s
    ON d.document_type = s.document_type AND d.document_number = s.document_number
   FOR KEY SHARE OF d
"""

# Debts this import created whose debtor is missing. Ledger entries need no check: they
# are inserted from the RETURNING of the debts' insert, or for debts the same
# transaction has just updated (and so locked).
_ORPHANS = """
SELECT count(*) FROM debtors_debt AS t
 WHERE t.portfolio_id = %(portfolio)s AND t.created_at = %(now)s
   AND NOT EXISTS (SELECT FROM debtors_debtor AS d WHERE d.id = t.debtor_id)
"""

_COLUMNS = ", ".join(ImportRow._fields).replace("_minor", "")


def _with_defaults(sql: str, params: dict[str, Any]) -> str:
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
    return sql.format(**parts)


def drop_temp_tables() -> None:
    with connection.cursor() as cursor:
        for table in _TEMP_TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{table}")


def stage(reader: RowReader) -> None:
    """Stream the valid rows into the session's staging table, one COPY per chunk.

    The reader's progress callback writes to the database on this same connection,
    which must not happen while a COPY holds it, so it runs between chunks.
    """
    drop_temp_tables()
    with connection.cursor() as cursor:
        cursor.execute(_CREATE_STAGING)
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
        cursor.execute(_CREATE_MERGE)
        cursor.execute(_REJECT_OTHER_DEBTOR, params)
        for (line,) in sorted(cursor.fetchall()):
            reader.reject([RowError(line, "account_ref", _(OTHER_DEBTOR))])
        cursor.execute(_DEBT_CHANGES, params)
        cursor.execute(_REPEATED)
        if cursor.rowcount:
            cursor.execute("ANALYZE import_repeated")
            cursor.execute(_DEBTORS.format(only_single=_NOT_REPEATED))
            cursor.execute(_REPEATED_DEBTORS)
        else:
            cursor.execute(_DEBTORS.format(only_single=""))
        cursor.execute("ANALYZE import_debtor")
        checks_deferred = _defer_reference_checks(cursor, actor=params["actor"])
        cursor.execute("CREATE TEMP TABLE import_debtor_changed (id bigint PRIMARY KEY)")
        cursor.execute(_UPDATE_DEBTORS, params)
        cursor.execute(_with_defaults(_INSERT_DEBTORS, params), params)
        cursor.execute(_COUNT_UPDATED, params)
        (updated,) = cursor.fetchone()
        cursor.execute(_UPDATE_DEBTS, params)
        cursor.execute(_with_defaults(_ADJUST, params), params)
        cursor.execute(_with_defaults(_INSERT_DEBTS, params), params)
        (imported,) = cursor.fetchone()
        if checks_deferred:
            _check_references(cursor, params)
        if consents is not None:
            cursor.execute(_CONSENTS)
            consents.extend(cursor.fetchall())
    return imported, updated


def _defer_reference_checks(cursor, *, actor: int | None) -> bool:
    """Check this import's foreign keys once, set-based, instead of once per row.

    At commit PostgreSQL checks every inserted row's foreign keys one by one: three
    million lookups for a million-row file, a quarter of the import's time. With
    `session_replication_role = replica` (what pg_restore --disable-triggers uses) those
    row triggers do not fire, and `_check_references` verifies the debts it created with
    one anti-join (see _ORPHANS for the ledger entries). The per-row check also locks
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
    cursor.execute(_LOCK_EXISTING_DEBTORS)
    if actor is not None:
        users = get_user_model()._meta.db_table
        cursor.execute(f"SELECT FROM {users} WHERE id = %s FOR KEY SHARE", [actor])
    return True


def _check_references(cursor, params: dict[str, Any]) -> None:
    cursor.execute(_ORPHANS, params)
    (orphans,) = cursor.fetchone()
    if orphans:
        # Cannot happen while the inserts join what they reference; if it ever does,
        # raising rolls the whole import back, as a failed per-row check would.
        raise IntegrityError(f"portfolio import would leave {orphans} dangling references")
    cursor.execute("SET LOCAL session_replication_role = origin")
