"""Home after importing a corpus file: notes stay visible on every rerun, tags and roles are editable."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "unit" / "data" / "corpus"


def _import(file: str, name: str):
    from core.data.loaders import import_file
    from core.workspace import get_workspace

    return import_file(get_workspace(), file, (CORPUS / file).read_bytes(), 10, name=name)


def _open(label: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages/home.py"), default_timeout=120)
    at.session_state["studio_dataset_choice"] = label
    return at.run()


def _texts(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown) + " " + " ".join(c.value for c in at.caption)


def test_import_notes_stay_visible_on_every_rerun():
    imported = _import("lending_club.csv", "lc")
    at = _open(f"lc ({imported.dataset.n_rows:,} rows)")
    assert not at.exception
    assert any(m.label == "Customers (rows)" and m.value == "160" for m in at.metric)
    for _ in range(2):  # the first run and a rerun that follows it show the same notes
        text = _texts(at)
        assert "What the import found" in text and "int\\_rate" in text and "percentages" in text
        at = at.run()
        assert not at.exception
    assert any("decisions with their evidence" in e.label for e in at.expander)
    assert any("Charged Off" in str(s.options) for s in at.selectbox if s.key == "home_positive_label")


def test_the_default_dataset_has_no_import_notes_and_names_its_protected_columns():
    at = AppTest.from_file(str(ROOT / "pages/home.py"), default_timeout=120).run()
    assert not at.exception
    text = _texts(at)
    assert "What the import found" not in text
    assert "protected or proxy (fairness testing only): age" in text


def test_editor_rows_and_reading_edits():
    from core.data.loaders import load_workspace_dataset
    from core.workspace import get_workspace
    from dashboard.schema_ui import editor_frame, read_edits

    imported = _import("percent_currency.csv", "pc")
    ds = load_workspace_dataset(get_workspace(), "pc")
    table = editor_frame(ds, imported.report)
    row = table.set_index("column").loc["utilisation"]
    assert (row["role"], row["unit"]) == ("numeric", "%") and "percentages" in row["why"]
    edited = table.copy()
    edited.loc[edited["column"] == "segment", "role"] = "ignore"
    edited.loc[edited["column"] == "segment", "tags"] = pd.Series([["product"]], index=edited.index[edited["column"] == "segment"])
    assert read_edits(ds, edited) == ({"segment": "ignore"}, {"segment": ["product"]})


def test_changing_the_positive_label_on_home_is_stored_in_the_workspace():
    from core.data.loaders import load_workspace_dataset
    from core.workspace import get_workspace

    imported = _import("lending_club.csv", "lc2")
    at = _open(f"lc2 ({imported.dataset.n_rows:,} rows)")
    before = next(m.value for m in at.metric if m.label == "Target rate")
    at.selectbox(key="home_positive_label").select("Fully Paid").run()
    at.button(key="home_apply_roles").click().run()
    assert not at.exception
    ws = get_workspace()
    stored = load_workspace_dataset(ws, "lc2")
    assert stored.schema.positive_label == "Fully Paid"
    assert ws.runs(kind="dataset_edit").iloc[0]["name"] == "lc2"
    after = next(m.value for m in at.metric if m.label == "Target rate")
    assert after != before and "What the import found" in _texts(at)
