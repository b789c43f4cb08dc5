"""Helpers shared by the benchmarks: machine facts, peak memory of a child process, JSON output."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def machine() -> dict:
    import psutil

    return {"cpus": os.cpu_count(), "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "platform": platform.machine()}


def emit(name: str, **figures) -> None:
    print(json.dumps({"bench": name, **figures, "machine": machine()}, default=str), flush=True)


def run_child(code: str) -> tuple[dict, float]:
    """Run Python code in a fresh process; returns (its last JSON line, its peak RSS in GiB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    _ = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = json.loads(out.stdout.strip().splitlines()[-1])
    # ru_maxrss of children is the max over all waited children; run the biggest child last or alone
    return result, max(peak_kib, before) / 2**20
