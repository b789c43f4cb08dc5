import io

import numpy as np
import pandas as pd
import pytest

from core.data.loaders import import_dataset, load_file, load_workspace_dataset
from core.data.schema import Role
from core.data.sql import QueryRefused, query_workspace
from core.errors import EmptyDataError, FileFormatError, FileTooLargeError, SchemaError, TargetError
from core.workspace import get_workspace


def _csv(frame: pd.DataFrame, **kw) -> bytes:
    return frame.to_csv(index=False, **kw).encode(kw.pop("encoding", "utf-8") if "encoding" in kw else "utf-8")


@pytest.fixture
def loans():
    rng = np.random.default_rng(0)
    n = 200
    return pd.DataFrame({
        "loan_id": np.arange(1000, 1000 + n),
        "name": [f"Person {i}" for i in range(n)],
        "email": [f"p{i}@bank.com" for i in range(n)],
        "income": rng.normal(50_000, 10_000, n).round(),
        "region": rng.choice(["N", "S"], n),
        "opened": pd.date_range("2022-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "default": rng.choice([0, 1], n, p=[0.9, 0.1]),
    })


def test_csv_roles_are_inferred_and_pii_kept_out(loans):
    ds, notes = load_file("loans.csv", _csv(loans), 10)
    r = ds.schema.roles
    assert r["loan_id"] == Role.ID and r["default"] == Role.TARGET
    assert r["name"] == Role.PII and r["email"] == Role.PII
    assert r["opened"] == Role.DATETIME and r["income"] == Role.NUMERIC and r["region"] == Role.CATEGORICAL
    assert set(ds.features()) == {"income", "region"}
    assert notes == []


def test_semicolon_delimiter_and_cp1252_encoding(loans):
    frame = loans.assign(region=np.where(loans["region"] == "N", "Zürich", "Genève"))
    data = frame.to_csv(index=False, sep=";").encode("cp1252")
    ds, _ = load_file("x.csv", data, 10)
    assert ds.frame.shape == frame.shape
    assert set(ds.frame["region"]) == {"Zürich", "Genève"}


def test_parquet_round_trip(loans):
    buf = io.BytesIO()
    loans.to_parquet(buf)
    ds, _ = load_file("x.parquet", buf.getvalue(), 10)
    assert ds.n_rows == len(loans)


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("empty.csv", b"", EmptyDataError),
        ("blank.csv", b"   \n  \n", EmptyDataError),
        ("header_only.csv", b"a,b,c\n", EmptyDataError),
        ("x.xlsx", b"PK\x03\x04", FileFormatError),
        ("bad.parquet", b"not parquet at all", FileFormatError),
        ("binary.csv", b"\x00\x01\x02\x03" * 100, FileFormatError),
    ],
)
def test_unreadable_files_raise_typed_errors(name, data, error):
    with pytest.raises(error) as exc:
        load_file(name, data, 10)
    assert exc.value.message


def test_file_over_the_size_limit():
    with pytest.raises(FileTooLargeError, match="limit"):
        load_file("big.csv", b"a,b\n" + b"1,2\n" * 300_000, 1)


def test_one_class_and_multiclass_targets(loans):
    with pytest.raises(TargetError, match="single class"):
        load_file("x.csv", _csv(loans.assign(default=0)), 10, target="default")
    with pytest.raises(TargetError, match="binary"):
        load_file("x.csv", _csv(loans.assign(default=np.arange(len(loans)) % 3)), 10, target="default")


def test_duplicated_ids(loans):
    dup = loans.copy()
    dup.loc[5, "loan_id"] = dup.loc[4, "loan_id"]
    with pytest.raises(SchemaError, match="repeated ids"):
        load_file("x.csv", _csv(dup), 10, id_column="loan_id")


def test_id_used_as_a_feature_is_refused(loans):
    ds, _ = load_file("x.csv", _csv(loans), 10)
    from core.data.loaders import build_dataset

    with pytest.raises(SchemaError, match="identifier"):
        build_dataset("x", ds.frame, "t", schema=ds.schema.with_role("loan_id", Role.NUMERIC))


def test_constant_and_empty_columns_are_set_aside_with_a_note(loans):
    ds, notes = load_file("x.csv", _csv(loans.assign(const=7, empty=np.nan)), 10)
    assert ds.schema.roles["const"] == Role.IGNORE and ds.schema.roles["empty"] == Role.IGNORE
    assert any("const" in n for n in notes) and any("empty" in n for n in notes)


def test_no_usable_columns():
    frame = pd.DataFrame({"customer_id": range(100), "email": [f"a{i}@x.org" for i in range(100)]})
    with pytest.raises(SchemaError, match="No usable feature"):
        load_file("x.csv", _csv(frame), 10)


def test_import_query_and_reload_from_workspace(loans):
    ws = get_workspace()
    ds, _ = load_file("My Loans.csv", _csv(loans), 10)
    name = import_dataset(ws, ds)
    assert name == "my_loans"
    back = load_workspace_dataset(ws, name)
    assert back.fingerprint == ds.fingerprint and back.schema.to_dict() == ds.schema.to_dict()
    q, _ = query_workspace(ws, "SELECT income, region, \"default\" FROM ds_my_loans WHERE income > 50000", "rich")
    assert 0 < q.n_rows < len(loans)
    with pytest.raises(QueryRefused, match="SELECT"):
        query_workspace(ws, "DROP TABLE ds_my_loans", "dropped")
    assert len(ws.load_dataset(name)) == len(loans)


def test_real_datasets_load(shared_data):
    ds, _ = load_file("german_credit.csv", (shared_data / "german_credit.csv").read_bytes(), 50)
    assert ds.schema.target == "class" and ds.schema.positive_label == "bad"
    assert ds.target_vector().sum() == 300
    cc, _ = load_file("cc_general.csv", (shared_data / "cc_general.csv").read_bytes(), 50)
    assert cc.schema.id_column == "CUST_ID" and cc.schema.target is None
    bank, _ = load_file("bank.csv", (shared_data / "bank_marketing_full.csv").read_bytes(), 50)
    assert bank.schema.target == "y" and bank.schema.positive_label == "yes"


def test_infinite_and_overflowing_numbers_become_missing_with_a_note(loans):
    # a bank export with "inf" and 1e308 in amounts: models hold float32, where both are infinite and stop training
    lines = loans.to_csv(index=False).splitlines()
    header = lines[0].split(",")
    col = next(c for c in header if c in ("income", "annual_income", "loan_amount", "amount"))
    j = header.index(col)
    for i, bad in ((1, "inf"), (2, "1e308"), (3, "-inf")):
        cells = lines[i].split(",")
        cells[j] = bad
        lines[i] = ",".join(cells)
    ds, notes = load_file("bad.csv", ("\n".join(lines) + "\n").encode(), 50)
    x = ds.frame[col]
    assert x.iloc[:3].isna().all() and x.iloc[3:].notna().any()
    assert np.isfinite(x.dropna()).all()
    note = next(n for n in notes if n.startswith(f"'{col}' held 3 infinite or overflowing values"))
    assert "1e+308" in note and "inf" in note and "became missing" in note
