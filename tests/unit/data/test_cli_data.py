"""``studio infer``, ``studio generate`` and ``studio import`` through a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.data.conftest import CORPUS, ROOT

CONTRACT = {"rows", "columns", "target", "positive_label", "id", "roles", "pii", "protected", "excluded", "notes"}


def studio(*args: str) -> tuple[int, list[dict], str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "core.cli", *args], capture_output=True, text=True, cwd=ROOT, env=env,
                       timeout=300)
    lines = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    return r.returncode, lines, r.stderr


@pytest.mark.slow
def test_infer_prints_the_contract_with_tags_and_evidence():
    rc, out, err = studio("infer", str(CORPUS / "lending_club.csv"))
    assert rc == 0, err
    (d,) = out
    assert CONTRACT <= set(d) and {"tags", "evidence", "units"} <= set(d)
    assert (d["target"], d["positive_label"], d["id"]) == ("loan_status", "Charged Off", "id")
    assert d["roles"]["int_rate"] == "numeric" and d["units"]["int_rate"] == "%"
    assert "addr_state" in d["tags"] and any("percentages" in n for n in d["notes"])
    assert d["excluded"]["id"] == "the identifier" and d["excluded"]["issue_d"].startswith("a date")
    assert any(e.startswith("target:") for e in d["evidence"]["loan_status"])


@pytest.mark.slow
def test_infer_with_a_target_and_the_pii_and_protected_lists():
    rc, out, _ = studio("infer", str(CORPUS / "pii_planted.csv"), "--target", "bad")
    assert rc == 0
    d = out[0]
    assert set(d["pii"]) == {"col_7", "ref", "notes", "col_3", "col_9", "area", "loc", "x1", "d1"}
    assert "d1" in d["protected"] and "col_7" in d["protected"]


@pytest.mark.slow
@pytest.mark.integration
def test_infer_on_the_real_files(shared_data):
    expected = {"german_credit.csv": ("class", "bad", None), "bank_marketing_full.csv": ("y", "yes", None),
                "cc_general.csv": (None, None, "CUST_ID")}
    for name, (target, label, id_col) in expected.items():
        rc, out, err = studio("infer", str(shared_data / name))
        assert rc == 0, err
        assert (out[0]["target"], out[0]["positive_label"], out[0]["id"]) == (target, label, id_col), name


BAD = [("infer", "/no/such/file.csv"), ("infer", str(CORPUS / "three_class_target.csv"), "--target", "loan_status"),
       ("infer", str(CORPUS / "units.csv"), "--target", "nope"), ("infer",), ("generate", "--out", "x.xlsx"),
       ("generate", "--rows", "0", "--out", "x.csv"), ("import", str(CORPUS / "units.csv"), "--name", " "),
       ("infer", str(ROOT / "README.md")), ("import", "/no/such/file.parquet")]


@pytest.mark.parametrize("args", BAD, ids=[" ".join(a)[:40] for a in BAD])
def test_bad_input_exits_2_with_one_plain_error(args, capsys):
    from core.cli.main import main

    assert main(list(args)) == 2
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(out) == 1 and set(out[0]) == {"error"} and out[0]["error"]
    assert "Traceback" not in out[0]["error"]


@pytest.mark.slow
@pytest.mark.parametrize("args", [BAD[1], BAD[4], BAD[8]], ids=["infer", "generate", "import"])
def test_bad_input_through_a_subprocess(args):
    rc, out, err = studio(*args)
    assert rc == 2 and len(out) == 1 and set(out[0]) == {"error"}
    assert "Traceback" not in err


@pytest.mark.slow
def test_generate_csv_and_parquet_then_infer_the_result(tmp_path: Path):
    rc, out, err = studio("generate", "--rows", "800", "--seed", "3", "--out", str(tmp_path / "p.csv"))
    assert rc == 0, err
    assert out[0]["rows"] == 800 and (tmp_path / "p.csv").exists()
    rc, out, _ = studio("infer", str(tmp_path / "p.csv"))
    assert (out[0]["target"], out[0]["positive_label"], out[0]["id"]) == ("default_12m", 1, "customer_id")
    assert set(out[0]["pii"]) == {"full_name", "email"}
    rc, out, _ = studio("generate", "--rows", "300", "--out", str(tmp_path / "p.parquet"))
    assert rc == 0 and out[0]["rows"] == 300
    import pandas as pd

    assert len(pd.read_parquet(tmp_path / "p.parquet")) == 300


@pytest.mark.slow
def test_import_stores_the_dataset_with_its_notes(isolated_workspace):
    rc, out, err = studio("import", str(CORPUS / "european_semicolon_cp1252.csv"), "--name", "Euro Loans")
    assert rc == 0, err
    d = out[0]
    assert (d["name"], d["rows"], d["table"]) == ("euro_loans", 110, "ds_euro_loans")
    assert any("Windows-1252" in n for n in d["notes"])
    from core.data.loaders import stored_notes
    from core.data.sql import run_sql
    from core.workspace import get_workspace

    ws = get_workspace()
    assert stored_notes(ws, "euro_loans")[0] == d["notes"]
    assert len(run_sql("SELECT betrag FROM ds_euro_loans WHERE betrag > 1000", ws=ws)) > 0  # stored as numbers


def test_import_of_a_taken_name_is_refused_unless_told_to_replace_or_keep_both(isolated_workspace):
    path = str(CORPUS / "european_semicolon_cp1252.csv")
    assert studio("import", path, "--name", "loans")[0] == 0
    rc, out, _ = studio("import", path, "--name", "loans")
    assert rc == 2 and "--replace" in out[0]["error"] and "loans_v2" in out[0]["error"]
    rc, out, _ = studio("import", path, "--name", "loans", "--keep-both")
    assert (rc, out[0]["name"]) == (0, "loans_v2")
    rc, out, _ = studio("import", path, "--name", "loans", "--replace")
    assert (rc, out[0]["name"]) == (0, "loans")
    from core.workspace import get_workspace

    assert sorted(get_workspace().list_datasets()["name"]) == ["loans", "loans_v2"]
