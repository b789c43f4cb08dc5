"""Typed errors raised at the core's boundary.

Every error carries a message an analyst understands and, where there is one, a hint saying what
to do next. Pages catch :class:`StudioError` and show ``message`` and ``hint``; no traceback
reaches the user.
"""

from __future__ import annotations


class StudioError(Exception):
    """Base of every error the core raises on purpose."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class DataError(StudioError):
    """The data cannot be used as given (file, columns, target, schema)."""


class EmptyDataError(DataError):
    """The file or table holds no rows or no columns."""


class FileFormatError(DataError):
    """The file cannot be read: unknown format, encoding or delimiter."""


class FileTooLargeError(DataError):
    """The file is over the configured size limit."""


class SchemaError(DataError):
    """Column roles are inconsistent (no usable feature, id used as a feature, duplicated ids)."""


class TargetError(DataError):
    """The target column is missing, not binary, or has a single class."""


class ModelError(StudioError):
    """A model could not be fitted, loaded or used."""


class ModelLoadError(ModelError):
    """A model artifact or a language model failed to load."""


class DeviceError(StudioError):
    """The accelerator failed (e.g. CUDA out of memory); callers may fall back to CPU."""


class WorkspaceError(StudioError):
    """The workspace store could not be read or written."""


class InputError(StudioError):
    """A parameter from the UI is out of its valid range."""
