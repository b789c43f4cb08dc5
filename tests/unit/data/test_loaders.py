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


# --- habits of real bank exports: each test reads a file as such an export writes it ---

def _de(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def test_dotted_thousands_in_a_semicolon_file_with_decimal_commas_are_whole_amounts(loans):
    amounts = np.random.default_rng(1).integers(1_000, 20_000, len(loans))  # every one dotted: '1.169'
    frame = loans.assign(income=[_de(int(a)) for a in amounts],
                         rate=[f"{r:.1f}".replace(".", ",") for r in np.linspace(3, 9, len(loans))])
    ds, notes = load_file("x.csv", frame.to_csv(index=False, sep=";").encode(), 10)
    assert ds.frame["income"].tolist() == amounts.astype(float).tolist()
    assert ds.frame["rate"].iloc[-1] == 9.0
    assert any("'income'" in n and "grouping thousands" in n and "decimal commas" in n for n in notes)


def test_dotted_thousands_beside_bare_hundreds_are_whole_amounts_in_any_file(loans):
    amounts = [870, 1169, 5951, 2096, 250, 18424] * (len(loans) // 6) + [999] * (len(loans) % 6)
    frame = loans.assign(income=[_de(a) for a in amounts])
    ds, _ = load_file("x.csv", _csv(frame), 10)
    assert ds.frame["income"].tolist() == [float(a) for a in amounts]


def test_a_column_of_rates_keeps_its_decimal_point(loans):
    rates = ["4.125", "4", "3.875", "5.250"] * (len(loans) // 4)
    ds, _ = load_file("x.csv", _csv(loans.assign(income=rates)), 10)
    assert ds.frame["income"].iloc[:4].tolist() == [4.125, 4.0, 3.875, 5.25]


def test_title_lines_end_of_report_and_total_row_are_set_aside(loans):
    body = _csv(loans[["loan_id", "income", "region", "default"]]).decode()
    total = f"Total,{loans['income'].sum():.0f},,{loans['default'].sum()}\n"
    data = ("Loan book extract\nAs of 2026-10-31\n\n" + body + total + "End of report\n").encode()
    ds, notes = load_file("x.csv", data, 10)
    assert ds.n_rows == len(loans) and ds.schema.roles["loan_id"] == Role.ID
    assert any("above the header" in n and "Loan book extract" in n for n in notes)
    assert any("'Total'" in n and "set aside" in n for n in notes)
    assert any("End of report" in n for n in notes)


def test_one_stray_windows_byte_does_not_turn_the_utf8_file_into_mojibake(loans):
    frame = loans.assign(region=np.where(loans["region"] == "N", "Zürich", "Genève"))
    data = _csv(frame) + "9999,René,r@bank.com,1,Montr\xe9al,2022-01-01,0\n".encode("cp1252")
    ds, notes = load_file("x.csv", data, 10)
    assert set(ds.frame["region"]) == {"Zürich", "Genève", "Montréal"}
    assert any("UTF-8 except line" in n for n in notes)


def test_placeholders_and_nines_codes_are_missing_with_a_note(loans):
    income = loans["income"].astype(object).copy()
    income.iloc[:5] = "?"
    income.iloc[5:8] = "9999999"
    region = loans["region"].copy()
    region.iloc[:4] = "-"
    ds, notes = load_file("x.csv", _csv(loans.assign(income=income, region=region)), 10)
    assert ds.frame["income"].isna().sum() == 8 and ds.schema.roles["income"] == Role.NUMERIC
    assert ds.frame["region"].isna().sum() == 4 and set(ds.frame["region"].dropna()) == {"N", "S"}
    assert any("'?'" in n for n in notes) and any("9,999,999" in n for n in notes)


def test_sap_trailing_minus_and_bare_k_amounts_are_read():
    frame = pd.DataFrame({"cust_no": range(100, 140), "balance": ["1.169-", "870", "2.500"] * 13 + ["999"],
                          "income": ["45k", "1.2k", "900"] * 13 + ["60k"], "default": [0, 1] * 20})
    ds, _ = load_file("x.csv", _csv(frame), 10)
    assert ds.frame["balance"].iloc[:3].tolist() == [-1169.0, 870.0, 2500.0]
    assert ds.frame["income"].iloc[:3].tolist() == [45_000.0, 1_200.0, 900.0]


def test_a_tiny_file_keeps_its_id_and_its_amounts():
    frame = pd.DataFrame({"cust_id": [f"C{i}" for i in range(8)], "balance": [f"${b:,}" for b in range(500, 8500, 1000)],
                          "credit_limit": [f"${b:,}" for b in range(9000, 1000, -1000)], "default": [0, 1] * 4})
    ds, notes = load_file("x.csv", _csv(frame), 10)
    assert ds.schema.roles["cust_id"] == Role.ID
    assert ds.schema.roles["balance"] == ds.schema.roles["credit_limit"] == Role.NUMERIC, notes


def test_json_uploaded_as_csv_is_refused_plainly():
    data = b'{"id": 1, "class": "good"}\n{"id": 2, "class": "bad"}\n'
    with pytest.raises(FileFormatError, match="JSON"):
        load_file("x.csv", data, 10)


def test_a_row_with_too_many_fields_is_named_in_the_message(loans):
    data = _csv(loans[["loan_id", "income"]]).decode().splitlines()
    data[7] += ",1,2,3"
    with pytest.raises(FileFormatError, match="line 8 has 5 fields where the header has 2"):
        load_file("x.csv", "\n".join(data).encode(), 10)


@pytest.mark.parametrize("name", ["Kundennummer", "Kd-Nr", "numéro client", "id_cliente", "Klantnummer", "ref"])
def test_customer_numbers_named_the_way_european_exports_name_them_are_ids(loans, name):
    rng = np.random.default_rng(5)
    frame = loans.drop(columns=["loan_id"]).assign(**{name: rng.choice(np.arange(100_000, 999_999), len(loans),
                                                                        replace=False)})
    ds, _ = load_file("x.csv", _csv(frame), 10)
    assert ds.schema.roles[name] == Role.ID and name not in ds.features()


def test_gzip_zip_and_misnamed_files_are_read_by_what_they_hold(loans):
    import gzip
    import zipfile

    raw = _csv(loans)
    for name, data in (("x.csv.gz", gzip.compress(raw)), ("x.csv", gzip.compress(raw))):
        ds, notes = load_file(name, data, 10)
        assert ds.n_rows == len(loans) and any("gzip" in n for n in notes)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("__MACOSX/._book.csv", b"junk")
        zf.writestr("book.csv", raw)
    ds, notes = load_file("export.zip", buf.getvalue(), 10)
    assert ds.n_rows == len(loans) and any("book.csv" in n for n in notes)
    pq = io.BytesIO()
    loans.to_parquet(pq)
    ds, notes = load_file("x.csv", pq.getvalue(), 10)
    assert ds.n_rows == len(loans) and any("Parquet" in n for n in notes)
    ds, notes = load_file("x.parquet", raw, 10)
    assert ds.n_rows == len(loans) and any("read as CSV" in n for n in notes)
    ds, _ = load_file("x.csv", raw.decode().encode("utf-16-le"), 10)  # no byte-order mark
    assert ds.n_rows == len(loans)


def test_an_archive_that_unpacks_past_the_limit_is_refused():
    import gzip

    bomb = gzip.compress(b"a,b\n" + b"1,2\n" * (3 * 2**20 // 4))  # 3 MiB of rows, a few KiB packed
    with pytest.raises(FileTooLargeError, match="unpacks to more than the 1 MiB"):
        load_file("x.csv.gz", bomb, 1)


def test_an_excel_workbook_gets_a_plain_message():
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("xl/workbook.xml", b"<workbook/>")
    with pytest.raises(FileFormatError, match="Excel workbook"):
        load_file("book.xlsx", buf.getvalue(), 10)


def test_a_title_padded_to_the_tables_width_is_skipped_not_read_as_the_header():
    from core.data.loaders import load_file

    body = "Kundenexport Dezember;;;\nKd-Nr;Alter;Kartenlimit;Ausfall_12M\n" + "".join(
        f"{100000 + 7 * i};{20 + i % 50};{1000 + 500 * (i % 4)};{'ja' if i % 5 == 0 else 'nein'}\n" for i in range(80))
    ds, notes = load_file("export.csv", body.encode("cp1252"), 200)
    assert list(ds.frame.columns) == ["Kd-Nr", "Alter", "Kartenlimit", "Ausfall_12M"] and ds.n_rows == 80
    assert any("above the header" in n and "Kundenexport Dezember" in n for n in notes)
