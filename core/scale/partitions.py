"""Partitioned Parquet in and out: a folder of files (or one file, or a DuckDB query exported to one).

A :class:`Source` is an ordered set of Parquet files; its rows are numbered globally in file order
(file names sorted), so every row has one global index whatever the files' sizes. A
:class:`Partition` is a range of global rows ``[start, stop)``, read from whichever files hold it
(row groups are read, not whole files). Jobs that seed randomness per row use these global
indices, which is what makes their results independent of how the data is split.

Results are written as ``<out>/<table>/part-00000.parquet`` (one file per partition, each written
to a temporary name and renamed, so a reader never sees half a file) beside ``summary.json``.
Workers must see the same paths (a shared file system on a real cluster).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core.errors import DataError, FileFormatError, InputError

ROWS_PER_FILE = 1_000_000  # rows per file when a query or a generator writes a dataset
ROW_GROUP = 131_072  # row-group size of files written here (the granularity of partial reads)
SUMMARY = "summary.json"


@dataclass(frozen=True)
class Source:
    """An ordered set of Parquet files, with their row counts and the columns they share."""

    files: tuple[str, ...]
    rows: tuple[int, ...]
    columns: tuple[str, ...]

    @property
    def n_rows(self) -> int:
        return int(sum(self.rows))

    @property
    def offsets(self) -> list[int]:
        out, at = [], 0
        for r in self.rows:
            out.append(at)
            at += r
        return out

    @property
    def label(self) -> str:
        first = Path(self.files[0])
        return str(first.parent if len(self.files) > 1 else first)

    def require(self, columns: Sequence[str], what: str) -> None:
        missing = [c for c in columns if c not in self.columns]
        if missing:
            raise InputError(f"The batch input lacks {len(missing)} column(s) {what} needs: {', '.join(missing[:8])}.",
                             "Give it data with the columns the model or segmentation was built on.")


@dataclass(frozen=True)
class Partition:
    """Global rows ``[start, stop)`` of a source; ``index`` names its output file."""

    index: int
    start: int
    stop: int

    @property
    def rows(self) -> int:
        return self.stop - self.start


def open_source(path: str | Path) -> Source:
    """The Parquet files of a folder (``*.parquet``, sorted by name) or a single file."""
    p = Path(path)
    if p.is_dir():
        files = sorted(str(f) for f in p.glob("*.parquet") if not f.name.startswith("."))
    elif p.is_file() and p.suffix.lower() == ".parquet":
        files = [str(p)]
    elif p.exists():
        raise FileFormatError(f"'{p.name}' is not a Parquet file or a folder of them.",
                              "Batch jobs read partitioned Parquet; export CSV to Parquet first (or use --query).")
    else:
        raise DataError(f"There is no file or folder '{p}'.", "Check the path of the batch input.")
    if not files:
        raise DataError(f"The folder '{p}' holds no .parquet file.", "Point the batch job at a folder of Parquet files.")
    rows, columns = [], None
    for f in files:
        try:
            meta = pq.ParquetFile(f).metadata
            names = tuple(pq.read_schema(f).names)
        except (OSError, pa.ArrowInvalid) as exc:
            raise FileFormatError(f"'{Path(f).name}' cannot be read as Parquet ({exc}).") from exc
        names = tuple(n for n in names if not n.startswith("__index_level_"))
        rows.append(int(meta.num_rows))
        columns = names if columns is None else tuple(c for c in columns if c in names)
    if not sum(rows):
        raise DataError("The batch input holds no rows.")
    return Source(tuple(files), tuple(rows), tuple(columns or ()))


def plan(source: Source, partitions: int | None = None, rows_per_partition: int | None = None,
         align: int = 1) -> list[Partition]:
    """Split the source into partitions: one per file by default, else ``partitions`` (or by size).

    ``align`` > 1 puts every inner boundary on a multiple of ``align`` global rows (jobs that draw
    random numbers per global chunk of rows need whole chunks in one task).
    """
    n = source.n_rows
    if partitions is None and rows_per_partition is None and align == 1:
        bounds = [*source.offsets, n]
    else:
        k = partitions or max(1, -(-n // int(rows_per_partition or n)))
        k = max(1, min(int(k), -(-n // max(1, align))))
        bounds = sorted({0, n, *(min(n, round(i * n / k / align) * align) for i in range(1, k))})
    return [Partition(i, a, b) for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)) if b > a]


def read_rows(source: Source, start: int, stop: int, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Global rows ``[start, stop)`` as a frame with a fresh 0-based index (only the row groups needed are read)."""
    return read_arrow(source, start, stop, columns).to_pandas().reset_index(drop=True)


