"""Write many rows' differing values in one statement.

Django's `bulk_update` builds a CASE per field per row, which for a batch of 500 messages
cost more than deciding and rendering them; PostgreSQL takes the rows as a VALUES list
joined on the id instead. Elsewhere (SQLite in development) one UPDATE per row.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.db.models import Model


def rows_update(
    model: type[Model], rows: list[dict[str, Any]], *, only_status: str | None = None
) -> None:
    """`rows` are {"id": …, field: value, …}, all with the same fields. With `only_status`,
    a row changes only while its status is still that (a conditional write)."""
    if not rows:
        return
    names = [name for name in rows[0] if name != "id"]
    if connection.vendor != "postgresql":
        with transaction.atomic():
            for row in rows:
                query = model.objects.filter(pk=row["id"])
                if only_status:
                    query = query.filter(status=only_status)
                query.update(**{name: row[name] for name in names})
        return
    fields = [model._meta.get_field(name) for name in names]
    pk = model._meta.pk
    casts = [f"%s::{pk.db_type(connection)}"] + [
        f"%s::{field.db_type(connection)}" for field in fields
    ]
    row_sql = "(" + ", ".join(casts) + ")"
    params: list[Any] = []
    for row in rows:
        params.append(row["id"])
        params.extend(
            field.get_db_prep_save(row[name], connection)
            for name, field in zip(names, fields, strict=True)
        )
    columns = [field.column for field in fields]
    table = model._meta.db_table
    sql = (
        f"UPDATE {table} AS t SET "
        + ", ".join(f"{c} = v.{c}" for c in columns)
        + f" FROM (VALUES {', '.join([row_sql] * len(rows))}) AS v(id, {', '.join(columns)})"
        + " WHERE t.id = v.id"
    )
    if only_status:
        sql += " AND t.status = %s"
        params.append(only_status)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
