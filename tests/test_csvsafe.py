"""Every CSV the portal writes opens in a spreadsheet as data (portal.csvsafe), and no
module writes CSV around it."""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path

import pytest

from portal import csvsafe

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("text", ["=1+1", "+57 300", "-5000", "@SUM(A1)", "\tx", "\rx"])
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(text):
    assert csvsafe.cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Ana", "", "5000", "a=b", -5000, 3.5, None])
def test_other_text_and_numbers_we_write_are_unchanged(value):
    assert csvsafe.cell(value) == value


def test_the_writer_defuses_every_cell_of_every_row():
    buffer = io.StringIO()
    writer = csvsafe.writer(buffer)

    writer.writerow(["=a", -7])
    writer.writerows([["@b", "ok"], ["-c", 0]])

    assert list(csv.reader(io.StringIO(buffer.getvalue()))) == [
        ["'=a", "-7"],
        ["'@b", "ok"],
        ["'-c", "0"],
    ]


def _raw_csv_writers() -> list[str]:
    found = []
    for top in ("portal", "agreements", "payments"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" in path.parts or path == ROOT / "portal" / "csvsafe.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                name = node.attr if isinstance(node, ast.Attribute) else None
                if name in ("writer", "DictWriter") and getattr(node.value, "id", "") == "csv":
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_module_writes_csv_without_csvsafe():
    assert _raw_csv_writers() == [], "write CSV through portal.csvsafe.writer"
