"""The one guarded SQL path refuses the hostile corpus, over the workspace and over external files."""

from __future__ import annotations

import threading

import duckdb
import pytest

from core.data.sql import (
    QueryRefused,
    QueryTimeout,
    SqlLimits,
    _lock_down,
    _sandbox,
    query_database,
    query_workspace,
    run_sql,
    scrub,
)
from core.data.sql_check import check_select
from core.workspace import get_workspace
from tests.unit.security.corpus import (
    API_KEY,
    CANARY_TEXT,
    LOANS,
    assert_clean_message,
    catalogue,
    load_corpus,
    make_sandbox,
    snapshot,
)

CORPUS = load_corpus()


@pytest.fixture
def box(tmp_path, monkeypatch):
    sandbox = make_sandbox(tmp_path / "box", monkeypatch)
    ws = get_workspace()
    ws.save_dataset("loans", LOANS, source="test", schema={}, fingerprint="f0")
    return sandbox, ws


def test_corpus_is_large_and_covers_every_class():
    assert len(CORPUS) >= 40
    assert {h.cls for h in CORPUS} >= {"file_read", "network", "write", "attach", "extension", "settings", "multi",
                                        "dml", "ddl", "query_fn", "long", "timeout"}


@pytest.mark.parametrize("where", ["workspace", "duckdb", "sqlite"])
def test_hostile_corpus_is_refused_and_nothing_changes(box, where, tmp_path):
    sandbox, ws = box
    database = {"workspace": None, "duckdb": str(sandbox.duckdb_file), "sqlite": str(sandbox.sqlite_file)}[where]
    before_files, before_ws = snapshot(tmp_path), catalogue(ws)
    for hostile in CORPUS:
        with pytest.raises((QueryRefused, QueryTimeout)) as info:
            run_sql(sandbox.fill(hostile.sql), database, ws=ws)
        assert_clean_message(str(info.value), hostile)
    assert not sandbox.out.parent.exists(), "a query wrote a file"
    assert snapshot(tmp_path) == before_files, "a file was changed"
    assert catalogue(ws) == before_ws, "the workspace changed"


def test_plain_selects_still_work(box):
    _, ws = box
    frame = run_sql("WITH y AS (SELECT b, a FROM ds_loans WHERE a < 10) "
                    "SELECT b, count(*) AS n, sum(a) OVER () AS total FROM y GROUP BY b, a ORDER BY b LIMIT 3", ws=ws)
    assert list(frame.columns) == ["b", "n", "total"] and len(frame) == 3
    assert run_sql("SELECT count(*) AS n FROM ds_loans l JOIN range(5) r(i) ON l.a = r.i", ws=ws)["n"].item() == 5
    assert run_sql("DESCRIBE ds_loans", ws=ws)["column_name"].tolist() == ["a", "b"]
    assert run_sql("SELECT * FROM DS_LOANS WHERE b = 'y' AND a < 4", ws=ws)["a"].tolist() == [1, 3]
    assert run_sql("select ';' as s, 'read_csv(''/etc/passwd'')' as t", ws=ws)["t"].item() == "read_csv('/etc/passwd')"


def test_external_files_are_queried_read_only(box):
    sandbox, _ = box
    before = snapshot(sandbox.root)
    for path in (sandbox.duckdb_file, sandbox.sqlite_file):
        frame = run_sql("SELECT b, count(*) AS n FROM ds_loans GROUP BY b ORDER BY b", str(path))
        assert frame.to_dict("records") == [{"b": "x", "n": 50}, {"b": "y", "n": 50}]
    assert snapshot(sandbox.root) == before


def test_workspace_query_becomes_a_dataset(box):
    _, ws = box
    ds, _ = query_workspace(ws, "SELECT a % 7 AS k, b FROM ds_loans WHERE a >= 50", "upper")
    assert ds.n_rows == 50 and ds.source.startswith("sql:")


@pytest.mark.parametrize(("url", "message"), [
    ("", "No database"),
    ("/nonexistent/x.duckdb", "does not exist"),
    ("{secret}", "Only DuckDB and SQLite"),
    ("{outside}", "outside the folders"),
    ("{fake}", "neither a DuckDB nor a SQLite"),
    ("{workspace}", "outside the folders|own workspace store"),
    ("postgres:dbname=risk host=localhost", "ATTACH strings"),
    ("http://evil.example/x.duckdb", "scheme 'http' are not allowed"),
    ("file:///etc/passwd", "scheme 'file' are not allowed"),
    ("sqlite:////nonexistent/x.sqlite", "does not exist"),
    ("postgresql://user:hunter2secret@db.example/risk", "SQLAlchemy is not installed"),
])
def test_database_locations_are_validated(box, tmp_path, url, message):
    sandbox, _ = box
    outside = tmp_path / "elsewhere.duckdb"
    duckdb.connect(str(outside)).close()
    fake = sandbox.duckdb_file.with_name("fake.duckdb")
    fake.write_text(CANARY_TEXT * 4)
    from core.settings import get_settings

    url = url.format(secret=sandbox.canary, outside=outside, fake=fake, workspace=get_settings().db_path)
    with pytest.raises(QueryRefused, match=message) as info:
        query_database(url, "SELECT 1 AS a", "x")
    assert CANARY_TEXT not in str(info.value) and "hunter2secret" not in str(info.value)


