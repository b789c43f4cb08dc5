"""The process-wide Dask client every batch job runs on.

By default a :class:`distributed.LocalCluster` of worker *processes* (one per core, one thread
each, a memory limit per worker); with ``STUDIO_SCHEDULER_ADDRESS`` (or an explicit address) the
client connects to that scheduler instead, and the cluster is whoever runs it (``dask scheduler``
plus ``dask worker tcp://host:8786 --nthreads 1 --resources GPU=1`` on GPU nodes).

Every worker applies the product's thread policy once (:func:`core.runtime.threads.configure_threads`
with ``STUDIO_THREADS`` set to its own thread count, so N workers on N cores never run N x N
OpenMP threads). Workers that own a GPU advertise the resource ``GPU`` (one per device); a job that
wants the GPU asks for ``resources={"GPU": 1}``. Nothing of this reaches a page: pages hold a
:class:`core.scale.handle.BatchJob`.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from distributed.diagnostics.plugin import WorkerPlugin

from core.errors import StudioError

if TYPE_CHECKING:
    from distributed import Client

logger = logging.getLogger(__name__)
GPU = "GPU"  # the worker resource GPU workers advertise
DEFAULT_WORKER_MEMORY_GIB = 3.0
# allocator settings of local workers (set before they start): below 32 MiB from the heap, which is trimmed above 256 MiB
WORKER_MALLOC = {"MALLOC_MMAP_THRESHOLD_": str(32 * 2**20), "MALLOC_TRIM_THRESHOLD_": str(256 * 2**20)}

_lock = threading.Lock()
_state: dict[str, Any] = {"client": None, "cluster": None, "address": None}


class ClusterError(StudioError):
    """The batch cluster cannot be reached or started."""


@dataclass(frozen=True)
class EngineInfo:
    """What the page and the CLI say about the cluster a job ran on."""

    address: str
    local: bool
    workers: int
    threads: int
    memory_gib: float
    gpus: int

    def to_dict(self) -> dict:
        return {"address": self.address, "local": self.local, "workers": self.workers, "threads": self.threads,
                "memory_gib": round(self.memory_gib, 2), "gpus": self.gpus}


def _worker_setup(dask_worker: Any = None) -> int:
    """Run on every worker once: the product's thread policy for this process; returns the budget."""
    from core.runtime.threads import configure_threads

    threads = getattr(dask_worker, "state", None)
    nthreads = getattr(threads, "nthreads", None) or getattr(dask_worker, "nthreads", None)
    if nthreads and not os.environ.get("STUDIO_THREADS"):
        os.environ["STUDIO_THREADS"] = str(int(nthreads))
        from core.settings import get_settings

        get_settings.cache_clear()
    return configure_threads()


class _StudioWorkerPlugin(WorkerPlugin):
    """Worker plugin: thread policy at start-up (also for workers that join later)."""

    name = "studio-threads"

    def setup(self, worker: Any) -> None:
        _worker_setup(worker)


async def _advertise_gpu(dask_worker: Any = None) -> None:
    await dask_worker.set_resources(**{GPU: 1})


def _local_gpus() -> int:
    try:
        from core.runtime.device import resolve_device

        if resolve_device() != "cuda":
            return 0
        import torch

        return int(torch.cuda.device_count())
    except Exception as exc:  # no torch or no driver: a CPU cluster
        logger.debug("No GPU for the local cluster: %s", exc)
        return 0


_MAIN_LOCK = threading.Lock()


@contextmanager
def script_free_main() -> Iterator[None]:
    """While worker processes start, ``__main__`` is a bare module with no file.

    Workers start with ``spawn``, which re-runs the parent's ``__main__`` *file* in the child. Under
    Streamlit (and AppTest) ``__main__`` is the page script being run, so without this every worker
    would run a page before it could take a task (and fail). A ``__main__`` started as a module
    (``python -m ...``) is imported by name in the child, which is harmless, and is left alone.
    """
    with _MAIN_LOCK:
        main = sys.modules.get("__main__")
        by_name = getattr(getattr(main, "__spec__", None), "name", None)
        if main is None or by_name or getattr(main, "__file__", None) is None:
            yield
            return
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            sys.modules["__main__"] = main


