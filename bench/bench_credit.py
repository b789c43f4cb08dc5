"""Credit benchmarks (issues 4 and 12). One JSON line per figure, each with the machine load beside it.

Bars: applicant explanation (SHAP + PD + principal reasons) p95 <= 50 ms; PDP/ICE of one feature on
50k rows <= 2 s; SHAP interaction values on a 2,000-row sample <= 5 s; test AUC on German credit,
bank marketing (without ``duration``) and the synthetic default beside default XGBoost and the
logistic benchmark on the same split, measured in this run; no protected attribute in the features
and no principal reason from a protected, proxy, macro or geographic column.

``--quick`` runs smaller sizes; ``--only-gpu`` the GPU figures (training, interaction values of 100k rows).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench._common import emit as _emit  # noqa: E402

QUICK = "--quick" in sys.argv
ROOT = Path(__file__).resolve().parent.parent
DATA = next((d for d in (ROOT.parent / "shared" / "data", ROOT.parent.parent / "shared" / "data") if d.exists()), None)
# measured with the code before issue 12 (commit 7e91563), same data, same seed, default settings
BEFORE = {"german_credit": 0.7693, "bank_marketing_full": 0.8071, "synthetic_50k": 0.9229}


def emit(name: str, **figures) -> None:
    _emit(name, **figures, load_average=[round(v, 2) for v in os.getloadavg()])


def uptime(when: str) -> None:
    """The machine's ``uptime`` line (load on a shared machine skews every figure: read them beside it)."""
    out = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    print(json.dumps({"bench": "uptime", "when": when, "uptime": out, "cpus": os.cpu_count()}), flush=True)


def _pct(ts: list[float]) -> dict:
    a = np.asarray(ts) * 1000
    return {"p50_ms": round(float(np.percentile(a, 50)), 2), "p95_ms": round(float(np.percentile(a, 95)), 2),
            "max_ms": round(float(a.max()), 2), "n": len(a)}


def _load(name: str, target: str):
    from core.data.loaders import build_dataset
    from core.data.reading import read_csv_bytes

    assert DATA is not None
    ds, _ = build_dataset(name, read_csv_bytes((DATA / f"{name}.csv").read_bytes()), f"file:{name}.csv", target=target)
    return ds


def _default_xgboost(model, ds) -> float:
    """XGBoost with its default parameters on the product model's own train split, scored on its test split."""
    import xgboost as xgb

    from core.credit import metrics as M
    from core.credit.split import TEST, TRAIN

    y = ds.target_vector()
    x = model.encoder.transform(ds.frame)
    tr, te = model.split_labels == TRAIN, model.split_labels == TEST
    dtr = xgb.DMatrix(x[tr], label=y[tr], feature_names=model.encoder.columns, feature_types=model.encoder.feature_types,
                      enable_categorical=model.encoder.encoding == "native")
    # XGBoost's defaults (eta 0.3, depth 6) and the scikit-learn wrapper's 100 rounds
    booster = xgb.train({"objective": "binary:logistic", "tree_method": "hist", "seed": 0}, dtr, num_boost_round=100)
    dte = xgb.DMatrix(x[te], feature_names=model.encoder.columns, feature_types=model.encoder.feature_types,
                      enable_categorical=model.encoder.encoding == "native")
    return M.auc(y[te], booster.predict(dte))


def bench_auc(datasets) -> dict:
    """The AUC table: product defaults, the same with protected attributes in (like the old default), default XGBoost, logistic."""
    from core.credit.params import CreditParams
    from core.credit.training import fit_credit_model

    models = {}
    for name, ds in datasets:
        t = time.perf_counter()
        m = fit_credit_model(ds, CreditParams())
        seconds = time.perf_counter() - t
        protected = [c for c in ds.schema.protected_columns() if c in ds.features()]
        like_for_like = None
        if protected:
            old = fit_credit_model(ds, CreditParams(include_protected={c: "benchmark: the old default" for c in protected}))
            like_for_like = round(old.meta.metrics.xgboost.auc, 4)
        mm = m.meta.metrics
        emit("credit_auc", dataset=name, rows=ds.n_rows, test_auc=round(mm.xgboost.auc, 4),
             logistic_auc=round(mm.logistic.auc, 4), default_xgboost_auc=round(_default_xgboost(m, ds), 4),
             train_auc=round(mm.train_auc, 4), before_issue_12=BEFORE.get(name),
             with_protected_included=like_for_like, protected_kept_out=protected,
             excluded_for_leakage=[c for c, d in m.meta.excluded.items() if "leakage" in d], depth=m.meta.depth,
             n_trees=m.meta.n_trees, split=m.meta.split.how, train_seconds=round(seconds, 1),
             brier=round(mm.xgboost.brier, 4), beats_benchmark=mm.xgboost.auc >= mm.logistic.auc,
             below_benchmark_warning=mm.below_benchmark,
             meets=_meets(mm.xgboost.auc, like_for_like, BEFORE.get(name)))
        models[name] = m
    return models


