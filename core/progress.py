"""The one progress and cancellation type of every long job in the core.

A job reports with ``progress(fraction, message)`` (``fraction`` in [0, 1]) and, where it loops,
calls ``cancel.check()`` between steps; a page wires the first to ``st.progress`` and the second
to a Stop button, the CLI prints nothing and never cancels.
"""

from __future__ import annotations

import threading
from typing import Protocol

from core.errors import StudioError


class Progress(Protocol):
    """A callback told how far a job has got: ``fraction`` in [0, 1] and a short sentence."""

    def __call__(self, fraction: float, message: str) -> None: ...


def no_progress(fraction: float, message: str) -> None:
    """A :class:`Progress` that ignores every report."""


def scaled(progress: Progress | None, start: float, end: float) -> Progress:
    """A :class:`Progress` for a sub-step that maps its own [0, 1] onto [start, end] of ``progress``."""
    if progress is None:
        return no_progress
    span = end - start

    def report(fraction: float, message: str) -> None:
        progress(start + span * min(max(fraction, 0.0), 1.0), message)

    return report


class Cancelled(StudioError):
    """The analyst stopped the job; nothing it was writing was kept."""


class CancelToken:
    """A flag a page sets (Stop button) and a job checks between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if the job was asked to stop."""
        if self._event.is_set():
            raise Cancelled("The job was stopped before it finished; nothing was saved.")
