"""``studio``: the parser, the JSON output and the error boundary every command shares.

Each area registers its commands in its own module ``core/cli/<area>.py`` with a function
``register(subparsers)``; a command is a function ``(args) -> object | Iterable[object] | None``
whose result is printed as JSON (one object per line for an iterable). Every command calls exactly
the core function its page calls and honours the ``STUDIO_*`` settings.

Errors never show a traceback: bad input (a :class:`~core.errors.StudioError` or bad arguments)
exits with status 2 and prints ``{"error": "<plain message>"}``; anything unexpected exits with
status 1 and the same shape, the details going to the log (``STUDIO_LOG_LEVEL=DEBUG`` shows them).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import enum
import importlib
import importlib.util
import json
import logging
import math
import os
import sys
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

from core.errors import StudioError

logger = logging.getLogger("core.cli")

# areas whose module registers commands, in the order their commands are listed in --help
AREAS = ("data", "sql", "credit", "segment", "scenario", "copy", "batch")
EXIT_OK, EXIT_UNEXPECTED, EXIT_BAD_INPUT = 0, 1, 2


class UsageError(StudioError):
    """The command line itself is wrong (unknown command, missing argument, bad value)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}.", f"Run '{self.prog} --help' for the usage.")

    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        if status:
            raise UsageError((message or "").strip() or "Invalid command line.")
        raise SystemExit(status)


def clean(obj: Any) -> Any:
    """``obj`` made JSON-safe: numpy scalars and arrays as Python values, NaN/inf as ``None``, paths as text."""
    if isinstance(obj, Mapping):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [clean(v) for v in obj.tolist()]
    if isinstance(obj, np.generic):
        return clean(obj.item())
    if isinstance(obj, float):
        return None if math.isnan(obj) or math.isinf(obj) else obj
    if isinstance(obj, (str, int, bool)) or obj is None:
        return obj
    if isinstance(obj, (Path, _dt.date, _dt.datetime)):
        return str(obj)
    if isinstance(obj, enum.Enum):
        return clean(obj.value)
    if hasattr(obj, "to_dict"):
        return clean(obj.to_dict())
    return str(obj)


def emit(obj: Any, stream: IO[str] | None = None) -> None:
    """Print one JSON object on its own line."""
    out = stream or sys.stdout
    out.write(json.dumps(clean(obj), allow_nan=False, ensure_ascii=False) + "\n")
    out.flush()


def _print_result(result: Any) -> None:
    if result is None:
        return
    if isinstance(result, (Mapping, str)) or not isinstance(result, Iterable):
        emit(result)
        return
    for item in result:
        emit(item)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="studio", description="Retail AIGC Studio on the command line: JSON in, JSON out.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for area in AREAS:
        name = f"core.cli.{area}"
        if importlib.util.find_spec(name) is None:
            continue
        importlib.import_module(name).register(sub)
    return parser


class _NoTraceback(logging.Formatter):
    def formatException(self, ei: Any) -> str:  # noqa: N802 (logging's name)
        return ""

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return ""


def _setup_logging() -> None:
    level = os.environ.get("STUDIO_LOG_LEVEL", "WARNING").upper()
    handler = logging.StreamHandler(sys.stderr)
    debug = level == "DEBUG"
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s") if debug
                         else _NoTraceback("%(levelname)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level, logging.WARNING))
    if not debug:
        warnings.filterwarnings("ignore")


def _message(exc: StudioError) -> str:
    return f"{exc.message} {exc.hint}".strip() if exc.hint else exc.message


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``studio`` command; returns the exit status."""
    _setup_logging()
    try:
        parser = build_parser()
        args = parser.parse_args(list(argv) if argv is not None else None)
        from core.runtime.threads import configure_threads

        configure_threads()
        _print_result(args.func(args))
        return EXIT_OK
    except StudioError as exc:
        emit({"error": _message(exc)})
        return EXIT_BAD_INPUT
    except SystemExit as exc:  # --help
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_OK
    except KeyboardInterrupt:
        emit({"error": "Interrupted."})
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # the boundary: details to the log, a sentence to the user
        logger.debug("Unexpected error", exc_info=True)
        emit({"error": f"Unexpected error ({type(exc).__name__}): {exc}. Nothing was saved; "
                       "rerun with STUDIO_LOG_LEVEL=DEBUG for details."})
        return EXIT_UNEXPECTED


if __name__ == "__main__":
    sys.exit(main())
