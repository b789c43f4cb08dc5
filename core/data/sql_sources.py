"""Where a guarded query may read from: the workspace, a DuckDB or SQLite file, or a SQLAlchemy URL.

An external database is named by the analyst, so it is validated before anything opens it: a file
must exist, be readable, sit in one of the folders the settings allow, be a DuckDB or SQLite file
by its header (not by its name), and not be the workspace's own store; a URL must use one of the
allowed schemes. The location is passed to the database as a bound parameter or a path argument,
never spliced into SQL text.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import pyarrow as pa

from core.data.sql_check import QueryRefused
from core.settings import Settings

_DB_SUFFIXES = (".duckdb", ".db", ".sqlite", ".sqlite3", ".ddb")
_SQLITE_MAGIC = b"SQLite format 3\x00"
_DUCKDB_MAGIC = b"DUCK"  # at byte offset 8 of every DuckDB database file


@dataclass(frozen=True)
class DatabaseSource:
    """A validated external database: ``kind`` is ``duckdb``, ``sqlite`` or ``sqlalchemy``."""

    kind: str
    path: Path | None = None
    url: str = ""

    @property
    def label(self) -> str:
        """What the run log and the dataset's source say (never a password)."""
        if self.path is not None:
            return f"{self.kind}:{self.path.name}"
        return f"sqlalchemy:{_hide_password(self.url)}"


def _hide_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


def allowed_dirs(settings: Settings) -> list[Path]:
    """The folders an external database file may live in (``STUDIO_SQL_DATABASE_DIRS``)."""
    raw = [p.strip() for p in settings.sql_database_dirs.replace(os.pathsep, ",").split(",") if p.strip()]
    dirs = [Path(p).expanduser() for p in raw] or [settings.workspace_dir / "databases"]
    return [d.resolve() for d in dirs]


def validate_database(url: str, settings: Settings) -> DatabaseSource:
    """Check an external-database location and say what it is; open nothing.

    Raises:
        QueryRefused: the location is not one the studio may read, with what to do instead.
    """
    text = (url or "").strip()
    if not text:
        raise QueryRefused("No database was given.", "Enter a DuckDB or SQLite file path, or a database URL.")
    if "\x00" in text or "\n" in text:
        raise QueryRefused("The database location holds control characters.", "Enter a plain file path or URL.")
    if "://" in text:
        scheme = text.split("://", 1)[0].lower()
        base = scheme.split("+", 1)[0]
        if base in ("sqlite", "duckdb"):
            # sqlite:///relative.db and sqlite:////absolute.db, as SQLAlchemy spells them
            return _validate_file(text.split("://", 1)[1].removeprefix("/"), settings)
        allowed = [s.strip().lower() for s in settings.sql_url_schemes.split(",") if s.strip()]
        if base not in allowed:
            raise QueryRefused(f"Database URLs of the scheme '{base}' are not allowed here.",
                               f"Allowed schemes: {', '.join(allowed) or 'none'} (STUDIO_SQL_URL_SCHEMES), "
                               "or a DuckDB/SQLite file.")
        return DatabaseSource("sqlalchemy", url=text)
    if ":" in text.split("/")[0] and not Path(text).exists():
        raise QueryRefused("DuckDB ATTACH strings (such as postgres:...) are not accepted here.",
                           "Use a database URL such as postgresql://user@host/db, or a DuckDB/SQLite file.")
    return _validate_file(text, settings)


