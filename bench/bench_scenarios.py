"""Risk-scenario benchmarks (issue 14). Prints one JSON line per figure, with the load average beside it.

1. ``fidelity``: German credit, the embedded default (its history) and the 30k card stand-in
   (bench/card_standin.py): our VAE, our GAN and our Gaussian copula on the generator's own
   train/held-out split: quality score (ours; SDMetrics' QualityReport on the same rows from
   ``.venv-bench`` when it exists, with the absolute difference), XGBoost detection AUC (3-fold),
   TSTR, training CPU and wall seconds, with SDV's GaussianCopula and TVAE on the same rows in the same run
   (``sdv`` family; installed by ``make bench``, never a product dependency) and each generator's training CPU
   time against SDV's GaussianCopula (``cpu_vs_sdv_copula``, the bar's reference: <= 5).
2. ``default``: generator training on the 50k default, sampling throughput, a scenario run and a
   re-run with a moved slider, the coherence grid and the preset order, early-warning lift.

Targets: detection <= 0.75 (German, default), <= 0.80 (card stand-in); QualityReport >= 0.95
(default), >= 0.92 (German); training <= 15 s on the 50k default on a quiet CPU; sampling >= 250k
rows/s; scenario run <= 10 s, re-run <= 3 s. The machine may be shared: read the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore")

from bench._common import emit  # noqa: E402

GERMAN = ROOT.parent / "shared" / "data" / "german_credit.csv"
if not GERMAN.exists():
    GERMAN = Path("/work/shared/data/german_credit.csv")
BENCH_VENV = ROOT / ".venv-bench" / "bin" / "python"


def load() -> float:
    return round(os.getloadavg()[0], 2)


def anchor_seconds() -> float:
    """A fixed CPU workload timed now (the best of 2), printed beside every speed figure.

    20 Adam steps of a 2x192 SiLU MLP on a (512, 64) batch and 5 (1024, 1024) float32 matmuls:
    the shape of what the generator does. A figure divided by the anchor is comparable across
    loaded and quiet runs of the same machine.
    """
    import torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 192), torch.nn.SiLU(), torch.nn.Linear(192, 192), torch.nn.SiLU(),
                              torch.nn.Linear(192, 64))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.randn(512, 64)
    a = torch.randn(1024, 1024)
    best = float("inf")
    for _ in range(2):
        t0 = time.perf_counter()
        for _ in range(20):
            opt.zero_grad()
            loss = ((net(x) - x) ** 2).mean()
            loss.backward()
            opt.step()
        with torch.inference_mode():
            for _ in range(5):
                a @ a
        best = min(best, time.perf_counter() - t0)
    return round(best, 3)


def _datasets(only: list[str]):
    import pandas as pd

    from core.data.loaders import build_dataset
    from core.data.synthetic import generate_portfolio

    out = {}
    if "german" in only and GERMAN.exists():
        frame = pd.read_csv(GERMAN)
        ds, _ = build_dataset("german_credit", frame, "bench:german", target="class")
        out["german_credit"] = ds
    if "default" in only:
        out["embedded_default"] = generate_portfolio(50_000, 42)
    if "card" in only:
        from bench.card_standin import CATEGORICAL, TARGET, card_standin

        frame = card_standin(30_000, 0)
        for c in CATEGORICAL:
            frame[c] = frame[c].astype(str)
        ds, _ = build_dataset("card_standin", frame, "bench:card", target=TARGET)
        out["card_standin"] = ds
    return out


class SDVBaseline:
    """SDV's GaussianCopula or TVAE (Business Source License: a benchmark only, never in the product), fitted on
    the same training rows as ours, with SDV's own defaults unless ``epochs`` is given for TVAE."""

    def __init__(self, kind: str, seed: int = 0, epochs: int | None = None) -> None:
        self.kind, self.seed, self.epochs = kind, seed, epochs

    def fit(self, train, cats):
        from sdv.metadata import Metadata
        from sdv.single_table import GaussianCopulaSynthesizer, TVAESynthesizer

        self.cats, self.dtypes = list(cats), train.dtypes
        self.levels = {c: {str(v): v for v in train[c].dropna().unique()} for c in self.cats}
        data = train.astype({c: str for c in self.cats})
        md = Metadata.load_from_dict({"tables": {"t": {"columns": {
            c: {"sdtype": "categorical" if c in self.cats else "numerical"} for c in data.columns}}}})
        import numpy as np
        import torch

        np.random.seed(self.seed)
        torch.manual_seed(self.seed)
        if self.kind == "sdv_copula":
            self.model = GaussianCopulaSynthesizer(md)
        else:
            self.model = TVAESynthesizer(md, **({"epochs": self.epochs} if self.epochs else {}))
        self.model.fit({"t": data})  # SDV 2.0's single-table synthesizers take {table name: frame}
        return self

    def sample(self, n: int, seed: int = 1):
        import numpy as np
        import torch

        np.random.seed(seed)
        torch.manual_seed(seed)
        out = self.model.sample(n)
        out = out["t"] if isinstance(out, dict) else out
        for c in self.cats:
            out[c] = out[c].astype(str).map(self.levels[c])
        return out.astype({c: t for c, t in self.dtypes.items() if c not in self.cats}, errors="ignore")