def test_workspace_store_itself_is_refused_even_inside_an_allowed_folder(box, monkeypatch):
    from core.settings import get_settings

    monkeypatch.setenv("STUDIO_SQL_DATABASE_DIRS", str(get_settings().workspace_dir))
    get_settings.cache_clear()
    with pytest.raises(QueryRefused, match="own workspace store"):
        run_sql("SELECT 1", str(get_settings().db_path))


def test_sandbox_itself_refuses_what_the_check_would_catch(box):
    """Defence in depth: with the parser check bypassed, the locked connection still refuses."""
    sandbox, _ = box
    con = _sandbox(SqlLimits())
    _lock_down(con)
    try:
        for sql in (f"SELECT * FROM read_text('{sandbox.canary}')", f"COPY (SELECT 1) TO '{sandbox.out}'",
                    "INSTALL httpfs", "LOAD httpfs", f"ATTACH '{sandbox.out}' AS x",
                    "SET enable_external_access = true", "SET lock_configuration = false",
                    "SELECT * FROM 'http://127.0.0.1:9/x.csv'"):
            with pytest.raises(duckdb.Error) as info:
                con.execute(sql)
            assert CANARY_TEXT not in str(info.value)
        assert con.execute("SELECT current_setting('enable_external_access')").fetchone()[0] is False
        assert con.execute("SELECT current_setting('autoinstall_known_extensions')").fetchone()[0] is False
    finally:
        con.close()
    assert not sandbox.out.parent.exists()


def test_secrets_are_scrubbed_from_error_messages(box):
    _, ws = box
    with pytest.raises(QueryRefused) as info:
        run_sql(f"SELECT CAST('{API_KEY}' AS INTEGER) AS n FROM ds_loans", ws=ws)
    assert API_KEY not in str(info.value) and "[redacted]" in str(info.value)
    assert API_KEY not in scrub(f"line one {API_KEY}\nline two")


def test_a_long_query_is_cancelled_without_blocking_another(box):
    _, ws = box
    order: list[str] = []
    errors: list[Exception] = []

    def slow():
        try:
            run_sql("SELECT count(*) FROM range(1000000000000) a", ws=ws, limits=SqlLimits(timeout_s=3))
        except QueryTimeout as exc:
            errors.append(exc)
        order.append("slow")

    thread = threading.Thread(target=slow)
    thread.start()
    assert run_sql("SELECT count(*) AS n FROM ds_loans", ws=ws)["n"].item() == 100
    order.append("quick")
    thread.join(30)
    assert order == ["quick", "slow"]
    assert errors and "cancelled" in str(errors[0])


def test_result_row_limit(box):
    _, ws = box
    with pytest.raises(QueryRefused, match="more than 10 rows"):
        run_sql("SELECT * FROM ds_loans", ws=ws, limits=SqlLimits(max_rows=10))


def test_only_tables_the_query_names_are_loaded(box, monkeypatch):
    _, ws = box
    ws.save_dataset("other", LOANS, source="test", schema={}, fingerprint="f1")
    loaded: list[str] = []
    original = type(ws).dataset_arrow
    monkeypatch.setattr(type(ws), "dataset_arrow", lambda self, name: loaded.append(name) or original(self, name))
    run_sql("SELECT count(*) FROM ds_other", ws=ws)
    assert loaded == ["other"]


def test_check_reports_tables_and_ctes():
    checked = check_select("WITH c AS (SELECT * FROM ds_a) SELECT * FROM c JOIN ds_b USING (id)")
    assert checked.referenced() == {"ds_a", "ds_b"} and "c" in checked.ctes


def test_a_view_inside_an_external_duckdb_file_cannot_read_server_files(box):
    """A crafted database file whose view reads a server file: the locked sandbox refuses at run time."""
    sandbox, _ = box
    evil = sandbox.duckdb_file.with_name("evil.duckdb")
    con = duckdb.connect(str(evil))
    con.execute(f"CREATE VIEW leak AS SELECT content FROM read_text('{sandbox.canary}')")
    con.execute("CREATE TABLE ok AS SELECT 1 AS a")
    con.close()
    assert run_sql("SELECT a FROM ok", str(evil))["a"].tolist() == [1]
    with pytest.raises(QueryRefused, match="tried to reach files") as info:
        run_sql("SELECT * FROM leak", str(evil))
    assert CANARY_TEXT not in str(info.value)


def test_show_tables_names_the_readable_tables_without_loading_them(box, monkeypatch):
    ws = get_workspace()
    loaded = []
    real = type(ws).dataset_arrow
    monkeypatch.setattr(type(ws), "dataset_arrow", lambda self, name: loaded.append(name) or real(self, name))
    assert run_sql("SHOW TABLES", ws=ws)["name"].tolist() == ["ds_loans"]
    assert run_sql("SELECT * FROM (SHOW TABLES)", ws=ws)["name"].tolist() == ["ds_loans"]
    assert loaded == []


def test_a_prefixed_table_name_is_refused_with_the_name_to_write(box):
    with pytest.raises(QueryRefused, match="Write the table name alone \\('ds_loans'\\)"):
        run_sql("SELECT * FROM studio.main.ds_loans", ws=get_workspace())
