"""What leaves the studio is inert: CSV through core.export.csv_bytes, HTML through core.templates.render_html.

Cross-cutting: every CSV writer is ``csv_bytes`` and every HTML template under ``assets/`` is
rendered with hostile values everywhere a value can go (a column, segment or product name that is a
spreadsheet formula, a markdown image link or a script tag).
"""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
import pytest

from core.assets import assets_root
from core.export import csv_bytes
from core.templates import html_environment, render_html

FORMULA = '=HYPERLINK("http://x")'
IMAGE = "![x](http://evil/x.png)"
SCRIPT = "<script>alert(1)</script>"
HOSTILE = [FORMULA, IMAGE, SCRIPT, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "＝1+1"]


def _rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode()), "UTF-8 byte-order mark missing"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_neutralises_hostile_column_names_and_cells():
    frame = pd.DataFrame({name: [name, 1.5] for name in HOSTILE} | {"balance": [-120.0, 3.0]})
    header, first, second = _rows(csv_bytes(frame, pseudonymise=False))
    for cell in header[:-1] + first[:-1]:
        assert not re.match(r"^[=+\-@\t\r＝]", cell), cell
        assert cell.startswith("'") or cell in (IMAGE, SCRIPT), cell
    assert header[-1] == "balance" and first[-1] == "-120.0"  # a real negative number stays a number
    assert second[0] == "1.5"


def test_csv_pseudonymises_listed_ids_by_default():
    frame = pd.DataFrame({"customer_id": ["C001", "C002", "C001"], "segment": [IMAGE, FORMULA, "ok"]})
    _, a, b, c = _rows(csv_bytes(frame, id_columns=["customer_id"]))
    assert a[0] != "C001" and a[0] == c[0] and a[0] != b[0]
    assert b[1] == "'" + FORMULA


# ---- every HTML template, rendered with hostile values wherever a value can go -----------------------------
class Hostile(float):
    """A value that is a number for ``format`` filters, a mapping/sequence for loops and lookups, and
    hostile text when printed."""

    def __new__(cls, text: str = SCRIPT + IMAGE):
        obj = super().__new__(cls, 1.5)
        obj.text = text
        return obj

    def __str__(self) -> str:
        return self.text

    def __getattr__(self, name: str):
        if name.startswith("__") or name in ("unsafe_callable", "alters_data", "jinja_pass_arg"):
            raise AttributeError(name)
        return Hostile(self.text)

    def __call__(self, *args, **kwargs):  # .get("numeric", []) and friends
        return Hostile(self.text)

    def __getitem__(self, key):
        return Hostile(self.text)

    def __iter__(self):
        return iter([Hostile(self.text)])

    def __len__(self) -> int:
        return 1

    def items(self):
        return [(Hostile(self.text), Hostile(self.text))]

    def keys(self):
        return [Hostile(self.text)]

    def values(self):
        return [Hostile(self.text)]


TEMPLATES = sorted(str(p.relative_to(assets_root())) for p in assets_root().rglob("*.html*"))


def _context(name: str) -> dict:
    from jinja2 import meta

    env = html_environment()
    source = env.loader.get_source(env, name)[0]
    return {v: Hostile() for v in meta.find_undeclared_variables(env.parse(source))}


def test_there_are_html_templates_to_check():
    assert len(TEMPLATES) >= 4


@pytest.mark.parametrize("name", TEMPLATES)
def test_html_templates_escape_every_value(name, monkeypatch):
    env = html_environment()
    marked_safe: list[str] = []

    def record_safe(value):
        # |safe is for HTML the product builds (plotly charts); checked below, never user text
        marked_safe.append(str(value))
        from markupsafe import Markup

        return Markup("<!-- product html -->")

    monkeypatch.setitem(env.filters, "safe", record_safe)
    html = render_html(name, **_context(name))
    assert SCRIPT not in html and "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<img src="http://evil' not in html
    source = (assets_root() / name).read_text()
    safe_uses = re.findall(r"\{\{\s*([\w.\[\]\"']+)\s*\|\s*safe\s*\}\}", source)
    assert len(marked_safe) >= len(safe_uses) or not safe_uses
    assert set(safe_uses) <= {"it.hist", "it.bars", "chart", "figure", "heatmap"}, safe_uses


def test_scenario_report_charts_escape_hostile_names():
    """The one |safe input: plotly's HTML must keep a hostile driver or product name inside JSON."""
    import plotly.graph_objects as go

    fig = go.Figure(go.Bar(x=[SCRIPT, IMAGE], y=[1, 2], name=SCRIPT))
    html = fig.to_html(full_html=False, include_plotlyjs=False)
    assert "<script>alert(1)</script>" not in html