def _sdv_available() -> bool:
    try:
        import sdv  # noqa: F401
    except ImportError:
        return False
    return True


def _sdmetrics_cross_check(real, syn, cats) -> float | None:
    """Our quality score minus SDMetrics' QualityReport on the same rows (in this venv or .venv-bench), or None."""
    try:
        from sdmetrics.reports.single_table import QualityReport
    except ImportError:
        QualityReport = None
    if QualityReport is not None:
        import pandas as pd

        meta = {"columns": {c: {"sdtype": "categorical" if c in cats or not pd.api.types.is_numeric_dtype(real[c])
                                or pd.api.types.is_bool_dtype(real[c]) else "numerical"} for c in real.columns}}
        q = QualityReport()
        q.generate(real, syn, meta, verbose=False)
        return float(q.get_score())
    if not BENCH_VENV.exists():
        return None
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        real.to_pickle(f"{tmp}/r.pkl")
        syn.to_pickle(f"{tmp}/s.pkl")
        code = ("import pandas as pd, json, warnings; warnings.simplefilter('ignore');"
                "from sdmetrics.reports.single_table import QualityReport;"
                f"r=pd.read_pickle('{tmp}/r.pkl'); s=pd.read_pickle('{tmp}/s.pkl'); cats=set({sorted(cats)!r});"
                "m={'columns':{c:{'sdtype':'categorical' if c in cats or not pd.api.types.is_numeric_dtype(r[c]) or "
                "pd.api.types.is_bool_dtype(r[c]) else 'numerical'} for c in r.columns}};"
                "q=QualityReport(); q.generate(r, s, m, verbose=False); print(json.dumps(q.get_score()))")
        out = subprocess.run([str(BENCH_VENV), "-c", code], capture_output=True, text=True)
        return float(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else None


def bench_fidelity(only: list[str], families: list[str], tvae_epochs: int | None = None) -> None:
    from core.scenarios.copula import GaussianCopula
    from core.scenarios.evaluate import split
    from core.scenarios.fidelity import fidelity_report
    from core.scenarios.gan import GANParams, TabularGAN
    from core.scenarios.generator import TabularVAE, VAEParams
    from core.scenarios.generators import generator_columns, training_frame
    from core.scenarios.quality import quality_score

    for name, ds in _datasets(only).items():
        frame, source = training_frame(ds, 0)
        _, cats = generator_columns(ds)
        ref = TabularVAE(VAEParams(seed=0))
        train, hold = split(ds, ref)
        copula_cpu = sdv_copula_cpu = None
        sdv = ["sdv_copula", "sdv_tvae"] if _sdv_available() and "sdv" in families else []
        for fam in ["copula", *sdv, *[f for f in families if f != "sdv"]]:
            t0, c0 = time.perf_counter(), time.process_time()
            if fam == "copula":
                model = GaussianCopula(0).fit(train, cats)
            elif fam in ("sdv_copula", "sdv_tvae"):
                model = SDVBaseline(fam, 0, tvae_epochs).fit(train, cats)
            elif fam == "vae":
                model = TabularVAE(VAEParams(seed=0)).fit(frame, cats)
            else:
                model = TabularGAN(GANParams(seed=0)).fit(frame, cats)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            copula_cpu = cpu if fam == "copula" else copula_cpu
            sdv_copula_cpu = cpu if fam == "sdv_copula" else sdv_copula_cpu
            syn = model.sample(min(5000, len(train)), seed=1)
            rep = fidelity_report(train, hold, syn, cats, target=ds.schema.target, positive=ds.schema.positive_label,
                                  semantics=ds.schema.semantics, seed=0, with_privacy=fam != "copula")
            s = rep.scores
            real5 = train.sample(min(5000, len(train)), random_state=0)[list(syn.columns)]
            ours = quality_score(real5, syn[list(real5.columns)], set(cats)).score
            sdm = _sdmetrics_cross_check(real5, syn[list(real5.columns)], cats)
            emit("scenario_fidelity", dataset=name, generator=fam, trained_on=source, rows=len(frame),
                 train_cpu_seconds=round(cpu, 2), train_wall_seconds=round(wall, 2),
                 cpu_vs_copula=round(cpu / copula_cpu, 1) if copula_cpu else None,
                 cpu_vs_sdv_copula=round(cpu / sdv_copula_cpu, 2) if sdv_copula_cpu else None,
                 quality_score=round(s["quality_report"], 4), sdmetrics_quality_report=sdm,
                 quality_abs_diff_vs_sdmetrics=None if sdm is None else abs(ours - sdm),
                 detection_auc=round(s["detection_auc"], 4), tstr_auc=round(s.get("tstr_auc", float("nan")), 4),
                 trtr_auc=round(s.get("trtr_auc", float("nan")), 4), membership_auc=rep.privacy.get("membership_auc"),
                 dcr_ratio=rep.privacy.get("dcr_ratio"), giveaway=list(s.get("giveaway_columns", {}))[:5],
                 checks=rep.checks.head(4).to_dict("records"), load_avg=load())


def bench_default(quick: bool) -> None:
    import numpy as np

    from core.data.synthetic import generate_portfolio
    from core.scenarios.early_warning import early_warning
    from core.scenarios.engine import ScenarioEngine
    from core.scenarios.generator import VAEParams
    from core.scenarios.generators import train_or_load_generator
    from core.scenarios.presets import load_presets
    from core.scenarios.results import ScenarioParams
    from core.scenarios.scorer import ensure_credit_model

    ds = generate_portfolio(20_000 if quick else 50_000, 42)
    anchor = anchor_seconds()
    t0 = time.perf_counter()
    credit = ensure_credit_model(ds)
    credit_s = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    vae = train_or_load_generator(ds, VAEParams(seed=0), log_run=False)
    vae_wall = time.perf_counter() - t0
    emit("scenario_training_default", rows=ds.n_rows, credit_train_seconds=round(credit_s, 1),
         vae_wall_seconds=round(vae_wall, 2), vae_cpu_seconds=round(time.process_time() - c0, 2),
         vae_fit_seconds=round(vae.history_.seconds, 2), epochs=len(vae.history_.train_loss),
         best_epoch=vae.history_.best_epoch, stopped_early=vae.history_.stopped_early, target_seconds_quiet=15,
         meets=vae_wall <= 15, anchor_seconds=anchor, wall_in_anchors=round(vae_wall / anchor, 1), load_avg=load())
    for n in (250_000, 1_000_000):
        vae.sample(10_000, seed=0)
        t0 = time.perf_counter()
        vae.sample(n, seed=1)
        s = time.perf_counter() - t0
        emit("scenario_sampling", rows=n, seconds=round(s, 2), rows_per_second=round(n / s), target=250_000,
             meets=n / s >= 250_000, anchor_seconds=anchor, load_avg=load())
    presets = load_presets()
    engine = ScenarioEngine(ds, vae, credit, presets)
    params = ScenarioParams(n_draws=10_000, seed=7)
    t0 = time.perf_counter()
    first = engine.run(presets.scenario("severely_adverse"), params)
    first_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    engine.run(presets.custom({**presets.scenario("severely_adverse").shocks, "unemployment": 4.0}, 0.10), params)
    rerun_s = time.perf_counter() - t0
    emit("scenario_run", rows=ds.n_rows, first_run_seconds=round(first_s, 2), rerun_seconds=round(rerun_s, 2),
         parts=first.timings, targets={"first": 10, "rerun": 3}, expected_loss_base=round(first.metrics.loc["expected_loss", "baseline"]),
         expected_loss_stressed=round(first.metrics.loc["expected_loss", "stressed"]),
         meets=first_s <= 10 and rerun_s <= 3, anchor_seconds=anchor, load_avg=load())
    fast = ScenarioParams(n_draws=1_000, shap_rows=0, seed=5)
    order = [(s.key, float(engine.run(s, fast).metrics.loc["expected_loss", "stressed"])) for s in presets.by_severity()]
    grid_ok, points = True, 0
    for start in ({}, dict(presets.scenario("severely_adverse").shocks)):
        for key, d in presets.drivers.items():
            end = d.max if d.adverse > 0 else d.min
            values = [-500.0, 0.0, 600.0] if key == "policy_rate" else list(np.linspace(0, end, 4))
            els = [float(engine.run(presets.custom({**start, key: float(v)}), fast).metrics.loc["expected_loss", "stressed"])
                   for v in values]
            points += len(els)
            grid_ok &= all(b >= a * (1 - 1e-9) for a, b in zip(els, els[1:], strict=False))
    emit("scenario_coherence", presets_in_severity_order=[k for k, _ in order],
         expected_loss_by_preset={k: round(v) for k, v in order},
         ordered=all(b > a for (_, a), (_, b) in zip(order, order[1:], strict=False)), grid_points=points,
         monotone=grid_ok, satellite=engine.satellite.table(presets).round(5).to_dict("records"), load_avg=load())
    t0 = time.perf_counter()
    ew = early_warning(ds, credit, vae)
    emit("scenario_early_warning", seconds=round(time.perf_counter() - t0, 1), anchor_seconds=anchor,
         **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in ew.lift.items()}, load_avg=load())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=["fidelity", "default"], default=None)
    ap.add_argument("--data", default="german,default,card", help="fidelity datasets: german, default, card")
    ap.add_argument("--families", default="sdv,vae,gan",
                    help="ours: vae, gan (our copula always runs); sdv: SDV's GaussianCopula and TVAE, when installed")
    ap.add_argument("--tvae-epochs", type=int, default=None, help="SDV TVAE epochs (default: SDV's own, 300)")
    ap.add_argument("--quick", action="store_true", help="a 20k default for the default part")
    args = ap.parse_args()
    import tempfile

    os.environ.setdefault("STUDIO_WORKSPACE_DIR", tempfile.mkdtemp(prefix="bench-scen-"))
    from core.runtime.threads import configure_threads

    configure_threads()
    if args.only in (None, "fidelity"):
        bench_fidelity(args.data.split(","), args.families.split(","), args.tvae_epochs)
    if args.only in (None, "default"):
        bench_default(args.quick)
    print(json.dumps({"bench": "done", "load_avg": load()}))


if __name__ == "__main__":
    main()
