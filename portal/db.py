"""SQL that differs between PostgreSQL (production, CI) and SQLite (the zero-setup default).

Each helper gives the PostgreSQL form and a portable one returning the same rows, so the
callers hold no `connection.vendor` branches of their own. tests/test_db.py runs every
helper on whichever engine the suite runs on: SQLite in `make test` with no environment,
PostgreSQL in CI's second round.

Whole alternative write paths (COPY and `unnest` bulk inserts, `FOR UPDATE SKIP LOCKED`
claims) stay beside their ORM fallback in their own module; they ask `is_postgresql()`.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models.expressions import RawSQL


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def datetime_param(value: dt.datetime):
    """An aware datetime as a raw query's parameter, adapted as the ORM adapts it. SQLite
    stores UTC text and compares text, so 20:00 in Bogotá passed as such would sort before
    01:00 UTC the next day; PostgreSQL takes it as is."""
    return connection.ops.adapt_datetimefield_value(value)


def days_between_sql(later: str, earlier: str) -> str:
    """Whole days from date `earlier` to date `later`, both SQL expressions."""
    if is_postgresql():
        return f"({later})::date - ({earlier})"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def first_row_join(*, table: str, alias: str, columns: list[str], where: str, order: str) -> str:
    """`LEFT JOIN` the first row of `table` (by `order`) matching the correlated `where`
    (written against the inner alias `c`), exposing `columns` as `alias.<column>`; no row
    gives NULLs. PostgreSQL: a LATERAL subquery. SQLite has no LATERAL: the row is joined
    by the id its scalar subquery picks."""
    pick = f"SELECT {{}} FROM {table} c WHERE {where} ORDER BY {order} LIMIT 1"
    if is_postgresql():
        inner = pick.format(", ".join(f"c.{col}" for col in columns))
        return f"LEFT JOIN LATERAL ({inner}) {alias} ON TRUE"
    return f"LEFT JOIN {table} {alias} ON {alias}.id = ({pick.format('c.id')})"


def ids_param(ids: list[int]) -> RawSQL | list[int]:
    """For `pk__in=`: on PostgreSQL the ids travel as one array parameter, not one
    placeholder each."""
    if is_postgresql():
        return RawSQL("SELECT unnest(%s::bigint[])", [list(ids)])
    return list(ids)


def advisory_xact_lock(cursor, key: int) -> None:
    """Serialise writers on `key` until the transaction ends. SQLite already allows one
    writer at a time, so there is nothing to take."""
    if is_postgresql():
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def set_local(cursor, name: str, value: str) -> None:
    """A planner setting for the current transaction only (PostgreSQL; no-op elsewhere)."""
    if is_postgresql():
        cursor.execute(f"SET LOCAL {name} = {value}")


def analyze(cursor, tables: list[str]) -> None:
    """Fresh planner statistics after a bulk rebuild (same statement on both engines)."""
    for table in tables:
        cursor.execute(f"ANALYZE {table}")


def vacuum_analyze(tables: list[str]) -> bool:
    """VACUUM (ANALYZE) `tables` on PostgreSQL, outside any transaction; returns whether it
    ran (not inside a transaction, a test's say, nor on SQLite, whose VACUUM rewrites the
    whole file)."""
    if not is_postgresql() or connection.in_atomic_block:
        return False
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    return True


def local_date_sql(column: str, tzname: str) -> tuple[str, list]:
    """The date of timestamp `column` in `tzname`, through Django's own per-engine SQL."""
    return connection.ops.datetime_cast_date_sql(column, [], tzname)
