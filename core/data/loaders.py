"""Loading the analyst's data: uploaded files (read by :mod:`core.data.reading`) and workspace tables.

SQL goes through :mod:`core.data.sql`, the one guarded path.

Every loader returns a whole, validated :class:`Dataset` or raises a typed error: nothing is
half-loaded. Imports into the workspace happen only after validation succeeds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from core.auth import LOCAL_USER, User
from core.data.conform import conform
from core.data.dataset import Dataset
from core.data.inference import InferenceReport, infer
from core.data.reading import read_file
from core.data.schema import Schema
from core.data.validation import validate
from core.errors import EmptyDataError
from core.workspace import Workspace

logger = logging.getLogger(__name__)

@dataclass(frozen=True)
class Prepared:
    """A validated dataset, the notes the analyst must read, and the inference report (None for an override)."""

    dataset: Dataset
    notes: list[str] = field(default_factory=list)
    report: InferenceReport | None = None


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
