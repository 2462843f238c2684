"""The simulator imports only what its package docstring allows."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import puhui.sim

SIM = Path(puhui.sim.__file__).parent
ALLOWED_PUHUI = {"puhui.errors", "puhui.money", "puhui.schedule", "puhui.products", "puhui.idcard"}
ALLOWED_THIRD_PARTY = {"numpy", "pandas", "pyarrow"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_sim_imports_stay_inside_its_allowance():
    for path in sorted(SIM.glob("*.py")):
        for name in _imports(path):
            top = name.split(".")[0]
            if top == "puhui":
                assert name.startswith("puhui.sim") or any(
                    name == ok or name.startswith(ok + ".") for ok in ALLOWED_PUHUI
                ), f"{path.name} imports {name}"
            else:
                assert (
                    top in ALLOWED_THIRD_PARTY
                    or top in sys.stdlib_module_names
                    or (top == "__future__")
                ), f"{path.name} imports {name}"


def test_modules_stay_small():
    for path in SIM.glob("*.py"):
        lines = path.read_text(encoding="utf-8").count("\n")
        assert lines <= 520, f"{path.name} has {lines} lines; split it"


def test_idcard_imports_only_errors_and_numpy():
    path = SIM.parent / "idcard.py"
    assert _imports(path) <= {
        "__future__",
        "dataclasses",
        "datetime",
        "enum",
        "numpy",
        "puhui.errors",
    }
