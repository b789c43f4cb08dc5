"""The core layer must never depend on the UI."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UI = ("streamlit", "dashboard", "pages")


def test_core_sources_import_no_ui_module():
    offenders = []
    for path in (ROOT / "core").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in UI]
    assert offenders == []


def test_importing_every_core_module_loads_no_streamlit():
    code = (
        "import importlib, pkgutil, sys, core\n"
        "for m in pkgutil.walk_packages(core.__path__, 'core.'):\n"
        "    if not m.name.endswith('.__main__'):\n"
        "        importlib.import_module(m.name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('streamlit', 'dashboard')]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]


def test_no_print_in_core():
    hits = [str(p.relative_to(ROOT)) for p in (ROOT / "core").rglob("*.py")
            if any(isinstance(n, ast.Call) and getattr(n.func, "id", None) == "print" for n in ast.walk(ast.parse(p.read_text())))]
    assert hits == []
