"""Global explanations on large data: an exact sample first, the full computation in the background.

The first view comes from exact TreeSHAP on a class-stratified sample (a few thousand rows: well
under a second). The full computation runs in a daemon thread in chunks, reports its progress,
and is cached on disk next to the model artifact (``shap_<dataset fingerprint>.npz``), so it is
done once per (model, data) and shared by every session and restart.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.credit.explain import Explanation, stratified_sample

logger = logging.getLogger(__name__)
CHUNK = 20_000


@dataclass(frozen=True)
class GlobalSample:
    """A stratified sample's explanation plus its margins, PDs and targets (row indices into the data)."""

    rows: np.ndarray
    explanation: Explanation
    margin: np.ndarray
    pd: np.ndarray
    y: np.ndarray | None
    seconds: float


def sample_explanation(model, frame: pd.DataFrame, y: np.ndarray | None, n: int = 5000, seed: int = 0) -> GlobalSample:
    """Exact SHAP on a stratified sample of ``n`` rows (stratified on the target when given)."""
    t0 = time.perf_counter()
    rows = stratified_sample(y if y is not None else np.zeros(len(frame)), n, seed)
    sub = frame.iloc[rows]
    e = model.explain(sub)
    margin = model.predict_margin(sub)  # predicted independently, so the additivity residual is a real check
    return GlobalSample(rows, e, margin, model.pd_from_margin(margin), None if y is None else np.asarray(y)[rows],
                        time.perf_counter() - t0)


class FullShapJob:
    """Exact SHAP of every row, computed in a background thread and cached on disk."""

    def __init__(self, model, frame: pd.DataFrame, path: Path, chunk: int = CHUNK, delay: float = 0.0) -> None:
        self.model = model
        self.delay = delay  # seconds to wait before computing, so a page's first paint gets the CPU first
        self.frame = frame
        self.path = Path(path)
        self.chunk = chunk
        self.progress = 1.0 if self.path.exists() else 0.0
        self.status = "done" if self.path.exists() else "pending"
        self.error = ""
        self.seconds = 0.0
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> FullShapJob:
        with self._lock:
            if self.status in ("pending", "failed"):
                self.status, self.error, self.progress = "running", "", 0.0
                self._thread = threading.Thread(target=self._run, name="credit-full-shap", daemon=True)
                self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> FullShapJob:
        if self._thread is not None:
            self._thread.join(timeout)
        return self

    def _run(self) -> None:
        time.sleep(self.delay)
        t0 = time.perf_counter()
        try:
            n = len(self.frame)
            values = np.empty((n, len(self.model.feature_names)), dtype=np.float32)
            base = np.empty(n, dtype=np.float32)
            for start in range(0, n, self.chunk):
                e = self.model.explain(self.frame.iloc[start:start + self.chunk])
                values[start:start + len(e)] = e.values
                base[start:start + len(e)] = e.base_values
                self.progress = min(1.0, (start + len(e)) / max(n, 1))
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(suffix=".npz", dir=self.path.parent)
            os.close(fd)
            np.savez(tmp, values=values, base=base)
            os.replace(tmp, self.path)  # atomic: a reader never sees half a file
            self.seconds = time.perf_counter() - t0
            self.status = "done"
        except Exception as exc:  # reported through .status/.error; the page shows it
            logger.exception("Full SHAP computation failed")
            self.error = f"{type(exc).__name__}: {exc}"
            self.status = "failed"

    def result(self) -> Explanation | None:
        """The full explanation once done (read from the disk cache), else ``None``."""
        if self.status != "done" or not self.path.exists():
            return None
        with np.load(self.path, allow_pickle=False) as z:
            values, base = z["values"].astype(np.float64), z["base"].astype(np.float64)
        return Explanation(values, base, self.model.raw(self.frame).reset_index(drop=True), self.model.feature_names,
                           units=self.model.meta.units)


_jobs: dict[tuple[str, str], FullShapJob] = {}
_jobs_lock = threading.Lock()


def cache_path(model, dataset_fingerprint: str) -> Path:
    from core.credit.store import KIND
    from core.runtime.lifecycle import artifact_dir

    return artifact_dir(KIND, model.fingerprint) / f"shap_{dataset_fingerprint}.npz"


def full_shap_job(model, frame: pd.DataFrame, dataset_fingerprint: str, start: bool = True, delay: float = 0.0) -> FullShapJob:
    """The process-wide job for (model, data): one computation however many sessions ask."""
    key = (model.fingerprint, dataset_fingerprint)
    with _jobs_lock:
        job = _jobs.get(key)
        if job is None or (job.status == "done" and not job.path.exists()):
            job = _jobs[key] = FullShapJob(model, frame, cache_path(model, dataset_fingerprint), delay=delay)
    return job.start() if start else job
