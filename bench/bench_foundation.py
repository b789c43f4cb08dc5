"""Foundation benchmarks: generator throughput and memory, loading 1M-row Parquet, app start to Home.

Prints one JSON line per figure. Targets (issue 2): 1M customers in <= 10 s and <= 2 GiB peak;
Home rendered <= 10 s after `streamlit run` on a warm install.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import emit, run_child  # noqa: E402

GEN = """
import json, time, resource
t = time.perf_counter()
from core.data.synthetic import generate_portfolio
imp = time.perf_counter() - t
t = time.perf_counter()
ds = generate_portfolio({n}, seed=1)
el = time.perf_counter() - t
print(json.dumps({{"seconds": el, "import_seconds": imp, "rows": ds.n_rows, "cols": ds.frame.shape[1]}}))
"""

LOAD = """
import json, time
import pandas as pd
path = {path!r}
t = time.perf_counter(); raw = pd.read_parquet(path); anchor = time.perf_counter() - t
from core.data.loaders import load_file
data = open(path, "rb").read()
t = time.perf_counter(); ds, notes = load_file("portfolio.parquet", data, 4096); el = time.perf_counter() - t
print(json.dumps({{"seconds": el, "anchor_read_parquet_seconds": anchor, "rows": ds.n_rows, "features": len(ds.features())}}))
"""


def bench_generator(n: int = 1_000_000) -> None:
    result, peak = run_child(GEN.format(n=n))
    emit("generator", rows=result["rows"], columns=result["cols"], seconds=round(result["seconds"], 2),
         rows_per_second=round(result["rows"] / result["seconds"]), peak_rss_gib=round(peak, 2),
         target_seconds=10, target_peak_gib=2.0, meets=result["seconds"] <= 10 and peak <= 2.0)


def bench_parquet(n: int = 1_000_000) -> None:
    from core.data.synthetic import generate_portfolio

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "portfolio.parquet"
        generate_portfolio(n, seed=2).frame.to_parquet(path)
        result, _ = run_child(LOAD.format(path=str(path)))
        emit("load_parquet", rows=result["rows"], file_mib=round(path.stat().st_size / 2**20, 1),
             seconds=round(result["seconds"], 2), anchor_read_parquet_seconds=round(result["anchor_read_parquet_seconds"], 2),
             note="load_file = read + schema inference + validation + fingerprint")


def bench_app_start(runs: int = 2) -> None:
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import launch_browser, start_app, wait_healthy

    times = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        for i in range(runs):
            t0 = time.perf_counter()
            proc, url, _ = start_app(Path(tmp) / "ws", rows=50_000)
            try:
                wait_healthy(url, proc, timeout=120)
                healthy = time.perf_counter() - t0
                ctx = launch_browser(p, Path(tmp) / f"b{i}")
                page = ctx.new_page()
                page.goto(url)
                page.wait_for_selector('[data-testid="stMetricValue"]', timeout=120_000)
                page.wait_for_selector('.js-plotly-plot', timeout=120_000)
                rendered = time.perf_counter() - t0
                ctx.close()
            finally:
                proc.terminate()
                proc.wait(timeout=20)
            times.append({"run": i + 1, "healthy_s": round(healthy, 2), "home_rendered_s": round(rendered, 2)})
    emit("app_start_to_home", default_rows=50_000, runs=times, target_seconds=10,
         meets=all(t["home_rendered_s"] <= 10 for t in times[1:] or times))


if __name__ == "__main__":
    bench_generator()
    bench_parquet()
    bench_app_start()
