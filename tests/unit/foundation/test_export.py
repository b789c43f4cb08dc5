import io

import pandas as pd

from core.export import BOM, csv_bytes, pseudonymise, safe_cell


def test_formula_cells_neutralised_numbers_untouched(isolated_workspace):
    frame = pd.DataFrame({
        "id": ["C1", "C2", "C3", "C4"],
        "note": ["=HYPERLINK(\"http://x\")", "+1+1", "@SUM(A1)", "＝1+1"],
        "other": ["-2+3", "\tx", "\rx", "plain · é"],
        "balance": [-50.0, 10.0, 0.0, 3.5],
    })
    raw = csv_bytes(frame, id_columns=["id"])
    text = raw.decode("utf-8")
    assert text.startswith(BOM)
    back = pd.read_csv(io.StringIO(text[1:]), keep_default_na=False)
    assert all(v.startswith("'") for v in back["note"])
    assert back["other"].tolist()[:1] == ["'-2+3"]
    assert back["other"].tolist()[3] == "plain · é"
    assert back["balance"].tolist() == [-50.0, 10.0, 0.0, 3.5]
    assert not back["id"].isin(["C1", "C2", "C3", "C4"]).any()
    assert back["id"].str.match(r"^P[0-9a-f]{16}$").all()


def test_column_names_neutralised(isolated_workspace):
    frame = pd.DataFrame({"=cmd|' /C calc'!A0": [1]})
    header = csv_bytes(frame).decode("utf-8")[1:].splitlines()[0]
    assert header.lstrip('"').startswith("'=")


def test_pseudonyms_stable_within_workspace_and_keyed(isolated_workspace, tmp_path):
    a = pseudonymise(pd.Series(["C1", "C2", None]))
    b = pseudonymise(pd.Series(["C1", "C2", None]))
    assert a.tolist() == b.tolist() and a.iloc[0] != a.iloc[1] and a.iloc[2] is None
    other = pseudonymise(pd.Series(["C1"]), workspace_dir=tmp_path / "other")
    assert other.iloc[0] != a.iloc[0]
    key = isolated_workspace / "pseudonym.key"
    assert key.exists() and (key.stat().st_mode & 0o077) == 0


def test_pseudonymise_off_keeps_ids(isolated_workspace):
    text = csv_bytes(pd.DataFrame({"id": ["C1"]}), id_columns=["id"], pseudonymise=False).decode("utf-8")
    assert "C1" in text


def test_safe_cell_leaves_non_text():
    assert safe_cell(-3) == -3 and safe_cell(None) is None and safe_cell("ok") == "ok"
