"""The core layer must never depend on the UI."""

import ast
import re
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


AREAS = ("home", "credit", "segmentation", "scenarios", "copy")


def _sources(*folders: str) -> list[Path]:
    return [p for folder in folders for p in (ROOT / folder).rglob("*.py")]


def _calls(path: Path) -> list[tuple[str, int]]:
    """(callee name, line) of every call in a module: `f(...)` gives f, `x.f(...)` gives f."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            out.append((name, node.lineno))
    return out


def test_no_core_module_over_450_lines():
    big = {str(p.relative_to(ROOT)): n for p in _sources("core") if (n := len(p.read_text().splitlines())) > 450}
    assert big == {}


def test_pages_are_thin():
    big = {p.name: n for p in (ROOT / "pages").glob("*.py") if (n := len(p.read_text().splitlines())) > 250}
    assert big == {}


def test_one_jinja_factory():
    """Every template environment comes from core.templates (autoescape on for HTML, sandboxed for text)."""
    hits = [f"{p.relative_to(ROOT)}:{line}" for p in _sources("core", "dashboard", "pages")
            if p != ROOT / "core" / "templates.py"
            for name, line in _calls(p) if name.endswith("Environment")]
    assert hits == []


def test_assets_found_through_the_locator():
    hits = [str(p.relative_to(ROOT)) for p in _sources("core", "dashboard", "pages")
            if p != ROOT / "core" / "assets.py" and re.search(r"parents\[\d\]\s*/\s*[\"']assets", p.read_text())]
    assert hits == []


def test_thread_policy_set_in_one_place():
    allowed = ROOT / "core" / "runtime" / "threads.py"
    hits = [f"{p.relative_to(ROOT)}:{line}" for p in _sources("core", "dashboard", "pages") if p != allowed
            for name, line in _calls(p) if name in ("set_num_threads", "threadpool_limits", "set_num_interop_threads")]
    assert hits == []


def test_device_setting_read_through_settings():
    hits = [str(p.relative_to(ROOT)) for p in _sources("core", "dashboard", "pages")
            if p != ROOT / "core" / "settings.py" and re.search(r"environ[^\n]*STUDIO_DEVICE", p.read_text())]
    assert hits == []


def test_downloads_written_by_core_export():
    """pandas' to_csv appears only in core.export, which neutralises formulas and pseudonymises ids."""
    hits = [f"{p.relative_to(ROOT)}:{line}" for p in _sources("core", "dashboard", "pages")
            if p != ROOT / "core" / "export.py"
            for line, text in enumerate(p.read_text().splitlines(), 1)
            if re.search(r"\.to_csv\(", text) and "exporter.to_csv" not in text]
    assert hits == []


def test_pages_do_not_import_other_areas_ui():
    """A page or UI module of one area never reaches into another area's UI module (the resolver answers 'which model')."""
    def area(name: str) -> str | None:
        return next((a for a in AREAS if a in name), None)

    hits = []
    for p in _sources("dashboard", "pages"):
        own = area(p.stem)
        if own is None:
            continue
        for node in ast.walk(ast.parse(p.read_text())):
            mods = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("dashboard"):
                mods = [node.module] + ([f"dashboard.{a.name}" for a in node.names] if node.module == "dashboard" else [])
            for m in mods:
                other = area(m.split(".")[-1])
                if other is not None and other != own and not m.endswith(("cluster_ui", "shell")):
                    hits.append(f"{p.relative_to(ROOT)}: {m}")
    assert hits == []