def _start_local(n_workers: int | None, memory_gib: float | None, gpus: int | None) -> tuple[Any, Any]:
    import psutil
    from distributed import Client, LocalCluster

    from core.runtime.threads import compute_threads

    n = int(n_workers or compute_threads())
    total_gib = psutil.virtual_memory().total / 2**30
    mem = float(memory_gib or min(DEFAULT_WORKER_MEMORY_GIB, max(1.0, 0.8 * total_gib / n)))
    env = {"STUDIO_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    for name in ("distributed", "tornado"):  # the cluster's chatter stays out of the CLI's output
        if logging.getLogger(name).getEffectiveLevel() < logging.ERROR:
            logging.getLogger(name).setLevel(logging.ERROR)
    # ":0": the scheduler's HTTP endpoint on a free port (several studios may share a machine)
    import dask

    # glibc keeps freed memory for reuse instead of unmapping arrays above 128 KiB and trimming the heap at 64 KiB
    # (Dask's default for workers): a partition's many few-MB arrays then cost page faults, not fresh pages each time
    spawn_env = {**dask.config.get("distributed.nanny.pre-spawn-environ", {}), **WORKER_MALLOC}
    with script_free_main(), dask.config.set({"distributed.nanny.pre-spawn-environ": spawn_env}):
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, memory_limit=f"{mem}GiB",
                               dashboard_address=":0", silence_logs=logging.ERROR, env=env)
    client = Client(cluster, set_as_default=False)
    n_gpu = _local_gpus() if gpus is None else int(gpus)
    if n_gpu:
        workers = sorted(client.scheduler_info(n_workers=-1)["workers"])[:n_gpu]
        client.run(_advertise_gpu, workers=workers)
    return client, cluster


def get_client(address: str | None = None, *, n_workers: int | None = None, memory_gib: float | None = None,
               gpus: int | None = None) -> Client:
    """The process-wide client: connected to ``address`` / ``STUDIO_SCHEDULER_ADDRESS``, else a local cluster.

    ``n_workers``, ``memory_gib`` (per worker) and ``gpus`` (workers advertising a GPU) shape the
    local cluster the first time it starts; they are ignored for a remote scheduler.
    """
    from core.settings import get_settings

    address = address if address is not None else get_settings().scheduler_address
    with _lock:
        client = _state["client"]
        if client is not None and _state["address"] == (address or None) and client.status == "running":
            return client
        _close_locked()
        try:
            if address:
                from distributed import Client

                client, cluster = Client(address, timeout="10s", set_as_default=False), None
            else:
                client, cluster = _start_local(n_workers, memory_gib, gpus)
        except (OSError, TimeoutError) as exc:
            where = address or "a local cluster"
            raise ClusterError(f"The batch cluster at {where} could not be reached ({exc}).",
                               "Check STUDIO_SCHEDULER_ADDRESS (tcp://host:8786) and that the scheduler runs.") from exc
        client.register_plugin(_StudioWorkerPlugin(), name=_StudioWorkerPlugin.name)
        _state.update(client=client, cluster=cluster, address=address or None)
        return client


def engine_info(client: Client) -> EngineInfo:
    """Workers, threads, memory and GPUs of the cluster behind ``client``."""
    workers = client.scheduler_info(n_workers=-1)["workers"]
    return EngineInfo(
        address=str(client.scheduler.address) if client.scheduler else "",
        local=_state["cluster"] is not None and client is _state["client"],
        workers=len(workers),
        threads=sum(int(w.get("nthreads", 1)) for w in workers.values()),
        memory_gib=sum(float(w.get("memory_limit") or 0) for w in workers.values()) / 2**30,
        gpus=sum(int((w.get("resources") or {}).get(GPU, 0)) for w in workers.values()),
    )


def worker_pids(client: Client) -> dict[str, int]:
    """Process id of each worker (for memory sampling in the bench and leak checks in tests)."""
    return {k: int(v) for k, v in client.run(os.getpid).items()}


def _close_locked() -> None:
    client, cluster = _state["client"], _state["cluster"]
    _state.update(client=None, cluster=None, address=None)
    for thing in (client, cluster):
        if thing is None:
            continue
        try:
            thing.close()
        except Exception as exc:  # closing must never raise at shutdown
            logger.debug("Closing the cluster: %s", exc)


def close_client() -> None:
    """Close the process-wide client (and the local cluster it started)."""
    with _lock:
        _close_locked()
