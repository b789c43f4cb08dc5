"""The process's thread policy: decided once, from settings, never flipped per call.

Flipping ``torch.set_num_threads`` or a ``threadpoolctl`` limit inside a function changes a
process-wide setting under every other session's feet. Instead :func:`configure_threads` runs
once (the dashboard's start, the CLI, a Dask worker) and sets the same budget for torch's
intra-op pool, OpenMP (XGBoost), and the BLAS libraries numpy/scikit-learn use. Code that wants
fewer threads for a small job asks for it explicitly (XGBoost's ``nthread``), locally.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

logger = logging.getLogger(__name__)
_lock = threading.Lock()
_configured: int | None = None


def compute_threads() -> int:
    """The thread budget of this process: ``STUDIO_THREADS``, or every core when it is 0."""
    from core.settings import get_settings

    n = get_settings().threads
    return n if n > 0 else max(1, os.cpu_count() or 1)


_ENV_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def configure_threads() -> int:
    """Apply the thread budget to torch, OpenMP and BLAS, once per process; returns it.

    Libraries not imported yet read the budget from ``OMP_NUM_THREADS`` & co. when they start (so
    this never imports torch just to configure it); libraries already loaded are set directly.
    """
    global _configured
    with _lock:
        if _configured is not None:
            return _configured
        n = compute_threads()
        for var in _ENV_VARS:
            os.environ.setdefault(var, str(n))
        try:
            from threadpoolctl import threadpool_limits

            threadpool_limits(limits=n)
        except Exception as exc:  # threadpoolctl is optional for the policy to hold
            logger.debug("threadpoolctl unavailable: %s", exc)
        torch = sys.modules.get("torch")
        if torch is not None:
            try:
                if torch.get_num_threads() != n:
                    torch.set_num_threads(n)
            except Exception as exc:  # a half-initialised torch must not stop the process
                logger.debug("torch thread setting skipped: %s", exc)
        _configured = n
        return n


def _reset_for_tests() -> None:
    global _configured
    with _lock:
        _configured = None
