"""The one guarded SQL path: the Home page's two SQL tabs and ``studio sql`` all run through here.

A query is first checked by DuckDB's parser (:mod:`core.data.sql_check`: exactly one SELECT, no
file, environment or SQL-text functions, only known tables). It then runs on a fresh in-memory
DuckDB connection that holds read-only copies of just the datasets it names, with external
access, extension install/load and persistent secrets off, the configuration locked, memory and
threads capped, and a wall-clock timer that interrupts it. The workspace's own read-write
connection never sees the analyst's SQL. Error messages say what was refused and never echo file
contents, environment variables or secrets.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from core.data.dataset import Dataset
from core.data.loaders import build_dataset
from core.data.sql_check import CheckedQuery, QueryRefused, check_select, check_tables
from core.data.sql_sources import DatabaseSource, sqlalchemy_rows, sqlite_table_names, sqlite_tables, validate_database
from core.errors import InputError
from core.settings import Settings, get_settings
from core.workspace import Workspace, get_workspace

logger = logging.getLogger(__name__)

__all__ = ["QueryRefused", "QueryTimeout", "SqlLimits", "query_database", "query_workspace", "run_sql", "scrub"]


class QueryTimeout(InputError):
    """The query ran past the wall-clock limit and was cancelled."""


@dataclass(frozen=True)
class SqlLimits:
    """What one query may use: seconds, memory, threads, result rows."""

    timeout_s: float = 30.0
    memory_mb: int = 1024
    threads: int = 2
    max_rows: int = 5_000_000

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> SqlLimits:
        s = settings or get_settings()
        return cls(s.sql_timeout_s, s.sql_memory_mb, s.sql_threads, s.sql_max_rows)


# ---- messages ------------------------------------------------------------------------------------------
_SECRET_NAME = re.compile(r"KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|AUTH|COOKIE", re.IGNORECASE)


def scrub(message: str, settings: Settings | None = None) -> str:
    """One line of an error message with every secret and environment value taken out."""
    s = settings or get_settings()
    text = (message or "").strip().splitlines()[0] if (message or "").strip() else ""
    secrets = {s.openai_api_key, s.oidc_client_secret, s.oidc_cookie_secret}
    secrets.update(v for k, v in os.environ.items() if len(v) >= 16 or (_SECRET_NAME.search(k) and len(v) >= 3))
    for value in sorted((v for v in secrets if v), key=len, reverse=True):
        text = text.replace(value, "[redacted]")
    return text[:300]


# ---- the sandbox ---------------------------------------------------------------------------------------
def _sandbox(limits: SqlLimits) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(":memory:", config={
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "allow_community_extensions": False,
        "allow_unsigned_extensions": False,
        "allow_persistent_secrets": False,
        "memory_limit": f"{limits.memory_mb}MB",
        "threads": limits.threads,
        "temp_directory": "",  # nothing spills to disk
    })


def _lock_down(con: duckdb.DuckDBPyConnection) -> None:
    # after attaching and registering what the query may read, before the analyst's SQL runs
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def _execute(con: duckdb.DuckDBPyConnection, sql: str, limits: SqlLimits) -> pd.DataFrame:
    """Run the checked query with the timer armed; fetch at most ``max_rows`` rows."""
    timer = threading.Timer(limits.timeout_s, con.interrupt)
    timer.daemon = True
    timer.start()
    try:
        reader = con.sql(sql).to_arrow_reader(65_536)
        batches, n = [], 0
        for batch in reader:
            n += batch.num_rows
            if n > limits.max_rows:
                raise QueryRefused(f"The result has more than {limits.max_rows:,} rows.",
                                   "Add a WHERE clause or a LIMIT, or ask an admin to raise STUDIO_SQL_MAX_ROWS.")
            batches.append(batch)
        table = pa.Table.from_batches(batches, schema=reader.schema)
    except duckdb.InterruptException:
        raise QueryTimeout(f"The query ran longer than {limits.timeout_s:g} s and was cancelled.",
                           "Narrow it down (WHERE, fewer joins), or ask an admin to raise STUDIO_SQL_TIMEOUT_S.") from None
    except duckdb.OutOfMemoryException:
        raise QueryRefused(f"The query needed more than the {limits.memory_mb:,} MiB the SQL sandbox may use.",
                           "Aggregate or filter earlier, or ask an admin to raise STUDIO_SQL_MEMORY_MB.") from None
    except duckdb.PermissionException:
        raise QueryRefused("The query was refused: it tried to reach files, settings or extensions.",
                           "Only the dataset tables can be queried; nothing was run.") from None
    except duckdb.Error as exc:
        raise QueryRefused(f"The query failed: {scrub(str(exc))}", "Check the SQL; nothing was changed.") from None
    finally:
        timer.cancel()
    return table.to_pandas()


def _run_on(tables: Mapping[str, pa.Table], checked: CheckedQuery, limits: SqlLimits,
            attach: Path | None = None) -> pd.DataFrame:
    """Run on a fresh sandbox holding ``tables`` (and, read-only, the DuckDB file ``attach``)."""
    con = _sandbox(limits)
    try:
        if attach is not None:
            try:
                con.execute("ATTACH ? AS src (READ_ONLY)", [str(attach)])  # bound, never spliced
                rows = con.execute(
                    "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'src' UNION "
                    "SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = 'src' AND NOT internal"
                ).fetchall()
            except duckdb.Error as exc:
                raise QueryRefused(f"The DuckDB file could not be opened: {scrub(str(exc))}",
                                   "Check that no other program holds it open for writing.") from None
            check_tables(checked, {r[1] for r in rows}, catalogs=("", "src"), schemas=("", *{r[0] for r in rows}))
            con.execute("USE src")
        for name, table in tables.items():
            con.register(name, table)
        _lock_down(con)
        return _execute(con, checked.sql, limits)
    finally:
        con.close()


# ---- what a user may read ------------------------------------------------------------------------------
def readable_tables(ws: Workspace, user: object | None = None) -> dict[str, str]:
    """``ds_<name>`` -> dataset name for every dataset ``user`` may read (all of the catalogue today)."""
    del user  # every signed-in role may read every dataset; the hook is here for per-dataset grants
    return {f"ds_{n}": n for n in ws.list_datasets()["name"].tolist()}


# ---- public API ----------------------------------------------------------------------------------------
def run_sql(sql: str, database: str | None = None, *, ws: Workspace | None = None, user: object | None = None,
            limits: SqlLimits | None = None) -> pd.DataFrame:
    """Run one checked SELECT over the workspace datasets, or over an external database; return the rows.

    Raises:
        QueryRefused: the query or the database location was refused (nothing ran, nothing changed).
        QueryTimeout: the query ran past the limit and was cancelled.
    """
    settings = get_settings()
    limits = limits or SqlLimits.from_settings(settings)
    checked = check_select(sql)
    if database:
        return _run_external(validate_database(database, settings), checked, limits)
    ws = ws or get_workspace()
    readable = readable_tables(ws, user)
    used = check_tables(checked, readable)
    tables = {t: ws.dataset_arrow(readable[t]) for t in used}
    if checked.lists_tables:  # SHOW TABLES names every table the user may read; those not read stay empty
        tables.update({t: pa.table({"_": pa.array([], pa.int8())}) for t in readable if t not in tables})
    logger.info("sql over %s", sorted(used))
    return _run_on(tables, checked, limits)


def _run_external(source: DatabaseSource, checked: CheckedQuery, limits: SqlLimits) -> pd.DataFrame:
    if source.kind == "duckdb" and source.path is not None:
        return _run_on({}, checked, limits, attach=source.path)
    if source.kind == "sqlite" and source.path is not None:
        used = check_tables(checked, sqlite_table_names(source.path))
        return _run_on(sqlite_tables(source.path, used, limits.max_rows), checked, limits)
    try:
        return sqlalchemy_rows(source, checked.sql, limits.max_rows, limits.timeout_s)
    except QueryRefused:
        raise
    except Exception as exc:  # driver errors carry the URL; say what failed without it
        raise QueryRefused(f"The database query failed ({type(exc).__name__}): "
                           f"{scrub(str(exc).replace(source.url, source.label))}",
                           "Check the URL, the credentials and the SQL.") from None


def query_workspace(ws: Workspace, sql: str, name: str, *, user: object | None = None) -> tuple[Dataset, list[str]]:
    """A SELECT over workspace tables (``ds_<name>``), validated as a new dataset."""
    frame = run_sql(sql, ws=ws, user=user)
    return build_dataset(name, frame, f"sql:{sql.strip()[:200]}")


def query_database(url: str, sql: str, name: str, *, user: object | None = None) -> tuple[Dataset, list[str]]:
    """A SELECT against an external DuckDB/SQLite file or SQLAlchemy URL, validated as a new dataset."""
    source = validate_database(url, get_settings())
    frame = run_sql(sql, url, user=user)
    return build_dataset(name, frame, f"db:{source.label}:{sql.strip()[:200]}")
