"""What a query may be: exactly one SELECT, as DuckDB's own parser reads it, touching only known tables.

The check never runs the query. It asks DuckDB to split the text into statements
(``extract_statements``: comments, strings and semicolons are the parser's business, not a
regex's), refuses anything but one SELECT, then walks the parsed tree (``json_serialize_sql``)
for what a SELECT can still do on its own: call a table function that reads files or runs SQL
text (``read_csv``, ``glob``, ``query``), call a scalar function that reads the environment or the
settings (``getenv``, ``current_setting``), or name a table that is not one of the datasets the
caller may read (a file path, a URL, a system view). The sandbox in :mod:`core.data.sql` then runs
the query on a connection that could not do these things anyway; the check gives the analyst a
clear message first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import duckdb

from core.errors import InputError

# Table functions a query may call: they generate rows and touch nothing outside the query.
ALLOWED_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest", "json_each", "json_tree"})

# Functions refused wherever they appear, grouped by why (the group names the refusal).
_FILE_FUNCTIONS = re.compile(
    r"^(read_\w+|\w+_scan|glob|sniff_csv|parquet_\w+|iceberg_\w+|delta_\w+|excel_\w+|st_read\w*|http_\w+|"
    r"load_\w+|from_\w+_auto)$"
)
_ENVIRONMENT_FUNCTIONS = re.compile(
    r"^(getenv|current_setting|which_secret|duckdb_\w+|pragma_\w+|pg_settings|sql_auto_complete|"
    r"checkpoint|force_checkpoint|set_variable|setseed)$"
)
_SQL_TEXT_FUNCTIONS = re.compile(r"^(query|query_table|json_execute_serialized_sql|json_serialize_\w+|"
                                 r"json_deserialize_sql)$")

_STATEMENT_WORDS = {
    "INSERT": "an INSERT (it writes data)", "UPDATE": "an UPDATE (it changes data)",
    "DELETE": "a DELETE (it removes data)", "CREATE": "a CREATE (it adds objects)",
    "DROP": "a DROP (it removes objects)", "ALTER": "an ALTER (it changes objects)",
    "COPY": "a COPY (it reads or writes files)", "EXPORT": "an EXPORT (it writes files)",
    "ATTACH": "an ATTACH (it opens another database)", "DETACH": "a DETACH", "LOAD": "a LOAD (it loads code)",
    "PRAGMA": "a PRAGMA (it reads or changes settings)", "SET": "a SET (it changes settings)",
    "VARIABLE_SET": "a SET (it changes settings)", "CALL": "a CALL (it runs a procedure)",
    "TRANSACTION": "a transaction command", "EXPLAIN": "an EXPLAIN", "PREPARE": "a PREPARE",
    "EXECUTE": "an EXECUTE", "VACUUM": "a VACUUM", "CREATE_FUNC": "a CREATE MACRO", "ANALYZE": "an ANALYZE",
    "UPDATE_EXTENSIONS": "an extension update", "EXTENSION": "an extension command",
    "MULTI": "a PIVOT or another compound statement", "LOGICAL_PLAN": "a plan statement",
}

MAX_QUERY_CHARS = 100_000


class QueryRefused(InputError):
    """The query is not a single read-only SELECT over the datasets the user may read."""


@dataclass(frozen=True)
class TableRef:
    """A table named in the query, as the parser split it (catalog and schema may be empty)."""

    name: str
    schema: str = ""
    catalog: str = ""


@dataclass
class CheckedQuery:
    """A query that passed the parser check, with the tables and CTE names it mentions."""

    sql: str
    tables: list[TableRef] = field(default_factory=list)
    ctes: set[str] = field(default_factory=set)
    lists_tables: bool = False  # SHOW TABLES: the answer is the names of the tables the user may read

    def referenced(self) -> set[str]:
        """Lower-case names of the tables the query reads, CTEs excluded."""
        return {t.name.lower() for t in self.tables if t.name.lower() not in self.ctes}


def _parser() -> duckdb.DuckDBPyConnection:
    # a throwaway connection that only parses: no files, no extensions, configuration locked
    return duckdb.connect(":memory:", config={
        "enable_external_access": False, "autoinstall_known_extensions": False,
        "autoload_known_extensions": False, "lock_configuration": True,
    })


def _statement_label(stype: object) -> str:
    name = str(getattr(stype, "name", stype)).split(".")[-1].upper().removesuffix("_STATEMENT")
    return _STATEMENT_WORDS.get(name, f"a {name.replace('_', ' ')} statement")


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0][:300] if message.strip() else "unknown reason"


def check_select(sql: str) -> CheckedQuery:
    """Accept ``sql`` only if it is exactly one SELECT that calls nothing outside the query.

    Raises:
        QueryRefused: with a message naming what was refused.
    """
    text = (sql or "").strip()
    if not text:
        raise QueryRefused("The query is empty.", "Write one SELECT statement.")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryRefused(f"The query is longer than {MAX_QUERY_CHARS:,} characters.", "Shorten it.")
    con = _parser()
    try:
        try:
            statements = con.extract_statements(text)
        except duckdb.Error as exc:
            raise QueryRefused(f"The query could not be parsed: {_syntax_message(exc)}",
                               "Check the SQL syntax; one SELECT statement is allowed.") from None
        if not statements:
            raise QueryRefused("The query holds no statement (only comments?).", "Write one SELECT statement.")
        if len(statements) != 1:
            raise QueryRefused(f"Only one statement is allowed; the text holds {len(statements)}.",
                               "Remove everything after the first statement's semicolon.")
        stype = statements[0].type
        if str(getattr(stype, "name", stype)).upper().split(".")[-1] != "SELECT":
            raise QueryRefused(f"Only a SELECT query is allowed here; this is {_statement_label(stype)}.",
                               "Nothing was run. Write a SELECT over the dataset tables.")
        row = con.execute("SELECT json_serialize_sql(?)", [statements[0].query]).fetchone()
        tree: dict[str, Any] = json.loads(row[0]) if row else {"error": True}
    finally:
        con.close()
    if tree.get("error"):
        # PIVOT and friends parse as SELECT but are rewritten statements the serialiser cannot show
        raise QueryRefused("Only a plain SELECT is allowed here (PIVOT, UNPIVOT and similar forms are not).",
                           "Write the query as SELECT ... FROM ... with GROUP BY / CASE instead.")
    checked = CheckedQuery(sql=text)
    _walk(tree.get("statements", []), checked)
    return checked


def _syntax_message(exc: duckdb.Error) -> str:
    msg = _first_line(str(exc))
    return re.sub(r"^(Parser|Syntax) Error:\s*", "", msg)


def _nodes(obj: object) -> Iterator[dict]:
    if isinstance(obj, dict):
        yield obj
        for value in obj.values():
            yield from _nodes(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _nodes(value)


def function_refusal(name: str) -> str | None:
    """Why a function may not be called in a query, or None when it may."""
    n = name.lower()
    if _FILE_FUNCTIONS.match(n):
        return f"{n}() reads files or URLs"
    if _ENVIRONMENT_FUNCTIONS.match(n):
        return f"{n}() reads the server's settings or environment"
    if _SQL_TEXT_FUNCTIONS.match(n):
        return f"{n}() runs SQL text of its own"
    return None


def _walk(tree: Iterable, checked: CheckedQuery) -> None:
    for node in _nodes(list(tree)):
        cte_map = node.get("cte_map")
        if isinstance(cte_map, dict):
            for entry in cte_map.get("map", []):
                checked.ctes.add(str(entry.get("key", "")).lower())
        fname = node.get("function_name")
        if isinstance(fname, str):
            why = function_refusal(fname)
            if why:
                raise QueryRefused(f"The query was refused: {why}.",
                                   "Only the dataset tables can be queried; nothing was run.")
        kind = node.get("type")
        if kind == "TABLE_FUNCTION":
            fn = str((node.get("function") or {}).get("function_name", "")).lower()
            if fn not in ALLOWED_TABLE_FUNCTIONS:
                raise QueryRefused(f"The query was refused: the table function {fn}() is not available here.",
                                   "Only the dataset tables and range()/generate_series()/unnest() can be "
                                   "used; nothing was run.")
        elif kind == "BASE_TABLE":
            checked.tables.append(TableRef(str(node.get("table_name", "")), str(node.get("schema_name", "")),
                                           str(node.get("catalog_name", ""))))
        elif kind == "SHOW_REF":
            table = str(node.get("table_name", "")).strip('"').lower()
            if node.get("query") is None and table != "tables":
                raise QueryRefused("The query was refused: SHOW of server objects is not available here.",
                                   "DESCRIBE a dataset table, or SHOW TABLES; nothing was run.")
            if node.get("query") is None:
                checked.lists_tables = True


_PATHLIKE = re.compile(r"[/\\]|://|^~|\.(csv|tsv|txt|parquet|pq|json|jsonl|ndjson|gz|zst|xlsx?|db|duckdb|"
                       r"sqlite3?|arrow|feather|avro)$", re.IGNORECASE)


def check_tables(checked: CheckedQuery, allowed: Iterable[str], *, catalogs: Iterable[str] = ("", "temp", "memory"),
                 schemas: Iterable[str] = ("", "main")) -> set[str]:
    """Refuse tables outside ``allowed`` (case-insensitive); return the allowed ones the query reads."""
    allowed_map = {a.lower(): a for a in allowed}
    cats = {c.lower() for c in catalogs}
    schs = {s.lower() for s in schemas}
    used: set[str] = set()
    for ref in checked.tables:
        key = ref.name.lower()
        if key in checked.ctes and not ref.schema and not ref.catalog:
            continue
        if _PATHLIKE.search(ref.name):
            raise QueryRefused("The query was refused: it reads a file or a URL, not a dataset table.",
                               "Only the dataset tables can be queried; nothing was run.")
        if key in allowed_map and (ref.catalog.lower() not in cats or ref.schema.lower() not in schs):
            written = ".".join(p for p in (ref.catalog, ref.schema, ref.name) if p)
            raise QueryRefused(f"The query reads '{written}': dataset tables have no database or schema prefix here.",
                               f"Write the table name alone ('{allowed_map[key]}'). Nothing was run.")
        if key not in allowed_map or ref.catalog.lower() not in cats or ref.schema.lower() not in schs:
            shown = ", ".join(sorted(allowed_map.values())[:20]) or "none yet"
            raise QueryRefused(f"The query reads '{ref.name}', which is not a table you can query here.",
                               f"Tables you can query: {shown}. Nothing was run.")
        used.add(allowed_map[key])
    return used
