"""CSV exports of the audit log, streamed: a million rows never sit in memory at once."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet

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
# A cell starting with one of these is a formula to a spreadsheet; names and details come
# from debtors and files, so they are defused with a leading apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write returns the line: csv.writer then yields lines."""

    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_lines(events: QuerySet) -> Iterator[str]:
    """The header, then one CSV line per event in id order, read a chunk at a time."""
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    rows: Iterable[tuple] = events.order_by("id").values_list(*COLUMNS).iterator(chunk_size=CHUNK)
    for *content, position, prev_hash, hash_ in rows:
        chain = [position, prev_hash, hash_] if position is not None else ["", "", NOT_SEALED]
        yield writer.writerow([_cell(value) for value in (*content, *chain)])