def _meets(auc: float, like_for_like: float | None, before: float | None) -> bool:
    """At least as good as before: with the defaults, or like for like (the protected attributes in, as before)."""
    if before is None:
        return True
    return auc >= before - 5e-4 or (like_for_like is not None and like_for_like >= before - 5e-4)


def bench_reason_codes(models: dict, datasets) -> None:
    """No protected attribute in the features, no principal reason from a protected, proxy, macro or geographic column."""
    from core.credit.reason_export import export_reasons
    from core.credit.reasons import not_reasons
    from core.credit.scores import score_dataset

    for name, ds in datasets:
        m = models[name]
        banned = not_reasons({c: tuple(t.value for t in ts) for c, ts in ds.schema.tags.items()})
        recs = export_reasons(m, ds, score_dataset(m, ds), m.meta.default_cutoff)
        cited = [r.feature for rec in recs for r in rec.reasons]
        emit("credit_reason_codes", dataset=name, declined=len(recs), reasons=len(cited),
             protected_in_features=sorted(set(m.feature_names) & set(ds.schema.protected_columns())),
             reasons_from_banned_columns=int(sum(c in banned for c in cited)), banned_columns=sorted(banned),
             declined_with_withheld_effects=int(sum(bool(r.withheld) for r in recs)),
             meets=not (set(m.feature_names) & set(ds.schema.protected_columns())) and not any(c in banned for c in cited))


def bench_applicant(model, ds, n: int = 200) -> None:
    from core.credit.global_shap import sample_explanation
    from core.credit.reasons import Reference, not_reasons, reasons_for_row
    from core.credit.whatif import what_if

    rng = np.random.default_rng(0)
    sample = sample_explanation(model, ds.frame, ds.target_vector(), 5000)
    ref = Reference.from_explanation(sample.explanation, sample.pd < model.meta.default_cutoff)
    banned, cats = not_reasons(model.meta.tags), model.encoder.categories
    rows = rng.choice(ds.n_rows, n, replace=False)
    explain_t, whatif_t, explain_cpu = [], [], []
    for i in rows:
        row = ds.frame.iloc[[i]]
        t, c = time.perf_counter(), time.process_time()
        e = model.explain(row)
        model.pd_from_margin(e.output_values)
        reasons_for_row(e.values[0], e.data.iloc[0], e.feature_names, ref, cats, banned)
        explain_t.append(time.perf_counter() - t)
        explain_cpu.append(time.process_time() - c)
        t = time.perf_counter()
        what_if(model, row, {"credit_score": float(row["credit_score"].iloc[0]) + 20, "debt_to_income": 0.3})
        whatif_t.append(time.perf_counter() - t)
    ex, wi = _pct(explain_t), _pct(whatif_t)
    cpu = _pct(explain_cpu)
    emit("credit_applicant_explanation", **ex, cpu_p50_ms=cpu["p50_ms"], cpu_p95_ms=cpu["p95_ms"],
         includes="SHAP + PD + top-4 reasons for one applicant", target_p95_ms=50, meets=ex["p95_ms"] <= 50,
         note="wall time; cpu_* is this process's CPU time (all its threads), a load-independent proxy")
    emit("credit_whatif_rescore", **wi, includes="validate + PD and SHAP before and after", target_p95_ms=50,
         meets=wi["p95_ms"] <= 50)


def bench_counterfactual(model, ds, n: int = 100) -> None:
    from core.credit.counterfactual import find_counterfactual

    cutoff = model.meta.default_cutoff
    p = model.predict_pd(ds.frame)
    declined = np.flatnonzero(p >= cutoff)
    rows = np.random.default_rng(1).choice(declined, min(n, len(declined)), replace=False)
    ts, found, options = [], 0, []
    for i in rows:
        cf = find_counterfactual(model, ds.frame.iloc[[i]], cutoff)
        ts.append(cf.seconds)
        found += cf.found
        options.append(len(cf.options))
    s = _pct(ts)
    emit("credit_counterfactual", **s, rows=ds.n_rows, cutoff=round(cutoff, 4), found_share=round(found / len(rows), 3),
         mean_options=round(float(np.mean(options)), 2), includes="up to three diverse plausible options",
         target_p95_ms=1000, meets=s["p95_ms"] <= 1000)


def bench_first_paint(model, ds) -> None:
    """Core work behind the global view: score every row, exact SHAP on a 5k stratified sample, figures."""
    from core.credit.global_shap import sample_explanation
    from core.credit.scores import score_dataset
    from dashboard import credit_charts as charts

    t = time.perf_counter()
    scores = score_dataset(model, ds)
    sample = sample_explanation(model, ds.frame, scores.y, 5000)
    e = sample.explanation
    charts.importance(e.mean_abs())
    charts.beeswarm(e)
    f = e.mean_abs().index[0]
    charts.dependence(e, f, charts.interaction_partner(e, f))
    el = time.perf_counter() - t
    emit("credit_global_first_paint_core", rows=ds.n_rows, sample_rows=len(e), seconds=round(el, 3),
         shap_sample_seconds=round(sample.seconds, 3), target_seconds=5, meets=el <= 5)


