"""No app reaches a model of another app by name (`apps.get_model`): that would be an import
the layer contract cannot see (pyproject.toml [tool.importlinter], `lint-imports` in CI).
An app may look up its own models, and Django's auth and contenttypes, below everything."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BELOW_EVERYTHING = {"auth", "contenttypes"}
# Until the dispute hold stops reading payments and staff by name (issue 14, its own branch).
# Each entry must still be found: delete it when its lookup goes.
PENDING = {
    ("portal/debtors/disputes.py", "payments"),
    ("portal/debtors/disputes.py", "staff"),
}


def _app_label(path: Path) -> str:
    parts = path.relative_to(ROOT).parts
    return parts[1] if parts[0] == "portal" else parts[0]


def _lookups() -> list[tuple[str, int, str | None, str]]:
    """(file, line, label looked up or None when not a literal, the file's own app) of every
    get_model call."""
    found = []
    for top in ("portal", "agreements", "payments"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "get_model"
                ):
                    continue
                first = node.args[0] if node.args else None
                label = first.value if isinstance(first, ast.Constant) else None
                if isinstance(label, str) and "." in label:  # "app_label.ModelName"
                    label = label.split(".")[0]
                found.append((str(path.relative_to(ROOT)), node.lineno, label, _app_label(path)))
    return found


def test_no_app_looks_up_another_apps_model_by_name():
    crossing = [
        (path, line, label)
        for path, line, label, own in _lookups()
        if label not in BELOW_EVERYTHING | {own} and (path, label) not in PENDING
    ]
    assert crossing == [], "import the model (if the layers allow it) or move the code up"


def test_every_pending_exception_still_exists():
    found = {(path, label) for path, _line, label, _own in _lookups()}
    gone = sorted(PENDING - found)
    assert gone == [], "delete these from PENDING: their lookup is gone"
