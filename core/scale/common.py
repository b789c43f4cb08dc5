"""What every batch job shares: the input's schema from a probe, hashed samples, row ids."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from core.scale.adapters import data as D
from core.scale.partitions import Partition, Source, read_arrow, read_rows

PROBE_ROWS = 20_000
SAMPLE_ROWS = 100_000  # target size of the hashed sample models and profiles are fitted on


@dataclass(frozen=True)
class Input:
    """A batch input: its files, the schema read from its first rows, and its id column."""

    source: Source
    schema: Any
    id_column: str | None

    @property
    def n_rows(self) -> int:
        return self.source.n_rows


def probe(source: Source, schema: Any = None) -> Input:
    """The input with a schema (given, or inferred from its first rows as Home infers an upload)."""
    if schema is None:
        head = read_rows(source, 0, min(source.n_rows, PROBE_ROWS))
        schema = D.schema_for(head)
    id_col = D.id_column(schema)
    return Input(source, schema, id_col if id_col in source.columns else None)


def row_ids(frame: pd.DataFrame, id_column: str | None, start: int) -> pd.Series:
    """Customer ids, or global row numbers when the data has none."""
    if id_column:
        return frame[id_column].reset_index(drop=True)
    return pd.Series(np.arange(start, start + len(frame)), name="row")


def sample_task(part: Partition, source: Source, columns: Sequence[str], id_column: str | None, rate: float,
                salt: int) -> pd.DataFrame:
    """The rows of one partition that the hashed sample keeps (with their global row number)."""
    cols = list(dict.fromkeys([*([id_column] if id_column else []), *columns]))
    table = read_arrow(source, part.start, part.stop, cols)
    ids = table.column(id_column).to_pandas() if id_column else np.arange(part.start, part.stop)
    keep = D.hash_sample_mask(ids, rate, salt)
    rows = np.flatnonzero(keep)
    out = table.take(pa.array(rows)).to_pandas()  # only the kept rows become pandas objects
    out["_row"] = rows + part.start
    return out


def hashed_sample(ex: Any, inp: Input, parts: list[Partition], columns: Sequence[str], rows: int = SAMPLE_ROWS,
                  salt: int = 0, progress: Any = None, cancel: Any = None) -> pd.DataFrame:
    """About ``rows`` rows chosen by hashing their ids: the same rows on the cluster and in memory, in row order."""
    rate = min(1.0, rows / max(1, inp.n_rows))
    pieces = ex.map(sample_task, parts, inp.source, list(columns), inp.id_column, rate, salt, progress=progress,
                    cancel=cancel, label="sample partition")
    return pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=[*columns, "_row"])
