"""How a batch job maps a function over partitions: on the cluster, or in this process, the same way.

:class:`Cluster` submits one task per partition (fitted objects broadcast once with
``client.scatter(..., broadcast=True)``), collects results as they complete (progress per finished
partition, cancellation between them) and returns them in partition order. :class:`InProcess`
runs the same task functions one after the other here: it is the in-memory path the distributed
results are tested against, and the fallback for tiny inputs.

Outputs go to a staging folder beside the target and are moved into place only when every
partition succeeded (:class:`Staging`): a failed or stopped job leaves nothing half-written.
"""

from __future__ import annotations

import logging
import shutil
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from core.errors import InputError
from core.progress import CancelToken, Progress, no_progress
from core.runtime.registry import fingerprint_of
from core.scale.partitions import SUMMARY, Partition, Source, write_summary

logger = logging.getLogger(__name__)


class InProcess:
    """Runs partition tasks here, in order (the in-memory reference path)."""

    name = "in-process"

    def broadcast(self, obj: Any) -> Any:
        return obj

    def map(self, fn: Callable, parts: Sequence[Any], *args: Any, progress: Progress | None = None,
            cancel: CancelToken | None = None, label: str = "partition", **kwargs: Any) -> list[Any]:
        say = progress or no_progress
        out = []
        for i, part in enumerate(parts):
            if cancel is not None:
                cancel.check()
            out.append(fn(part, *args, **kwargs))
            say((i + 1) / len(parts), f"{label} {i + 1} of {len(parts)} done")
        return out


class Cluster:
    """Runs partition tasks on a Dask cluster; results come back in partition order."""

    name = "dask"

    def __init__(self, client: Any, resources: dict[str, float] | None = None) -> None:
        self.client = client
        self.resources = resources

    def broadcast(self, obj: Any) -> Any:
        """One copy of ``obj`` on every worker (a future that tasks receive as the object itself)."""
        return self.client.scatter(obj, broadcast=True, hash=False)

    def map(self, fn: Callable, parts: Sequence[Any], *args: Any, progress: Progress | None = None,
            cancel: CancelToken | None = None, label: str = "partition", **kwargs: Any) -> list[Any]:
        from distributed import as_completed

        say = progress or no_progress
        token = uuid.uuid4().hex[:8]
        n = len(parts)
        name = getattr(fn, "__name__", "task")
        futures = self.client.map(fn, list(parts), *[[a] * n for a in args], key=[f"{name}-{token}-{i}" for i in range(n)],
                                  pure=False, resources=self.resources, **kwargs)
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[Any] = [None] * len(futures)
        done = 0
        try:
            for fut in as_completed(futures, loop=self.client.loop):
                if cancel is not None and cancel.cancelled:
                    break
                results[index[fut.key]] = fut.result()  # a task's error is raised here, on the driver
                done += 1
                say(done / len(futures), f"{label} {done} of {len(futures)} done")
            if cancel is not None:
                cancel.check()
        finally:
            pending = [f for f in futures if not f.done()]
            if pending:
                self.client.cancel(pending)
        return results


def executor(client: Any = None, resources: dict[str, float] | None = None) -> InProcess | Cluster:
    return InProcess() if client is None else Cluster(client, resources)


class Staging:
    """A private folder for a job's outputs, moved over ``out`` only on :meth:`commit`."""

    def __init__(self, out: Path | str, overwrite: bool = True) -> None:
        self.out = Path(out)
        if self.out.exists() and not self.out.is_dir():
            raise InputError(f"'{self.out}' is a file; batch results need a folder.", "Pass --out a folder path.")
        if self.out.is_dir() and any(self.out.iterdir()) and not (self.out / SUMMARY).exists():
            raise InputError(f"The folder '{self.out}' is not empty and holds no earlier batch result.",
                             "Pass --out a new or empty folder (an earlier batch result there is replaced).")
        if (self.out / SUMMARY).exists() and not overwrite:
            raise InputError(f"'{self.out}' already holds a batch result.", "Choose another folder.")
        self.path = self.out.parent / f".{self.out.name}.staging-{uuid.uuid4().hex[:8]}"
        self.path.mkdir(parents=True)

    def commit(self, summary: dict) -> Path:
        write_summary(self.path, summary)
        self.out.mkdir(parents=True, exist_ok=True)
        for child in self.path.iterdir():
            target = self.out / child.name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
            child.rename(target)
        shutil.rmtree(self.path, ignore_errors=True)
        return self.out

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.path.exists():
            self.discard()


def source_fingerprint(source: Source) -> str:
    """A fingerprint of the input files: names, sizes, row counts and columns."""
    sizes = [Path(f).stat().st_size for f in source.files]
    return fingerprint_of([Path(f).name for f in source.files], sizes, list(source.rows), list(source.columns))


def log_batch(kind: str, *, name: str, params: dict, seed: int | None, source: Source, summary: dict,
              out: Path, user: Any = None, model_fingerprint: str | None = None) -> str | None:
    """Record the batch run in the workspace (kind ``batch_<kind>``) with its user; returns the run id."""
    from core.auth import LOCAL_USER
    from core.errors import WorkspaceError
    from core.workspace import get_workspace

    try:
        return get_workspace().log_run(f"batch_{kind}", name=name, params=params, seed=seed,
                                       dataset_fingerprint=source_fingerprint(source), model_fingerprint=model_fingerprint,
                                       result=summary, artifact=str(out), user=(user or LOCAL_USER).id)
    except WorkspaceError as exc:  # the results are written; a missing log line must not lose them
        logger.warning("The batch run could not be logged: %s", exc)
        return None


def whole(source: Source) -> list[Partition]:
    """The whole source as one partition (the in-memory path)."""
    return [Partition(0, 0, source.n_rows)]
