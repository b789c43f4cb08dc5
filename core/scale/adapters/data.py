"""The data area as batch jobs see it: a schema for a Parquet input, datasets of samples, the generator."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def schema_for(frame: pd.DataFrame) -> Any:
    """The schema of a batch input, from a sample of its rows: the embedded default's own, else inferred."""
    from core.data.inference import infer_schema
    from core.data.synthetic import default_schema

    synthetic = default_schema(frame)
    if {"customer_id", "default_12m", "credit_score", "ead"} <= set(frame.columns):
        return synthetic
    return infer_schema(frame)


def dataset(frame: pd.DataFrame, name: str, schema: Any, source: str = "batch sample") -> Any:
    from core.data.dataset import Dataset

    return Dataset.build(name, frame.reset_index(drop=True), schema, source)


def id_column(schema: Any) -> str | None:
    return schema.id_column


def semantics(schema: Any) -> dict[str, str]:
    return dict(schema.semantics)


def chunk_seed(seed: int, chunk: int) -> int:
    """A 32-bit seed for chunk ``chunk`` of a seeded job, from ``(seed, chunk)`` (independent streams)."""
    return int(np.random.SeedSequence([int(seed), int(chunk)]).generate_state(1)[0])


def generate_chunk(n: int, seed: int, chunk: int, id_offset: int, id_width: int) -> pd.DataFrame:
    """``n`` customers of the embedded generator for chunk ``chunk``; ids numbered from ``id_offset + 1``."""
    from core.data.synthetic import generate_frame

    frame, _ = generate_frame(n, chunk_seed(seed, chunk))
    ids = np.char.add("C", np.char.zfill(np.arange(id_offset + 1, id_offset + n + 1).astype(str), id_width))
    frame["customer_id"] = pd.Series(ids, dtype=object)
    return frame


def hash_sample_mask(ids: pd.Series | np.ndarray | Sequence[Any], rate: float, salt: int = 0) -> np.ndarray:
    """Rows kept in a sample of about ``rate``, chosen by hashing their ids: the same rows whatever the split."""
    s = pd.Series(np.asarray(ids))
    # categorize=False: the same hashes (the texts are never missing), without factorizing ids that are all distinct
    h = pd.util.hash_pandas_object(s.astype(str) + f"#{int(salt)}", index=False, categorize=False).to_numpy(dtype=np.uint64)
    return (h >> np.uint64(11)).astype(np.float64) / float(1 << 53) < float(rate)
