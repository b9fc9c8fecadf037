"""CSV that a spreadsheet opens as data: every CSV the portal writes goes through `writer`.

A text cell starting with `=`, `+`, `-`, `@`, tab or carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (CSV injection); OWASP's advice is a leading
apostrophe, which the spreadsheet shows as text and hides. Names, details and reasons come
from debtors and files, so every text cell is treated alike. Numbers we produce (ids, line
numbers, amounts in minor units) are written as numbers: an `int` -5000 stays -5000, while
the text "-5000" becomes '-5000.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """`value` with a leading apostrophe if it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class SafeWriter:
    """csv.writer's writerow/writerows, every cell passed through `cell`; writerow returns
    what the file's write returned (a streamed line for an echoing file)."""

    def __init__(self, handle: Any, **options: Any) -> None:
        self._writer = csv.writer(handle, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(handle: Any, **options: Any) -> SafeWriter:
    return SafeWriter(handle, **options)
