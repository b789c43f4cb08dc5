"""Loading the analyst's data: CSV and Parquet files and workspace tables.

SQL goes through :mod:`core.data.sql`, the one guarded path.

Every loader returns a whole, validated :class:`Dataset` or raises a typed error: nothing is
half-loaded. Imports into the workspace happen only after validation succeeds.
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

import pandas as pd

from core.auth import LOCAL_USER, User
from core.data.dataset import Dataset
from core.data.schema import Schema, infer_schema
from core.data.validation import validate
from core.errors import EmptyDataError, FileFormatError, FileTooLargeError
from core.workspace import Workspace

logger = logging.getLogger(__name__)

_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
_DELIMITERS = ",;\t|"


def _decode(data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    if b"\x00" in data[:4096]:
        raise FileFormatError("The file looks binary, not like text or Parquet.",
                              "Upload a CSV (comma, semicolon or tab separated) or a Parquet file.")
    for enc in _ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise FileFormatError("The file's text encoding could not be read.", "Save it as UTF-8 and upload it again.")


def read_csv_bytes(data: bytes) -> pd.DataFrame:
    """Parse CSV bytes, detecting the encoding and the delimiter."""
    text = _decode(data)
    if not text.strip():
        raise EmptyDataError("The file is empty.", "Upload a file with a header row and data rows.")
    sample = text[:64_000]
    try:
        sep = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        sep = max(_DELIMITERS, key=lambda d: sample.splitlines()[0].count(d))
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, low_memory=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise FileFormatError(f"The file could not be parsed as CSV: {exc}",
                              "Check that every row has the same number of fields.") from exc
    if frame.shape[1] == 1 and len(text.splitlines()[0]) > 40:
        raise FileFormatError("Only one column was found; the delimiter was not recognised.",
                              "Use comma, semicolon, tab or pipe as the separator.")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def read_parquet_bytes(data: bytes) -> pd.DataFrame:
    try:
        return pd.read_parquet(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises several types for corrupt input
        raise FileFormatError(f"The Parquet file could not be read: {exc}") from exc


def read_file_bytes(filename: str, data: bytes, max_mb: int) -> pd.DataFrame:
    """Read an uploaded file by its extension, enforcing the size limit."""
    size_mb = len(data) / 2**20
    if size_mb > max_mb:
        raise FileTooLargeError(f"The file is {size_mb:,.0f} MiB, over the {max_mb} MiB limit.",
                                "Load it through SQL from the workspace, or raise STUDIO_MAX_UPLOAD_MB.")
    if not data:
        raise EmptyDataError("The file is empty.", "Upload a file with a header row and data rows.")
    suffix = Path(filename).suffix.lower()
    if suffix in (".parquet", ".pq"):
        frame = read_parquet_bytes(data)
    elif suffix in (".csv", ".txt", ".tsv"):
        frame = read_csv_bytes(data)
    else:
        raise FileFormatError(f"'{filename}' is neither CSV nor Parquet.", "Upload a .csv or .parquet file.")
    return _parse_dates(frame)


def _parse_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn text columns that are clearly dates into datetimes."""
    for c in frame.columns:
        s = frame[c]
        if s.dtype == object and s.notna().any():
            head = s.dropna().astype(str).head(200)
            if head.str.match(r"^\d{4}-\d{2}-\d{2}").mean() > 0.95:
                parsed = pd.to_datetime(s, errors="coerce")
                if parsed.notna().sum() >= 0.95 * s.notna().sum():
                    frame[c] = parsed
    return frame


def build_dataset(name: str, frame: pd.DataFrame, source: str, schema: Schema | None = None,
                  target: str | None = None, id_column: str | None = None) -> tuple[Dataset, list[str]]:
    """Infer (or take) the schema, validate, and return the dataset with the analyst's notes."""
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise EmptyDataError("The data has no rows." if frame.shape[1] else "The data has no columns.",
                             "Check that the source holds a header row and data rows.")
    schema = schema or infer_schema(frame, target=target, id_column=id_column)
    checked = validate(frame, schema)
    return Dataset.build(name, frame, checked.schema, source), checked.notes


def load_file(filename: str, data: bytes, max_mb: int, **kwargs) -> tuple[Dataset, list[str]]:
    """Read and validate an uploaded CSV or Parquet file."""
    frame = read_file_bytes(filename, data, max_mb)
    return build_dataset(Path(filename).stem, frame, f"upload:{filename}", **kwargs)


def import_dataset(ws: Workspace, ds: Dataset, if_exists: str = "refuse", *, user: User = LOCAL_USER) -> str:
    """Store a validated dataset in the workspace (one transaction); returns its workspace name.

    A name that collides with a stored dataset raises ``DatasetExistsError`` unless ``if_exists`` is
    ``"replace"`` or ``"keep_both"`` (see :meth:`Workspace.save_dataset`): nothing is silently replaced.
    The import is logged with ``user``.
    """
    return ws.save_dataset(ds.name, ds.frame, source=ds.source, schema=ds.schema.to_dict(),
                           fingerprint=ds.fingerprint, if_exists=if_exists, user=user)


def load_workspace_dataset(ws: Workspace, name: str) -> Dataset:
    """A dataset stored in the workspace, with the schema it was saved with."""
    meta = ws.dataset_meta(name)
    frame = ws.load_dataset(name)
    schema = Schema.from_dict(meta["schema"]) if meta.get("schema") else infer_schema(frame)
    return Dataset(meta["name"], frame, schema, meta["source"], meta["fingerprint"])