def bench_pdp(model, ds) -> None:
    from core.credit.pdp import partial_dependence

    for feature in ("credit_score", "loan_purpose"):
        runs, cpu = [], []
        for _ in range(3):
            t, c = time.perf_counter(), time.process_time()
            pdp = partial_dependence(model, ds.frame, feature, points=20, ice=50)
            runs.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        emit("credit_pdp_ice", feature=feature, rows=pdp.rows, grid=len(pdp.grid), ice_curves=len(pdp.ice_rows),
             seconds=[round(r, 3) for r in runs], best_seconds=round(min(runs), 3),
             cpu_seconds=[round(r, 3) for r in cpu], target_seconds=2, meets=min(runs) <= 2)


def bench_interactions(model, ds, rows: int = 2000) -> None:
    from core.credit.interactions import interaction_values

    sub = ds.frame.iloc[:rows]
    runs, cpu = [], []
    for _ in range(2):
        t, c = time.perf_counter(), time.process_time()
        iv = interaction_values(model, sub)
        runs.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    t = time.perf_counter()
    ref = model.booster.predict(model.encoder.dmatrix(sub.iloc[:200]), pred_interactions=True)
    xgb_200 = time.perf_counter() - t
    diff = float(np.max(np.abs(iv.values[:200] - ref[:, :-1, :-1])))
    emit("credit_interaction_values", rows=rows, features=len(model.feature_names), n_trees=model.meta.n_trees,
         seconds=[round(r, 3) for r in runs], best_seconds=round(min(runs), 3), cpu_seconds=[round(r, 3) for r in cpu],
         xgboost_pred_interactions_200_rows_seconds=round(xgb_200, 2), max_abs_diff_vs_xgboost=diff,
         target_seconds=5, meets=min(runs) <= 5 and diff < 1e-4)


def bench_gpu() -> None:
    from core.runtime.device import resolve_device

    if resolve_device() != "cuda":
        emit("credit_interactions_100k_gpu", skipped="no CUDA device on this machine")
        return
    from core.credit.interactions import interaction_values
    from core.credit.params import CreditParams
    from core.credit.training import fit_credit_model
    from core.data.synthetic import generate_portfolio

    ds = generate_portfolio(100_000, seed=4)
    t = time.perf_counter()
    model = fit_credit_model(ds, CreditParams(), "cuda")
    train_s = time.perf_counter() - t
    interaction_values(model, ds.frame.iloc[:1000])  # warm-up
    t = time.perf_counter()
    iv = interaction_values(model, ds.frame)
    emit("credit_interactions_100k_gpu", rows=len(iv.values), train_seconds=round(train_s, 2),
         seconds=round(time.perf_counter() - t, 2), n_trees=model.meta.n_trees)


def bench_stored(spec: str) -> None:
    """The speed bars with a model already in the workspace (``FP=PATH``: ``studio credit train PATH`` printed FP)."""
    from core.cli.credit import load_dataset
    from core.credit.store import load_model

    fingerprint, path = spec.split("=", 1)
    model = load_model(fingerprint)
    ds = load_dataset(path)  # as `studio credit train` read it
    emit("credit_stored_model", model=fingerprint, rows=ds.n_rows, features=len(model.feature_names),
         n_trees=model.meta.n_trees, depth=model.meta.depth)
    bench_applicant(model, ds, 200)
    bench_pdp(model, ds)
    bench_interactions(model, ds, 2000)


def main() -> None:
    from core.data.synthetic import generate_portfolio

    uptime("start")
    if "--stored" in sys.argv:
        bench_stored(sys.argv[sys.argv.index("--stored") + 1])
        uptime("end")
        return
    if "--only-gpu" in sys.argv:
        bench_gpu()
        uptime("end")
        return
    n = 10_000 if QUICK else 50_000
    synthetic = generate_portfolio(n, seed=42)
    datasets = [(f"synthetic_{n // 1000}k", synthetic)]
    if DATA is not None:
        datasets = [("german_credit", _load("german_credit", "class")),
                    ("bank_marketing_full", _load("bank_marketing_full", "y")), *datasets]
    models = bench_auc(datasets)
    bench_reason_codes(models, [d for d in datasets if d[0] != "bank_marketing_full"])
    model = models[f"synthetic_{n // 1000}k"]
    bench_applicant(model, synthetic, 50 if QUICK else 200)
    bench_counterfactual(model, synthetic, 20 if QUICK else 100)
    bench_first_paint(model, synthetic)
    bench_pdp(model, synthetic)
    bench_interactions(model, synthetic, 2000)
    bench_gpu()
    uptime("end")


if __name__ == "__main__":
    main()
