"""CSV exports of the audit log, streamed: a million rows never sit in memory at once."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet

from portal import csvsafe

from .models import NOT_SEALED

COLUMNS = (
    "id",
    "occurred_at",
    "actor_type",
    "actor_id",
    "actor_label",
    "action",
    "subject_type",
    "subject_id",
    "debtor_id",
    "details",
    "chain_position",
    "prev_hash",
    "hash",
)
CHUNK = 2_000


class _Echo:
    """A file-like object whose write returns the line: csv.writer then yields lines."""

    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def csv_lines(events: QuerySet) -> Iterator[str]:
    """The header, then one CSV line per event in id order, read a chunk at a time; text
    cells a spreadsheet would run as formulas are defused (portal.csvsafe)."""
    writer = csvsafe.writer(_Echo())
    yield writer.writerow(COLUMNS)
    rows: Iterable[tuple] = events.order_by("id").values_list(*COLUMNS).iterator(chunk_size=CHUNK)
    for *content, position, prev_hash, hash_ in rows:
        chain = [position, prev_hash, hash_] if position is not None else ["", "", NOT_SEALED]
        yield writer.writerow([_cell(value) for value in (*content, *chain)])
