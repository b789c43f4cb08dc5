"""The one writer of files that leave the workspace: CSV that is safe to open in Excel.

Every CSV download or export goes through :func:`csv_bytes`:

* **UTF-8 with a byte-order mark**, so Excel shows "·" and "é" rather than "Â·".
* **Formula injection neutralised** (OWASP "CSV injection"): a text cell that starts with ``=``,
  ``+``, ``-``, ``@``, a tab or a carriage return — or their full-width forms — gets a leading
  apostrophe, so a spreadsheet shows it as text instead of running it. Column names are treated
  the same way. Real numbers are left alone (a negative balance stays a number).
* **Customer ids pseudonymised by default**: the columns named in ``id_columns`` are replaced by a
  keyed hash (HMAC-SHA256 with the workspace's secret), stable within a workspace so two exports
  can still be joined, meaningless outside it. Pass ``pseudonymise=False`` for a file that stays
  inside the bank's controlled systems.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠", "\uff0d")
BOM = "\ufeff"
SECRET_FILE = "pseudonym.key"


def safe_cell(value: object) -> object:
    """A text cell that a spreadsheet cannot run as a formula (numbers and missing values unchanged)."""
    if isinstance(value, str) and value.startswith(_TRIGGERS):
        return "'" + value
    return value


def _secret(workspace_dir: Path | None = None) -> bytes:
    """The workspace's pseudonymisation key, created (mode 0600) on first use."""
    if workspace_dir is None:
        from core.settings import get_settings

        workspace_dir = get_settings().workspace_dir
    path = Path(workspace_dir) / SECRET_FILE
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, key)
    finally:
        os.close(fd)
    return key


def pseudonymise(values: pd.Series | Sequence[object], workspace_dir: Path | None = None) -> pd.Series:
    """Keyed pseudonyms (``"P"`` + 16 hex digits) of ``values``; missing values stay missing."""
    key = _secret(workspace_dir)
    s = pd.Series(values) if not isinstance(values, pd.Series) else values
    cache: dict[str, str] = {}

    def one(v: object) -> object:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return v
        text = str(v)
        if text not in cache:
            cache[text] = "P" + hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:16]
        return cache[text]

    return s.map(one).astype(object)


def safe_frame(frame: pd.DataFrame, *, id_columns: Sequence[str] = (), pseudonymise_ids: bool = True) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names are neutralised and ids pseudonymised."""
    out = frame.copy()
    for c in id_columns:
        if pseudonymise_ids and c in out.columns:
            out[c] = pseudonymise(out[c])
    for c in out.columns:
        s = out[c]
        if s.dtype == object or pd.api.types.is_string_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype):
            out[c] = s.astype(object).map(safe_cell)
    out.columns = [str(safe_cell(str(c))) for c in out.columns]
    return out


def csv_bytes(frame: pd.DataFrame, *, id_columns: Sequence[str] = (), pseudonymise: bool = True) -> bytes:
    """``frame`` as CSV bytes for download: UTF-8 with BOM, formulas neutralised, ids pseudonymised."""
    text = safe_frame(frame, id_columns=id_columns, pseudonymise_ids=pseudonymise).to_csv(index=False, lineterminator="\r\n")
    return (BOM + text).encode("utf-8")
