"""Loading the analyst's data: CSV and Parquet files and workspace tables.

SQL goes through :mod:`core.data.sql`, the one guarded path.

Every loader returns a whole, validated :class:`Dataset` or raises a typed error: nothing is
half-loaded. Imports into the workspace happen only after validation succeeds.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from core.auth import LOCAL_USER, User
from core.data.conform import conform
from core.data.dataset import Dataset
from core.data.inference import InferenceReport, infer
from core.data.parse import plain_numbers
from core.data.schema import Schema
from core.data.validation import validate
from core.errors import EmptyDataError, FileFormatError, FileTooLargeError
from core.workspace import Workspace

logger = logging.getLogger(__name__)

_ENCODINGS = (("utf-8-sig", "UTF-8"), ("cp1252", "Windows-1252"), ("latin-1", "Latin-1"))
_DELIMITERS = ",;\t|"
_DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "pipes"}


@dataclass(frozen=True)
class Prepared:
    """A validated dataset, the notes the analyst must read, and the inference report (None for an override)."""

    dataset: Dataset
    notes: list[str] = field(default_factory=list)
    report: InferenceReport | None = None


def _decode(data: bytes) -> tuple[str, str]:
    """The file's text and the name of the encoding it was read with."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16"), "UTF-16"
    if b"\x00" in data[:4096]:
        raise FileFormatError("The file looks binary, not like text or Parquet.",
                              "Upload a CSV (comma, semicolon or tab separated) or a Parquet file.")
    for enc, label in _ENCODINGS:
        try:
            return data.decode(enc), label
        except UnicodeDecodeError:
            continue
    raise FileFormatError("The file's text encoding could not be read.", "Save it as UTF-8 and upload it again.")


def _delimiter(text: str) -> str:
    """The delimiter that splits the header and the first rows into the same number of fields."""
    lines = [ln for ln in text[:64_000].splitlines() if ln.strip()][:50]
    best, best_key = ",", (-1.0, 0)
    for d in _DELIMITERS:
        widths = [len(row) for row in csv.reader(lines, delimiter=d)]
        if not widths or widths[0] < 2:
            continue
        consistent = sum(w == widths[0] for w in widths) / len(widths)
        key = (consistent, widths[0])
        if key > best_key:
            best, best_key = d, key
    return best


def _clean_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Strip the cells of text columns (blank cells become missing) and read plain numbers as numbers."""
    out = {}
    for c in frame.columns:
        s = frame[c]
        if s.dtype == object:
            uniques = pd.unique(s.dropna())
            stripped = [str(v).strip() for v in uniques]
            if any(a != b for a, b in zip(uniques, stripped, strict=True)):  # only touch rows when a cell needs it
                s = s.map(dict(zip(uniques, [v if v else np.nan for v in stripped], strict=True)))
            numbers = plain_numbers(s)
            if numbers is not None:
                s = numbers
        out[c] = s
    return pd.DataFrame(out, index=frame.index)


def read_csv(data: bytes) -> tuple[pd.DataFrame, list[str]]:
    """Parse CSV bytes, detecting the encoding and the delimiter; returns the frame and reading notes.

    Every cell is read as text first, so digit codes keep their leading zeros (``00123``); plain
    numbers then become numbers, and numbers written with units or separators are left to the
    inference (:mod:`core.data.parse`).
    """
    text, encoding = _decode(data)
    if not text.strip():
        raise EmptyDataError("The file is empty.", "Upload a file with a header row and data rows.")
    sep = _delimiter(text)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=True, low_memory=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise FileFormatError(f"The file could not be parsed as CSV: {exc}",
                              "Check that every row has the same number of fields.") from exc
    if frame.shape[1] == 1 and len(text.splitlines()[0]) > 40:
        raise FileFormatError("Only one column was found; the delimiter was not recognised.",
                              "Use comma, semicolon, tab or pipe as the separator.")
    notes = []
    if encoding not in ("UTF-8", "UTF-16"):
        notes.append(f"The file was read as {encoding} text (it is not UTF-8).")
    if sep != ",":
        notes.append(f"The columns are separated by {_DELIMITER_NAMES[sep]}.")
    header = next(csv.reader([text.splitlines()[0]], delimiter=sep))
    names = [h.strip() for h in header]
    repeated = sorted({h for h in names if names.count(h) > 1 and h})
    for h in repeated:
        notes.append(f"Two or more columns are named '{h}'; the later ones were renamed '{h}.1', '{h}.2', ...")
    frame.columns = [str(c).strip() for c in frame.columns]
    return _clean_text(frame), notes


def read_csv_bytes(data: bytes) -> pd.DataFrame:
    """Parse CSV bytes, detecting the encoding and the delimiter (see :func:`read_csv`)."""
    return read_csv(data)[0]


def read_parquet_bytes(data: bytes) -> pd.DataFrame:
    try:
        return pd.read_parquet(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises several types for corrupt input
        raise FileFormatError(f"The Parquet file could not be read: {exc}") from exc


def read_file(filename: str, data: bytes, max_mb: int) -> tuple[pd.DataFrame, list[str]]:
    """Read an uploaded file by its extension, enforcing the size limit; returns the frame and reading notes."""
    size_mb = len(data) / 2**20
    if size_mb > max_mb:
        raise FileTooLargeError(f"The file is {size_mb:,.0f} MiB, over the {max_mb} MiB limit.",
                                "Load it through SQL from the workspace, or raise STUDIO_MAX_UPLOAD_MB.")
    if not data:
        raise EmptyDataError("The file is empty.", "Upload a file with a header row and data rows.")
    suffix = Path(filename).suffix.lower()
    if suffix in (".parquet", ".pq"):
        frame = read_parquet_bytes(data)
        frame.columns = [str(c).strip() for c in frame.columns]
        return frame, []
    if suffix in (".csv", ".txt", ".tsv"):
        return read_csv(data)
    raise FileFormatError(f"'{filename}' is neither CSV nor Parquet.", "Upload a .csv or .parquet file.")


def read_file_bytes(filename: str, data: bytes, max_mb: int) -> pd.DataFrame:
    """Read an uploaded file by its extension, enforcing the size limit (see :func:`read_file`)."""
    return read_file(filename, data, max_mb)[0]


def prepare(name: str, frame: pd.DataFrame, source: str, schema: Schema | None = None,
            target: str | None = None, id_column: str | None = None, notes: list[str] | None = None) -> Prepared:
    """Infer (or take) the schema, convert the values to it, validate; the one path every loader takes.

    With ``schema`` given (an analyst's override), the values are converted to its roles (a text
    column of ``83.70%`` set to numeric holds 0.837 afterwards) and validated; without it the
    schema is inferred with a report of every decision.
    """
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise EmptyDataError("The data has no rows." if frame.shape[1] else "The data has no columns.",
                             "Check that the source holds a header row and data rows.")
    notes = list(notes or [])
    report = None
    if schema is None:
        inferred = infer(frame, target=target, id_column=id_column)
        frame, schema, report = inferred.frame, inferred.schema, inferred.report
        notes += report.notes
    else:
        conformed = conform(frame, schema)
        frame, schema = conformed.frame, conformed.schema
        notes += conformed.notes
    checked = validate(frame, schema)
    notes += [n for n in checked.notes if n not in notes]
    return Prepared(Dataset.build(name, frame, checked.schema, source), notes, report)


def build_dataset(name: str, frame: pd.DataFrame, source: str, schema: Schema | None = None,
                  target: str | None = None, id_column: str | None = None) -> tuple[Dataset, list[str]]:
    """Infer (or take) the schema, validate, and return the dataset with the analyst's notes (see :func:`prepare`)."""
    p = prepare(name, frame, source, schema=schema, target=target, id_column=id_column)
    return p.dataset, p.notes


