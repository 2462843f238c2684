"""``puhui.scoring`` imports only what its docstring allows (never the shell)."""

from __future__ import annotations

import ast
from pathlib import Path

import puhui.scoring

FORBIDDEN = ("puhui.api", "puhui.web", "puhui.store", "puhui.cli", "puhui.services",
             "puhui.batch", "pickle", "joblib")  # fmt: skip
ALLOWED_PUHUI = ("puhui.errors", "puhui.money", "puhui.scoring")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_scoring_never_imports_the_shell_or_pickle() -> None:
    package = Path(puhui.scoring.__file__).parent
    for path in sorted(package.glob("*.py")):
        for name in _imports(path):
            assert not name.startswith(FORBIDDEN), f"{path.name} imports {name}"
            if name.startswith("puhui."):
                assert name.startswith(ALLOWED_PUHUI), f"{path.name} imports {name}"
