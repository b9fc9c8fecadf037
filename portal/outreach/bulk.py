"""Write many rows' differing values in one statement.

Django's `bulk_update` builds a CASE per field per row, which for a batch of 500 messages
cost more than deciding and rendering them. On PostgreSQL each column travels as one array
and `unnest` turns them back into rows joined on the id: a short statement with one
parameter per column, whatever the number of rows (a VALUES list has one per cell, and
psycopg's client-side binding spent more time splicing those than the server spent on
the update). Elsewhere (SQLite in development) one UPDATE per row.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import connection, transaction
from django.db.models import JSONField, Model

from portal.db import is_postgresql

# Types psycopg adapts as Python gives them (aware datetimes, str, int, bool, None): no
# per-value trip through the field's preparation.
_AS_IS = frozenset(
    {"CharField", "TextField", "BooleanField", "DateTimeField", "ForeignKey", "BigAutoField",
     "IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveSmallIntegerField",
     "PositiveIntegerField", "PositiveBigIntegerField"}
)  # fmt: skip


def _array_param(field, values: list) -> tuple[list, str, str]:
    """(values as sent, the array's cast, how the unnested column is read back)."""
    if isinstance(field, JSONField):
        # jsonb[] would need each element adapted; text is parsed back by the cast.
        dumped = [None if v is None else json.dumps(v, cls=field.encoder) for v in values]
        return dumped, "text[]", "::jsonb"
    if field.get_internal_type() not in _AS_IS:
        values = [field.get_db_prep_save(v, connection) for v in values]
    return values, f"{field.db_type(connection)}[]", ""


def rows_update(
    model: type[Model], rows: list[dict[str, Any]], *, only_status: str | None = None
) -> int:
    """`rows` are {"id": …, field: value, …}, all with the same fields. With `only_status`,
    a row changes only while its status is still that (a conditional write). Returns the
    number of rows changed."""
    if not rows:
        return 0
    names = [name for name in rows[0] if name != "id"]
    if not is_postgresql():
        changed = 0
        with transaction.atomic():
            for row in rows:
                query = model.objects.filter(pk=row["id"])
                if only_status:
                    query = query.filter(status=only_status)
                changed += query.update(**{name: row[name] for name in names})
        return changed
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in names]
    params: list[Any] = [[row["id"] for row in rows]]
    casts = [f"%s::{model._meta.pk.db_type(connection)}[]"]
    sets = []
    for name, field in zip(names, fields, strict=True):
        values, cast, read = _array_param(field, [row[name] for row in rows])
        params.append(values)
        casts.append(f"%s::{cast}")
        sets.append(f"{quote(field.column)} = v.{quote(field.column)}{read}")
    columns = ", ".join(quote(field.column) for field in fields)
    sql = (
        f"UPDATE {quote(model._meta.db_table)} AS t SET {', '.join(sets)} "
        f"FROM unnest({', '.join(casts)}) AS v(id, {columns}) WHERE t.id = v.id"
    )
    if only_status:
        # `|| ''`: rows are found by id, never through a partial index on status (its
        # entries span a whole campaign until vacuum), whatever the statistics say.
        sql += " AND t.status || '' = %s"
        params.append(only_status)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
