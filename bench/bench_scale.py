"""Scale-out bench: N customers written to Parquet, then score + segment + profiles + EL, a scenario, SHAP throughput.

    python bench/bench_scale.py --rows 10000000

Prints one JSON line: rows, partitions, workers, generate_seconds, score_segment_el_seconds (with book_timings and
partition_rows_per_second_per_core beside anchor_predict_rows_per_second_1core, the credit model alone on one
worker measured in the same run), scenario_seconds,
shap_rows_per_second (a background SHAP job over the first file), sample_shap_seconds (the first SHAP view:
5,000 rows), peak_driver_gib and peak_worker_gib (RSS sampled every 0.2 s), parity (the cluster's results equal
the in-memory path on a --parity-rows sample), and the machine load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil


class Sampler:
    """Peak RSS of this process and of the workers, sampled in a thread."""

    def __init__(self, worker_pids: list[int]) -> None:
        self.pids = worker_pids
        self.driver = 0.0
        self.worker = 0.0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        procs = [psutil.Process(p) for p in self.pids]
        while not self._stop.is_set():
            self.driver = max(self.driver, me.memory_info().rss / 2**30)
            for p in procs:
                try:
                    self.worker = max(self.worker, p.memory_info().rss / 2**30)
                except psutil.Error:
                    pass
            time.sleep(0.2)

    def __enter__(self) -> Sampler:
        self._t.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._t.join()

    def cpu(self) -> float:
        """CPU seconds (user + system) the workers have used so far: per-core throughput that a loaded machine
        does not distort (on a shared machine a worker waits for a core; its CPU seconds are what the work costs)."""
        total = 0.0
        for pid in self.pids:
            try:
                t = psutil.Process(pid).cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
        return total


def _anchor(model, frame: pd.DataFrame) -> float:
    """Rows per second of ``model.predict_margin`` on ``frame`` in this (worker) process."""
    t = time.perf_counter()
    model.predict_margin(frame)
    return len(frame) / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--train-rows", type=int, default=50_000)
    ap.add_argument("--rows-per-file", type=int, default=500_000)
    ap.add_argument("--parity-rows", type=int, default=20_000)
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--dir", default=None, help="work folder (default: a temporary one, removed at the end)")
    args = ap.parse_args()

    work = Path(args.dir or tempfile.mkdtemp(prefix="bench_scale_"))
    os.environ.setdefault("STUDIO_WORKSPACE_DIR", str(work / "workspace"))
    from core.credit.service import CreditParams, train_or_load
    from core.data.synthetic import generate_portfolio
    from core.scale.adapters import scenarios as S
    from core.scale.book import BookParams, run_book
    from core.scale.engine import close_client, engine_info, get_client, worker_pids
    from core.scale.partitions import open_source, read_head, read_rows, read_table, write_parquet
    from core.scale.scenario import ScenarioParams, run_scenario
    from core.scale.synthetic import write_portfolio

    out: dict = {"bench": "scale", "rows": args.rows, "load_before": os.getloadavg(), "cpus": os.cpu_count()}
    t = time.perf_counter()
    train = generate_portfolio(args.train_rows, seed=7)
    model = train_or_load(train, CreditParams())
    out["train_seconds"] = round(time.perf_counter() - t, 2)
    client = get_client(n_workers=args.workers)
    try:
        info = engine_info(client)
        out["workers"], out["worker_memory_limit_gib"] = info.workers, round(info.memory_gib / max(1, info.workers), 2)
        # the anchor, measured in this run on this (loaded) machine: one single-threaded worker scoring 50,000 rows
        # with the credit model alone (no read, segment, EL or write)
        anchor = client.scatter(generate_portfolio(50_000, seed=8).frame)
        out["anchor_predict_rows_per_second_1core"] = round(client.submit(_anchor, model, anchor, pure=False).result(), 1)
        with Sampler(list(worker_pids(client).values())) as mem:
            t = time.perf_counter()
            gen = write_portfolio(work / "book", args.rows, seed=42, chunk_rows=args.rows_per_file, client=client)
            out["generate_seconds"] = round(time.perf_counter() - t, 2)
            src = open_source(work / "book")
            out["partitions"] = len(src.files)

            t, cpu0, dcpu0 = time.perf_counter(), mem.cpu(), time.process_time()
            book = run_book(src, work / "scored", model=model, segment=True, params=BookParams(k=6), client=client, log=False)
            out["score_segment_el_seconds"] = round(time.perf_counter() - t, 2)
            out["score_segment_el_worker_cpu_seconds"] = round(mem.cpu() - cpu0, 2)
            out["score_segment_el_driver_cpu_seconds"] = round(time.process_time() - dcpu0, 2)
            out["rows_per_worker_cpu_second"] = round(args.rows / max(1e-9, out["score_segment_el_worker_cpu_seconds"]), 1)
            out["book_timings"] = book["timings"]  # sample, fit (driver), partitions (cluster), summary (driver)
            # per core: the partition pass (what grows with the book) over the workers' single-threaded cores
            out["partition_rows_per_second_per_core"] = round(args.rows / book["timings"]["partitions_s"] / out["workers"], 1)
            out["end_to_end_rows_per_second_per_core"] = round(args.rows / out["score_segment_el_seconds"] / out["workers"], 1)
            out["expected_loss"], out["segments"] = book["scores"]["expected_loss"], len(book["segments"])

            t, cpu0 = time.perf_counter(), mem.cpu()
            scn = run_scenario(src, work / "scenario", model=model, scenario=S.scenario("severely_adverse"),
                               params=ScenarioParams(n_draws=args.draws), client=client, log=False)
            out["scenario_seconds"] = round(time.perf_counter() - t, 2)
            out["scenario_worker_cpu_seconds"] = round(mem.cpu() - cpu0, 2)
            out["stressed_var_999"] = scn["stressed"]["var_999"]

            sub = open_source(src.files[0])  # a background SHAP job over the first file
            t, cpu0 = time.perf_counter(), mem.cpu()
            run_book(sub, work / "shap", model=model, params=BookParams(shap=True, rows_per_partition=max(10_000, sub.n_rows // 8)),
                     client=client, log=False)
            out["shap_rows"] = sub.n_rows
            out["shap_rows_per_second"] = round(sub.n_rows / (time.perf_counter() - t), 1)
            out["shap_rows_per_worker_cpu_second"] = round(sub.n_rows / max(1e-9, mem.cpu() - cpu0), 1)

            t = time.perf_counter()
            sample = read_head(src, 5_000, model.feature_names)  # the first view reads the model's columns only
            model.explain(sample)
            out["sample_shap_seconds"] = round(time.perf_counter() - t, 3)

            # parity: the first parity-rows rows, in 3 uneven files, on the cluster and in memory
            head = read_rows(src, 0, min(args.parity_rows, src.n_rows))
            for i, (a, b) in enumerate([(0, len(head) // 3), (len(head) // 3, len(head) // 3 + 7), (len(head) // 3 + 7, len(head))]):
                write_parquet(head.iloc[a:b], work / "parity" / f"part-{i:05d}.parquet")
            p = BookParams(k=6, shap=True, write_shap=True)
            dist = run_book(work / "parity", work / "par_d", model=model, segment=True, params=p, client=client, log=False)
            mem_ = run_book(work / "parity", work / "par_m", model=model, segment=True, params=p, log=False)
            same = all(read_table(work / "par_d", tb).equals(read_table(work / "par_m", tb)) for tb in ("scores", "shap"))
            drop = ("executor", "seconds", "timings", "out")
            same = same and {k: v for k, v in dist.items() if k not in drop} == {k: v for k, v in mem_.items() if k not in drop}
            same = same and np.array_equal(read_table(work / "par_m", "scores")["margin"].to_numpy(), model.predict_margin(head))
            out["parity"] = bool(same)
        out["peak_driver_gib"], out["peak_worker_gib"] = round(mem.driver, 3), round(mem.worker, 3)
        out["generated"] = gen["rows"]
    finally:
        close_client()
        if not args.dir:
            shutil.rmtree(work, ignore_errors=True)
    out["load_after"] = os.getloadavg()
    print(json.dumps(out, default=lambda o: o if not isinstance(o, (np.generic, pd.Timestamp)) else str(o)))


if __name__ == "__main__":
    main()