def prepare_file(filename: str, data: bytes, max_mb: int, target: str | None = None,
                 id_column: str | None = None) -> Prepared:
    """Read, infer and validate an uploaded CSV or Parquet file: what Home's upload and ``studio infer`` run."""
    frame, notes = read_file(filename, data, max_mb)
    return prepare(Path(filename).stem, frame, f"upload:{filename}", target=target, id_column=id_column, notes=notes)


def load_file(filename: str, data: bytes, max_mb: int, **kwargs) -> tuple[Dataset, list[str]]:
    """Read and validate an uploaded CSV or Parquet file."""
    p = prepare_file(filename, data, max_mb, **kwargs)
    return p.dataset, p.notes


def import_dataset(ws: Workspace, ds: Dataset, if_exists: str = "refuse", *, user: User = LOCAL_USER,
                   notes: list[str] | None = None, report: InferenceReport | None = None) -> str:
    """Store a validated dataset in the workspace (one transaction); returns its workspace name.

    A name that collides with a stored dataset raises ``DatasetExistsError`` unless ``if_exists`` is
    ``"replace"`` or ``"keep_both"`` (see :meth:`Workspace.save_dataset`): nothing is silently replaced.
    The import is logged with ``user``. The notes and the inference report are stored with the
    dataset, so Home shows them on every later visit.
    """
    meta = {"notes": list(notes or []), "report": report.to_dict() if report is not None else None,
            "imported_by": user.id}
    return ws.save_dataset(ds.name, ds.frame, source=ds.source, schema=ds.schema.to_dict(),
                           fingerprint=ds.fingerprint, if_exists=if_exists, user=user, meta=meta)


@dataclass(frozen=True)
class Imported:
    """What ``studio import`` and Home's upload report: the workspace name, the dataset and its notes."""

    name: str
    dataset: Dataset
    notes: list[str]
    report: InferenceReport | None = None


def import_file(ws: Workspace, filename: str, data: bytes, max_mb: int, name: str | None = None,
                target: str | None = None, user: User = LOCAL_USER, if_exists: str = "refuse") -> Imported:
    """Read, infer, validate and store a file in the workspace (its table is then ``ds_<name>``)."""
    p = prepare_file(filename, data, max_mb, target=target)
    ds = p.dataset if not name else replace(p.dataset, name=name)
    stored = import_dataset(ws, ds, if_exists, user=user, notes=p.notes, report=p.report)
    return Imported(stored, ds, p.notes, p.report)


def stored_notes(ws: Workspace, name: str) -> tuple[list[str], InferenceReport | None]:
    """The notes and inference report kept with a workspace dataset (empty for an older workspace)."""
    meta = ws.dataset_meta(name).get("meta") or {}
    notes = list(meta.get("notes") or []) + [n for n in meta.get("edit_notes") or [] if n not in (meta.get("notes") or [])]
    report = InferenceReport.from_dict(meta["report"]) if meta.get("report") else None
    return notes, report


def load_workspace_dataset(ws: Workspace, name: str) -> Dataset:
    """A dataset stored in the workspace, with the schema it was saved with."""
    meta = ws.dataset_meta(name)
    frame = ws.load_dataset(name)
    if meta.get("schema"):
        return Dataset(meta["name"], frame, Schema.from_dict(meta["schema"]), meta["source"], meta["fingerprint"])
    inferred = infer(frame)  # a table stored without a schema: infer it now
    return Dataset(meta["name"], inferred.frame, inferred.schema, meta["source"], meta["fingerprint"])
