"""``studio sql QUERY [--database URL]``: the rows of one guarded SELECT, one JSON object per row.

The same path as the Home page's two SQL tabs (:func:`core.data.sql.run_sql`): without
``--database`` it reads the workspace datasets (``ds_<name>``), with it a DuckDB/SQLite file in an
allowed folder or a SQLAlchemy URL. A refused query exits with status 2 and ``{"error": ...}``.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from core.auth import LOCAL_USER


def _sql(args: argparse.Namespace) -> Iterator[dict]:
    from core.data.sql import run_sql

    frame = run_sql(args.query, args.database, user=LOCAL_USER)
    for record in frame.to_dict("records"):
        yield {str(k): v for k, v in record.items()}


def register(subparsers: argparse._SubParsersAction) -> None:
    cmd = subparsers.add_parser("sql", help="run one read-only SELECT over the workspace or an external database",
                                description="Run one SELECT through the guarded SQL path; prints one JSON "
                                            "object per row.")
    cmd.add_argument("query", metavar="QUERY", help="one SELECT statement, e.g. \"SELECT * FROM ds_loans\"")
    cmd.add_argument("--database", metavar="URL", default=None,
                     help="a DuckDB/SQLite file (in STUDIO_SQL_DATABASE_DIRS) or a SQLAlchemy URL")
    cmd.set_defaults(func=_sql)