def _validate_file(text: str, settings: Settings) -> DatabaseSource:
    if not text:
        raise QueryRefused("No database file was given.", "Enter the path of a DuckDB or SQLite file.")
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = Path.cwd() / path
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise QueryRefused("That database file does not exist.", "Check the path (it is read on the server).") from None
    if not resolved.is_file():
        raise QueryRefused("That database path is not a file.", "Give the path of a .duckdb or .sqlite file.")
    if resolved.suffix.lower() not in _DB_SUFFIXES:
        raise QueryRefused("Only DuckDB and SQLite database files can be queried here.",
                           f"The file name should end in one of {', '.join(_DB_SUFFIXES)}.")
    dirs = allowed_dirs(settings)
    if not any(resolved.is_relative_to(d) for d in dirs):
        raise QueryRefused("That database file is outside the folders the studio may read.",
                           "Put it in " + " or ".join(str(d) for d in dirs)
                           + ", or ask an admin to add its folder to STUDIO_SQL_DATABASE_DIRS.")
    if resolved == settings.db_path.resolve():
        raise QueryRefused("That is the studio's own workspace store.", "Use the SQL over the workspace tab instead.")
    if not os.access(resolved, os.R_OK):
        raise QueryRefused("The studio may not read that database file.", "Check the file's permissions.")
    try:
        with resolved.open("rb") as fh:
            header = fh.read(16)
    except OSError:
        raise QueryRefused("The database file could not be read.", "Check the file's permissions.") from None
    if header.startswith(_SQLITE_MAGIC):
        return DatabaseSource("sqlite", path=resolved)
    if header[8:12] == _DUCKDB_MAGIC:
        return DatabaseSource("duckdb", path=resolved)
    raise QueryRefused("The file is neither a DuckDB nor a SQLite database.",
                       "Give the path of a database file, or upload a CSV/Parquet file instead.")


# ---- SQLite through Python's sqlite3: read-only, nothing but reads allowed ------------------------------
_SQLITE_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION}
_SQLITE_REFUSED_FUNCTIONS = {"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"}


def _authorizer(action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None) -> int:
    if action not in _SQLITE_ALLOWED:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in _SQLITE_REFUSED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def _sqlite_connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False)
    con.set_authorizer(_authorizer)
    return con


def sqlite_table_names(path: Path) -> list[str]:
    """Tables and views of a SQLite file."""
    con = _sqlite_connect(path)
    try:
        return [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
    except sqlite3.Error as exc:
        raise QueryRefused("The SQLite file could not be read.", "Check that it is a valid SQLite database.") from exc
    finally:
        con.close()


def sqlite_tables(path: Path, names: set[str], max_rows: int) -> dict[str, pa.Table]:
    """Read-only copies of the named SQLite tables (names were checked against the file's own list)."""
    con = _sqlite_connect(path)
    out: dict[str, pa.Table] = {}
    try:
        for name in sorted(names):
            ident = '"' + name.replace('"', '""') + '"'
            cur = con.execute(f"SELECT * FROM {ident}")  # an identifier from the file's own catalogue, quoted
            rows = cur.fetchmany(max_rows + 1)
            if len(rows) > max_rows:
                raise QueryRefused(f"The SQLite table '{name}' has more than {max_rows:,} rows.",
                                   "Convert it to DuckDB, or raise STUDIO_SQL_MAX_ROWS.")
            frame = pd.DataFrame.from_records(rows, columns=[d[0] for d in cur.description])
            out[name] = pa.Table.from_pandas(frame, preserve_index=False)
    except sqlite3.Error as exc:
        raise QueryRefused("The SQLite file could not be read.", "Check that it is a valid SQLite database.") from exc
    finally:
        con.close()
    return out


# ---- SQLAlchemy: the query runs on the remote server, read-only where the dialect allows --------------
def sqlalchemy_rows(source: DatabaseSource, sql: str, max_rows: int, timeout_s: float) -> pd.DataFrame:
    """Run a checked SELECT on a SQLAlchemy URL, in a read-only transaction where the dialect has one."""
    try:
        import sqlalchemy
    except ImportError as exc:
        raise QueryRefused("SQLAlchemy is not installed, so database URLs cannot be used.",
                           "Install sqlalchemy and the database driver, or use a DuckDB/SQLite file.") from exc
    engine = sqlalchemy.create_engine(source.url, pool_pre_ping=True)
    try:
        with engine.connect() as conn:
            dialect = engine.dialect.name
            if dialect == "postgresql":
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout_s * 1000)}")
            elif dialect in ("mysql", "mariadb"):
                conn.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
                conn.exec_driver_sql(f"SET SESSION max_execution_time = {int(timeout_s * 1000)}")
            result = conn.exec_driver_sql(sql)
            rows = result.fetchmany(max_rows + 1)
            if len(rows) > max_rows:
                raise QueryRefused(f"The result has more than {max_rows:,} rows.", "Add a WHERE clause or a LIMIT.")
            return pd.DataFrame.from_records(rows, columns=list(result.keys()))
    finally:
        engine.dispose()