def read_arrow(source: Source, start: int, stop: int, columns: Sequence[str] | None = None) -> pa.Table:
    """Global rows ``[start, stop)`` as an Arrow table (columns are converted to pandas only where needed)."""
    cols = list(columns) if columns is not None else list(source.columns)
    pieces = []
    for f, offset, n in zip(source.files, source.offsets, source.rows, strict=True):
        lo, hi = max(start, offset), min(stop, offset + n)
        if lo >= hi:
            continue
        pf = pq.ParquetFile(f)
        groups, at, first = [], 0, None
        for g in range(pf.metadata.num_row_groups):
            size = pf.metadata.row_group(g).num_rows
            if at + size > lo - offset and at < hi - offset:
                groups.append(g)
                first = at if first is None else first
            at += size
        table = pf.read_row_groups(groups, columns=cols)
        begin = lo - offset - (first or 0)
        pieces.append(table.slice(begin, hi - lo))
    if not pieces:
        raise InputError(f"Rows {start:,}..{stop:,} are outside the input ({source.n_rows:,} rows).")
    return pa.concat_tables(pieces, promote_options="permissive") if len(pieces) > 1 else pieces[0]


def read_head(source: Source, rows: int, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The first ``rows`` rows (of ``columns``), decoded batch by batch: a quick sample never decodes whole row groups."""
    cols = list(columns) if columns is not None else list(source.columns)
    pieces, left = [], int(rows)
    for f in source.files:
        for batch in pq.ParquetFile(f).iter_batches(batch_size=min(max(left, 1), 65_536), columns=cols):
            pieces.append(batch.slice(0, left))
            left -= min(left, batch.num_rows)
            if left <= 0:
                break
        if left <= 0:
            break
    if not pieces:
        return pd.DataFrame(columns=cols)
    return pa.Table.from_batches(pieces).to_pandas().reset_index(drop=True)


def iter_chunks(source: Source, rows: int, columns: Sequence[str] | None = None) -> Iterator[tuple[int, pd.DataFrame]]:
    """``(global start, frame)`` over the whole source in chunks of ``rows``."""
    for start in range(0, source.n_rows, rows):
        yield start, read_rows(source, start, min(source.n_rows, start + rows), columns)


# ---- writing ---------------------------------------------------------------------------------
def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` to ``path`` atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".parquet.tmp", dir=path.parent, prefix=".")
    os.close(fd)
    try:
        frame.to_parquet(tmp, index=False, row_group_size=ROW_GROUP)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_arrow(table: pa.Table, path: Path, dictionary: Sequence[str] = ()) -> Path:
    """Write an Arrow table to ``path`` atomically (the fast path of the per-partition results).

    Only the ``dictionary`` columns (few distinct values) are dictionary-encoded: ids and floats
    are nearly all distinct, and trying a dictionary on them costs most of the write.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".parquet.tmp", dir=path.parent, prefix=".")
    os.close(fd)
    try:
        pq.write_table(table, tmp, row_group_size=ROW_GROUP, use_dictionary=[c for c in dictionary if c in table.column_names])
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def part_path(folder: Path | str, table: str, index: int) -> Path:
    return Path(folder) / table / f"part-{index:05d}.parquet"


def write_summary(folder: Path | str, summary: dict) -> Path:
    path = Path(folder) / SUMMARY
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(summary, indent=2, allow_nan=False, default=str))
    os.replace(tmp, path)
    return path


def read_summary(folder: Path | str) -> dict:
    path = Path(folder) / SUMMARY
    if not path.exists():
        raise DataError(f"'{folder}' holds no batch summary.", "Run the batch job first.")
    return json.loads(path.read_text())


def read_table(folder: Path | str, table: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A whole result table, all parts in order (for tests and small outputs)."""
    src = open_source(Path(folder) / table)
    return read_rows(src, 0, src.n_rows, columns)


# ---- a DuckDB query exported to Parquet --------------------------------------------------------------
_SELECT = re.compile(r"(?is)^\s*(select|with)\b")


def export_query(sql: str, folder: Path | str, database: str | Path | None = None,
                 rows_per_file: int = ROWS_PER_FILE) -> Source:
    """Stream the rows of one read-only ``SELECT`` through DuckDB into ``folder/part-*.parquet``.

    ``database`` is a DuckDB file (default: the workspace's), opened read-only when it can be; the
    query may also read Parquet or CSV files directly (``SELECT * FROM 'data/*.parquet'``).
    """
    import duckdb

    statement = sql.strip().rstrip(";")
    if not _SELECT.match(statement) or ";" in statement:
        raise InputError("Only a single SELECT (or WITH ... SELECT) query can feed a batch job.")
    if database is None:
        from core.settings import get_settings

        database = get_settings().db_path
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        try:
            con = duckdb.connect(str(database), read_only=True)
        except duckdb.Error:  # this process already holds it read-write: share that instance
            con = duckdb.connect(str(database))
        try:
            reader: Any = con.execute(statement).to_arrow_reader(min(ROW_GROUP, rows_per_file))
            index, in_file = 0, 0
            writer: Any = None
            for batch in reader:
                if writer is None:
                    path = folder / f"part-{index:05d}.parquet"
                    writer = pq.ParquetWriter(str(path), batch.schema)
                writer.write_batch(batch, row_group_size=ROW_GROUP)
                in_file += batch.num_rows
                if in_file >= rows_per_file:
                    writer.close()
                    writer, in_file, index = None, 0, index + 1
            if writer is not None:
                writer.close()
        finally:
            con.close()
    except duckdb.Error as exc:
        raise InputError(f"The query failed: {exc}") from exc
    return open_source(folder)
