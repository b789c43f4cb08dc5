"""The analyst's overrides reach the stored data and every model; import notes survive every reload."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.auth import User
from core.data.dataset import Dataset
from core.data.edits import edit_schema, save_edit
from core.data.loaders import import_file, load_workspace_dataset, stored_notes
from core.data.schema import Role, Schema, Tag
from core.errors import SchemaError, TargetError
from core.workspace import get_workspace
from tests.unit.data.conftest import CORPUS

ANNA = User("anna", "Anna Analyst")


def _percent_as_text() -> Dataset:
    """A dataset whose percent column is still text, as an older import or a SQL table leaves it."""
    rng = np.random.default_rng(0)
    n = 150
    frame = pd.DataFrame({"revol_util": [f"{x:.2f}%" for x in rng.uniform(0, 100, n)],
                          "income": rng.lognormal(10, 0.3, n).round(), "bad": rng.choice([0, 1], n)})
    schema = Schema({"revol_util": Role.CATEGORICAL, "income": Role.NUMERIC, "bad": Role.TARGET})
    return Dataset.build("util", frame, schema, "test")


def test_setting_a_percent_text_column_to_numeric_stores_the_numbers():
    ds = _percent_as_text()
    p = edit_schema(ds, roles={"revol_util": "numeric"})
    new = p.dataset
    assert new.schema.roles["revol_util"] == Role.NUMERIC and new.schema.units["revol_util"] == "%"
    model = new.model_frame()
    assert pd.api.types.is_float_dtype(model["revol_util"])
    assert model["revol_util"].iloc[0] == pytest.approx(float(ds.frame["revol_util"].iloc[0].rstrip("%")) / 100)
    assert any("percentages" in n for n in p.notes)
    assert new.fingerprint != ds.fingerprint


def test_text_that_is_not_numbers_cannot_be_set_numeric():
    ds = _percent_as_text()
    frame = ds.frame.assign(revol_util=["high", "low", "mid"] * 50)
    with pytest.raises(SchemaError, match="cannot be numeric"):
        edit_schema(Dataset.build("x", frame, ds.schema, "t"), roles={"revol_util": "numeric"})


def test_mixed_column_set_numeric_keeps_numbers_and_says_what_became_missing():
    ds = import_file(get_workspace(), "mixed_types.csv", (CORPUS / "mixed_types.csv").read_bytes(), 10).dataset
    assert ds.schema.roles["score_band"] == Role.CATEGORICAL
    p = edit_schema(ds, roles={"score_band": Role.NUMERIC})
    col = p.dataset.frame["score_band"]
    assert pd.api.types.is_numeric_dtype(col) and col.isna().sum() == 80
    assert any("became missing" in n for n in p.notes)


def test_edit_checks_targets_labels_and_tags():
    ds = _percent_as_text()
    with pytest.raises(SchemaError, match="Only one column can be the target"):
        edit_schema(ds, roles={"income": "target"})
    with pytest.raises(TargetError, match="not a value of the target"):
        edit_schema(ds, positive_label="yes")
    with pytest.raises(SchemaError, match="Unknown tag"):
        edit_schema(ds, tags={"income": ["wealthy"]})
    p = edit_schema(ds, tags={"income": ["income", "protected"]}, positive_label="0")
    assert p.dataset.schema.has("income", Tag.PROTECTED) and "income" in p.dataset.schema.protected_columns()
    assert p.dataset.schema.positive_label == 0


def test_a_pii_column_made_a_feature_gets_a_warning():
    ds = import_file(get_workspace(), "pii_planted.csv", (CORPUS / "pii_planted.csv").read_bytes(), 10).dataset
    p = edit_schema(ds, roles={"col_7": "categorical"})
    assert any(n.startswith("Warning: 'col_7' was flagged as personal data") for n in p.notes)


def test_notes_and_report_are_stored_with_the_dataset_and_survive_a_reload():
    ws = get_workspace()
    imported = import_file(ws, "lending_club.csv", (CORPUS / "lending_club.csv").read_bytes(), 10, name="lc", user=ANNA)
    assert imported.name == "lc" and any("'int_rate' holds percentages" in n for n in imported.notes)
    notes, report = stored_notes(ws, "lc")
    assert notes == imported.notes and report == imported.report
    assert ws.dataset_meta("lc")["meta"]["imported_by"] == "anna"
    # an edit stores the new roles and frame, keeps the import notes and adds its own; the run log names the user
    before = load_workspace_dataset(ws, "lc")
    p = edit_schema(before, roles={"grade": "ignore"}, tags={"addr_state": []})
    save_edit(ws, before, p, ANNA)
    after = load_workspace_dataset(ws, "lc")
    assert after.schema.roles["grade"] == Role.IGNORE and not after.schema.tags_of("addr_state")
    assert after.fingerprint == p.dataset.fingerprint
    assert pd.api.types.is_float_dtype(after.frame["int_rate"])
    assert stored_notes(ws, "lc")[0][: len(imported.notes)] == imported.notes
    run = ws.get_run(ws.runs(kind="dataset_edit").iloc[0]["run_id"])
    assert run.user == "anna" and run.params["roles"] == {"grade": ["categorical", "ignore"]}
    assert run.params["tags"] == {"addr_state": [["geographic"], []]}
