"""The :class:`Dataset`: a frame, its schema and a content fingerprint.

Models are fitted once per (dataset fingerprint, parameters); the fingerprint changes whenever the
rows, the columns or the roles change.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from core.data.schema import Role, Schema


def frame_fingerprint(frame: pd.DataFrame, schema: Schema | None = None) -> str:
    """A 16-hex-digit content hash of the frame (values, columns, dtypes) and its schema."""
    h = hashlib.sha256()
    h.update(json.dumps([list(map(str, frame.columns)), [str(t) for t in frame.dtypes]]).encode())
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    if schema is not None:
        h.update(json.dumps(schema.to_dict(), sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class DatasetRef:
    """How a dataset is identified across pages, sessions and the CLI: its name and content fingerprint."""

    name: str
    fingerprint: str


@dataclass(frozen=True)
class Dataset:
    """A loaded dataset. ``truth`` holds generator ground truth (synthetic data only)."""

    name: str
    frame: pd.DataFrame = field(repr=False)
    schema: Schema
    source: str
    fingerprint: str
    truth: pd.DataFrame | None = field(default=None, repr=False)

    @classmethod
    def build(cls, name: str, frame: pd.DataFrame, schema: Schema, source: str,
              truth: pd.DataFrame | None = None) -> Dataset:
        return cls(name, frame, schema, source, frame_fingerprint(frame, schema), truth)

    def with_schema(self, schema: Schema) -> Dataset:
        return replace(self, schema=schema, fingerprint=frame_fingerprint(self.frame, schema))

    @property
    def ref(self) -> DatasetRef:
        return DatasetRef(self.name, self.fingerprint)

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    def features(self) -> list[str]:
        return self.schema.features()

    def model_frame(self) -> pd.DataFrame:
        """The frame without PII, id-less, datetime-less: what a model may see (plus the target)."""
        cols = self.schema.features()
        if self.schema.target:
            cols = [*cols, self.schema.target]
        return self.frame[cols]

    def target_vector(self) -> np.ndarray:
        """The target as 0/1 (1 = the positive label, e.g. default)."""
        t = self.schema.target
        if t is None:
            from core.errors import TargetError

            raise TargetError("This dataset has no target column.", "Mark a binary column as the target on Home.")
        return (self.frame[t] == self.schema.positive_label).to_numpy(dtype=np.int8)

    def ids(self) -> pd.Series:
        """Customer ids, or the row number when the data has no id column."""
        if self.schema.id_column:
            return self.frame[self.schema.id_column]
        return pd.Series(np.arange(len(self.frame)), name="row", index=self.frame.index)

    def column_summary(self) -> pd.DataFrame:
        """One row per column: role, dtype, missing share, distinct values."""
        f = self.frame
        return pd.DataFrame({
            "column": f.columns,
            "role": [self.schema.roles.get(c, Role.IGNORE).value for c in f.columns],
            "dtype": [str(t) for t in f.dtypes],
            "missing_pct": (f.isna().mean() * 100).round(2).to_numpy(),
            "distinct": [f[c].nunique(dropna=True) for c in f.columns],
        })
