"""The job handle: all a page ever holds of the engine.

:func:`submit` starts a batch job in a background thread of this process (the tasks themselves run
on the cluster) and returns a :class:`BatchJob` at once, so the page stays usable: it reads
``fraction``/``message`` as partitions complete, may :meth:`~BatchJob.cancel`, and gets the JSON
summary when ``status == "done"``. Handles live in a process-wide table by id, so a rerun (or another
browser tab of the same session) finds its job again.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from core.errors import StudioError
from core.progress import Cancelled, CancelToken

logger = logging.getLogger(__name__)
STATUSES = ("running", "done", "failed", "cancelled")
_jobs: dict[str, BatchJob] = {}
_jobs_lock = threading.Lock()


class BatchJob:
    """A batch job running in the background: progress, cancel, result."""

    def __init__(self, kind: str, label: str, work: Callable[[Any, CancelToken], dict]) -> None:
        self.id = uuid.uuid4().hex[:10]
        self.kind = kind
        self.label = label
        self.status = "running"
        self.fraction = 0.0
        self.message = "Starting the cluster"
        self.summary: dict | None = None
        self.error = ""
        self.hint = ""
        self.started = time.time()
        self.finished: float | None = None
        self._cancel = CancelToken()
        self._thread = threading.Thread(target=self._run, args=(work,), name=f"batch-{kind}-{self.id}", daemon=True)

    def _progress(self, fraction: float, message: str) -> None:
        self.fraction = max(self.fraction, min(1.0, float(fraction)))
        self.message = message

    def _run(self, work: Callable[[Any, CancelToken], dict]) -> None:
        try:
            self.summary = work(self._progress, self._cancel)
            self.status, self.fraction, self.message = "done", 1.0, "Done"
        except Cancelled as exc:
            self.status, self.error = "cancelled", exc.message
        except StudioError as exc:
            self.status, self.error, self.hint = "failed", exc.message, exc.hint
        except Exception as exc:  # reported on the page as a sentence; details in the log
            logger.exception("Batch job %s failed", self.id)
            self.status, self.error = "failed", f"{type(exc).__name__}: {exc}"
        finally:
            self.finished = time.time()

    @property
    def done(self) -> bool:
        return self.status != "running"

    @property
    def seconds(self) -> float:
        return (self.finished or time.time()) - self.started

    def cancel(self) -> None:
        """Ask the job to stop: pending partitions are cancelled; nothing it was writing is kept."""
        self._cancel.cancel()
        self.message = "Stopping"

    def wait(self, timeout: float | None = None) -> BatchJob:
        self._thread.join(timeout)
        return self


def submit(kind: str, label: str, work: Callable[[Any, CancelToken], dict]) -> BatchJob:
    """Start ``work(progress, cancel)`` in the background; returns its handle."""
    job = BatchJob(kind, label, work)
    with _jobs_lock:
        _jobs[job.id] = job
    job._thread.start()
    return job


def get(job_id: str | None) -> BatchJob | None:
    if not job_id:
        return None
    with _jobs_lock:
        return _jobs.get(job_id)


def on_cluster(fn: Callable[..., dict], *args: Any, address: str | None = None, **kwargs: Any) -> Callable[[Any, CancelToken], dict]:
    """``work`` for :func:`submit`: ``fn(*args, client=..., progress=..., cancel=..., **kwargs)`` on the process's cluster."""

    def work(progress: Any, cancel: CancelToken) -> dict:
        from core.scale.engine import get_client

        client = get_client(address)
        return fn(*args, client=client, progress=progress, cancel=cancel, **kwargs)

    return work
