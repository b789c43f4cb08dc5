"""Copy batches across many segments x products x channels, one task per request (``client.map``).

The backend (local model, endpoint or templates) is created once per worker and reused by every
task on it; every variant goes through the copy area's own generation, rule engine and ranking.
Briefs come from a segment batch's summary (``studio batch segment``) or a JSON/JSONL file of
segment briefs: only aggregates, never a customer's data, reach a prompt.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from core.errors import DataError, InputError
from core.progress import CancelToken, Progress
from core.scale.adapters import copy as K
from core.scale.partitions import SUMMARY, part_path, write_parquet
from core.scale.runner import Staging, executor

MAX_REQUESTS = 5_000


@dataclass(frozen=True)
class CopyJob:
    """One request: a segment brief, a product and a channel."""

    index: int
    brief: dict
    product: str
    channel: str


def read_briefs(path: str | Path) -> list[dict]:
    """Segment briefs from a segment batch folder (its summary), a JSON list or JSON lines."""
    p = Path(path)
    if p.is_dir():
        if not (p / SUMMARY).exists():
            raise DataError(f"'{p}' holds no batch summary.", "Run 'studio batch segment' first, or pass a JSON file of briefs.")
        segs = json.loads((p / SUMMARY).read_text()).get("segments", [])
        briefs = [s["brief"] for s in segs if s.get("brief") and int(s.get("id", 0)) >= 0]
    elif p.is_file():
        text = p.read_text(encoding="utf-8")
        try:
            data = json.loads(text)
            briefs = data if isinstance(data, list) else [data]
        except json.JSONDecodeError:
            try:
                briefs = [json.loads(line) for line in text.splitlines() if line.strip()]
            except json.JSONDecodeError as exc:
                raise DataError(f"'{p.name}' is neither JSON nor JSON lines ({exc.msg}).") from exc
    else:
        raise DataError(f"There is no file or folder '{p}'.")
    if not briefs:
        raise DataError("No segment brief was found in the input.", "Give it a segment batch folder with segments.")
    for b in briefs:
        if not isinstance(b, dict) or "name" not in b or "size" not in b:
            raise DataError("Every brief needs at least a name and a size.")
    return briefs


def _task(job: CopyJob, staging: str, n: int, tone: str, language: str, seed: int, choice: str | None) -> dict:
    res = K.generate(job.brief, job.product, job.channel, n=n, tone=tone, language=language, seed=seed + job.index,
                     choice=choice)
    if res["rows"]:
        write_parquet(pd.DataFrame(res["rows"]), part_path(staging, "copy", job.index))
    return {"index": job.index, "segment": job.brief["name"], "product": job.product, "channel": job.channel,
            "kept": len(res["rows"]), "blocked": res["blocked"], "backend": res["backend"], "notes": res["notes"],
            "stats": {k: v for k, v in res["stats"].items() if isinstance(v, (int, float)) or v is None}}


def run_copy(briefs: list[dict], out: str | Path, *, products: list[str] | None = None, channels: list[str] | None = None,
             n: int = 5, tone: str = "friendly", language: str = "en", seed: int = 42, backend: str | None = None,
             client: Any = None, progress: Progress | None = None, cancel: CancelToken | None = None, user: Any = None,
             log: bool = True) -> dict:
    """Generate ``n`` checked variants for every (segment, product, channel); writes ``out/copy/`` and the summary."""
    t0 = time.perf_counter()
    products = list(products or K.products())
    channels = list(channels or ["email_subject"])
    jobs = [CopyJob(i, b, p, c) for i, (b, p, c) in enumerate((b, p, c) for b in briefs for p in products for c in channels)]
    if not jobs:
        raise InputError("There is nothing to write: no segment, product or channel.")
    if len(jobs) > MAX_REQUESTS:
        raise InputError(f"{len(jobs):,} requests are more than one batch holds ({MAX_REQUESTS:,}).",
                         "Split the segments or products over several batches.")
    ex = executor(client)
    with Staging(out) as staging:
        done = ex.map(_task, jobs, str(staging.path), n, tone, language, seed, backend, progress=progress, cancel=cancel,
                      label="copy request")
        summary = {"kind": "copy", "requests": len(jobs), "segments": len(briefs), "products": products, "channels": channels,
                   "variants": int(sum(d["kept"] for d in done)), "blocked": int(sum(d["blocked"] for d in done)),
                   "backends": sorted({d["backend"] for d in done}), "executor": ex.name,
                   "batches": sorted(done, key=lambda d: d["index"]), "out": str(Path(out)), "tables": ["copy"],
                   "params": {"n": n, "tone": tone, "language": language, "seed": seed, "backend": backend},
                   "seconds": round(time.perf_counter() - t0, 3)}
        staging.commit(summary)
    if log:
        summary["run_id"] = _log_copy(summary, out, user, seed)
    return summary


def _log_copy(summary: dict, out: str | Path, user: Any, seed: int) -> str | None:
    from core.auth import LOCAL_USER
    from core.errors import WorkspaceError
    from core.workspace import get_workspace

    try:
        return get_workspace().log_run("batch_copy", name=f"Batch copy: {summary['requests']} requests",
                                       params=summary["params"], seed=seed, result={k: v for k, v in summary.items()
                                                                                    if k != "batches"},
                                       artifact=str(out), user=(user or LOCAL_USER).id)
    except WorkspaceError:
        return None
