"""The embedded portfolio at any size, written straight to partitioned Parquet (10M customers in bounded memory).

The book is drawn in chunks through the generator's public ``generate_frame(n, seed)``; chunk ``i``
is seeded from ``(seed, i)`` and its ids continue the numbering of the chunks before it, so the
same ``(rows, seed, chunk_rows)`` always gives the same files whether the chunks are drawn here one
after the other or on the cluster in parallel. Only one chunk per worker is in memory at a time.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from core.errors import InputError
from core.progress import CancelToken, Progress
from core.scale.adapters import data as D
from core.scale.partitions import ROWS_PER_FILE, open_source, write_parquet
from core.scale.runner import executor

MAX_ROWS = 1_000_000_000


def _chunk_task(chunk: int, rows: int, seed: int, chunk_rows: int, folder: str, id_width: int) -> str:
    start = chunk * chunk_rows
    n = min(chunk_rows, rows - start)
    frame = D.generate_chunk(n, seed, chunk, start, id_width)
    return str(write_parquet(frame, Path(folder) / f"part-{chunk:05d}.parquet"))


def write_portfolio(folder: str | Path, rows: int, seed: int = 42, chunk_rows: int = ROWS_PER_FILE, client: Any = None,
                    progress: Progress | None = None, cancel: CancelToken | None = None) -> dict:
    """Write ``rows`` synthetic customers to ``folder/part-*.parquet``; returns a small summary."""
    if not 1 <= rows <= MAX_ROWS:
        raise InputError(f"The portfolio size must lie between 1 and {MAX_ROWS:,} rows.")
    if chunk_rows < 1:
        raise InputError("The rows per file must be positive.")
    folder = Path(folder)
    if folder.exists() and any(folder.glob("*.parquet")):
        raise InputError(f"'{folder}' already holds Parquet files.", "Write the portfolio to a new or empty folder.")
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    chunks = list(range(-(-rows // chunk_rows)))
    width = max(7, len(str(rows)))
    executor(client).map(_chunk_task, chunks, rows, int(seed), int(chunk_rows), str(folder), width, progress=progress,
                         cancel=cancel, label="chunk")
    src = open_source(folder)
    return {"rows": src.n_rows, "files": len(src.files), "seed": int(seed), "chunk_rows": int(chunk_rows),
            "folder": str(folder), "seconds": round(time.perf_counter() - t0, 3)}
