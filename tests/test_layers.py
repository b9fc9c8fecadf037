"""No app reaches a model of another app by name (`apps.get_model`): that would be an import
the layer contract cannot see (pyproject.toml [tool.importlinter], `lint-imports` in CI).
An app may look up its own models, and Django's auth and contenttypes, below everything."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BELOW_EVERYTHING = {"auth", "contenttypes"}


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
        if label not in BELOW_EVERYTHING | {own}
    ]
    assert crossing == [], "import the model (if the layers allow it) or move the code up"
