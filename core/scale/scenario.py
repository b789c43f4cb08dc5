"""The scenario batch: stress every customer, rescore, and run the one-factor Monte Carlo from exact bucket sums.

Pass 1 (per partition): each global chunk of :data:`NOISE_CHUNK` rows goes through the scenario
engine's stress as one block (partitions are cut on chunk boundaries, so no chunk is ever split and
the generator's response of a row never depends on the partitioning); baseline and
stressed PD, LGD and EAD are written per row, and exact histograms of PD per product class come
back. The driver turns them into global quantile edges (equal-count PD buckets per class, to the
histogram's resolution). Pass 2 (per partition): per-bucket sums (loss weight, count, expected
loss and defaults, squares, correlation) reduced exactly. The systematic factor and the per-draw
noise are drawn on the driver, once, and the Monte Carlo runs on the bucket sums.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from functools import reduce
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core.errors import InputError
from core.progress import CancelToken, Progress, no_progress, scaled
from core.scale.adapters import credit as C
from core.scale.adapters import data as D
from core.scale.adapters import scenarios as S
from core.scale.common import Input, hashed_sample, probe, row_ids
from core.scale.exact import ExactSums
from core.scale.partitions import Partition, Source, open_source, part_path, plan, read_rows, write_arrow
from core.scale.runner import Staging, executor, log_batch, source_fingerprint

NOISE_CHUNK = 16_384  # rows per stress block: the unit the generator's response is computed on
GRID = np.linspace(-20.0, 20.0, 8193)  # logit grid of the exact PD histograms
PD_GRID = 1.0 / (1.0 + np.exp(-GRID))
SIDES = ("base", "stress")


@dataclass(frozen=True)
class ScenarioParams:
    """What defines a scenario batch besides the scenario itself."""

    n_draws: int = 10_000
    n_buckets: int = 256
    seed: int = 42
    partitions: int | None = None
    rows_per_partition: int | None = None
    sample_rows: int = 20_000
    noise_chunk: int = NOISE_CHUNK  # rows per stress block

    def __post_init__(self) -> None:
        if not 1_000 <= self.n_draws <= 1_000_000:
            raise InputError("Monte Carlo draws must lie between 1,000 and 1,000,000.")
        if not 8 <= self.n_buckets <= 4096:
            raise InputError("PD buckets per class must lie between 8 and 4,096.")

    def to_dict(self) -> dict:
        return asdict(self)


def _hist(p: np.ndarray, cls: np.ndarray) -> np.ndarray:
    """(classes, bins) exact counts of PD on the logit grid."""
    k = len(S.classes())
    idx = np.clip(np.searchsorted(PD_GRID, p, side="right") - 1, 0, len(GRID) - 2)
    return np.bincount(cls.astype(np.int64) * (len(GRID) - 1) + idx, None, k * (len(GRID) - 1)).reshape(k, -1).astype(np.int64)


def stress_task(part: Partition, inp: Input, spec: S.StressSpec, staging: str, chunk_rows: int) -> dict:
    if part.start % chunk_rows:
        raise ValueError("a partition does not start on a stress-block boundary")
    cols = list(dict.fromkeys([*([inp.id_column] if inp.id_column else []), *spec.columns(inp.source.columns)]))
    frame = read_rows(inp.source, part.start, part.stop, cols)
    res = S.stress(spec, frame, chunk_rows)  # stressed block by block, scored in one pass
    rows = {inp.id_column or "row": row_ids(frame, inp.id_column, part.start).to_numpy(), **res}
    write_arrow(pa.Table.from_pandas(pd.DataFrame(rows), preserve_index=False), part_path(staging, "scenario", part.index),
                dictionary=("class",))
    cls = res["class"].astype(np.int64)
    k = len(S.classes())
    money = {}
    for side in SIDES:
        p, lgd, ead = res[f"pd_{side}"], res[f"lgd_{side}"], res["ead"]
        money[side] = ExactSums.of(np.column_stack([p, lgd * ead, p * lgd * ead, ead, p * ead]), cls, k)
    return {"rows": len(frame), "hist": {s: _hist(res[f"pd_{s}"], res["class"]) for s in SIDES}, "money": money}


def edges_from(hist: np.ndarray, n_buckets: int) -> list[np.ndarray]:
    """Per class, the inner PD edges that cut its rows into ``n_buckets`` near-equal-count buckets."""
    out = []
    for h in hist:
        n = int(h.sum())
        if n == 0:
            out.append(np.zeros(0))
            continue
        cum = np.cumsum(h)
        targets = np.arange(1, n_buckets) * n / n_buckets
        j = np.searchsorted(cum, targets, side="left")
        out.append(np.unique(PD_GRID[np.clip(j + 1, 0, len(PD_GRID) - 1)]))
    return out


def bucket_task(part: Partition, staging: str, edges: dict[str, list[np.ndarray]], n_buckets: int) -> dict:
    table = pq.read_table(part_path(staging, "scenario", part.index),
                          columns=["class", "ead", *(f"{c}_{s}" for s in SIDES for c in ("pd", "lgd"))])
    rows = {c: table.column(c).to_numpy() for c in table.column_names}
    cls = rows["class"].astype(np.int64)
    k = len(S.classes())
    out = {}
    for side in SIDES:
        p = np.clip(rows[f"pd_{side}"], 1e-8, 1 - 1e-8)
        w = rows[f"lgd_{side}"] * rows["ead"]
        bucket = np.zeros(len(p), dtype=np.int64)
        for c in range(k):
            sel = cls == c
            bucket[sel] = c * n_buckets + np.searchsorted(edges[side][c], p[sel], side="right")
        rho = S.correlation(cls, p)
        out[side] = ExactSums.of(np.column_stack([w, w * p, p, w * w, rho]), bucket, k * n_buckets)
    return out


def _buckets(sums: ExactSums) -> S.Buckets:
    t = sums.totals()
    return S.Buckets(W=t[:, 0], N=sums.count[:, 0].astype(np.float64), EL=t[:, 1], ED=t[:, 2], W2=t[:, 3], R=t[:, 4])


def run_scenario(source: Source | str | Path, out: str | Path, *, model: Any, scenario: Any, generator: Any = None,
                 params: ScenarioParams | None = None, client: Any = None, schema: Any = None,
                 progress: Progress | None = None, cancel: CancelToken | None = None, user: Any = None,
                 log: bool = True) -> dict:
    """Stress and rescore every row, then the loss distribution; writes ``out/scenario/`` and ``out/summary.json``."""
    t0 = time.perf_counter()
    params = params or ScenarioParams()
    say = progress or no_progress
    src = source if isinstance(source, Source) else open_source(source)
    inp = probe(src, schema)
    parts = plan(src, params.partitions or max(1, len(src.files)), params.rows_per_partition, align=params.noise_chunk)
    ex = executor(client)
    say(0.0, "Drawing the hashed sample")
    sample = hashed_sample(ex, inp, parts, src.columns, params.sample_rows, params.seed, scaled(progress, 0, 0.05), cancel)
    spec = S.prepare(scenario, D.dataset(sample.drop(columns="_row"), "batch sample", inp.schema), model, generator,
                     None, params.seed)
    with Staging(out) as staging:
        say(0.05, f"Stressing and rescoring {len(parts)} partitions")
        first = ex.map(stress_task, parts, inp, ex.broadcast(spec), str(staging.path),
                       params.noise_chunk, progress=scaled(progress, 0.05, 0.8), cancel=cancel, label="stress partition")
        hist = {s: sum(r["hist"][s] for r in first) for s in SIDES}
        money = {s: reduce(lambda a, b: a.merge(b), [r["money"][s] for r in first]) for s in SIDES}
        edges = {s: edges_from(hist[s], params.n_buckets) for s in SIDES}
        say(0.8, "Reducing PD buckets")
        second = ex.map(bucket_task, parts, str(staging.path), edges, params.n_buckets, progress=scaled(progress, 0.8, 0.95),
                        cancel=cancel, label="bucket partition")
        buckets = {s: reduce(lambda a, b: a.merge(b), [r[s] for r in second]) for s in SIDES}
        say(0.95, f"Monte Carlo with {params.n_draws:,} draws")
        factor, noise = S.draws(params.seed, params.n_draws)
        metrics, by_product = {}, []
        for s in SIDES:
            m = money[s]
            book = m.collapse()
            sums = book.totals()[0]
            n = int(book.count[0, 0])
            sim = S.simulate(_buckets(buckets[s]), factor, noise)
            summ = S.summarise(sim["losses"], float(sums[2]), float(sums[3]))
            metrics[s] = {"expected_default_rate": float(sums[0] / max(n, 1)),
                          "exposure_weighted_pd": float(sums[4] / sums[3]) if sums[3] else 0.0,
                          "mean_lgd": float(sums[1] / sums[3]) if sums[3] else 0.0, "expected_loss": summ["expected_loss"],
                          "el_rate": summ["el_rate"], "var_99": summ["var_99"], "var_999": summ["var_999"],
                          "es_99": summ["es_99"], "es_999": summ["es_999"],
                          "default_rate_p99": float(np.quantile(sim["rates"], 0.99)),
                          "asrf_var_999": float(sim["asrf_var_999"]), "exposure": summ["exposure"], "mean_loss": summ["mean_loss"]}
        for c, name in enumerate(S.classes()):
            row: dict[str, Any] = {"product": name, "customers": int(money["base"].count[c, 0])}
            if not row["customers"]:
                continue
            for s in SIDES:
                t = money[s].totals()[c]
                row[f"pd_{s}"] = float(t[0] / row["customers"])
                row[f"el_{s}"] = float(t[2])
            row["exposure"] = float(money["base"].totals()[c, 3])
            by_product.append(row)
        change = {key: metrics["stress"][key] - metrics["base"][key] for key in metrics["base"]}
        summary = {"kind": "scenario", "scenario": scenario.to_dict(), "rows": int(sum(r["rows"] for r in first)),
                   "partitions": len(parts), "executor": ex.name, "params": params.to_dict(), "model": C.fingerprint(model),
                   "generator": getattr(generator, "fingerprint", None), "redrawn": list(spec.dependents),
                   "pinned": sorted({b.column for b in spec.bindings.values() if b.column}), "baseline": metrics["base"],
                   "stressed": metrics["stress"], "change": change, "by_product": by_product,
                   "buckets": {s: int((buckets[s].count[:, 0] > 0).sum()) for s in SIDES}, "input": src.label,
                   "out": str(Path(out)), "input_fingerprint": source_fingerprint(src), "tables": ["scenario"],
                   "seconds": round(time.perf_counter() - t0, 3)}
        staging.commit(summary)
    if log:
        summary["run_id"] = log_batch("scenario", name=f"Batch {scenario.name} on {src.label}", params=params.to_dict(),
                                      seed=params.seed, source=src, summary=summary, out=Path(out), user=user,
                                      model_fingerprint=C.fingerprint(model))
    say(1.0, "Done")
    return summary
