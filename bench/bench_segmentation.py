"""Segmentation benchmarks. Prints one JSON line per figure, each with the machine's load average.

Bars (issue 15, on the 2-core machine):

* ``quality``: persona recovery ARI >= 0.85 on the synthetic default with the default method and
  the chosen k (the consensus), ARI at k = 6 beside it, and the same on three other draws of the
  book (data seeds 7, 1, 123: the bar counts as met only when every draw meets it); names unique and consistent with the
  profiles (no contradicted word) for every k = 3..12, and how many names of the same group
  survive a change of k;
* ``mixed``: one-hot with scaling vs k-prototypes vs Gower + k-medoids on persona recovery;
* ``realdata``: ``../shared/data/cc_general.csv`` and ``bank_marketing_full.csv``: chosen k with its
  reason, the profile table and names, and a check that no name holds a raw column token;
* ``offers``: the per-customer next-best offer on ``bank_marketing_full.csv`` (``duration`` left out as
  post-outcome by the schema): AUC and precision in the top 10 % for the model, a logistic benchmark
  and the segment rule, on one holdout in one run (and on the synthetic holdings);
* ``million``: 1M customers x 15 features, k = 6: fit + profile + metrics <= 15 s, peak RSS <= 4 GiB
  (fresh child process; the 1M rows drawn by :func:`light_portfolio`, vectorised float32, so the
  peak is the segmentation path's own: prepare + fit on a sample + assign all + profile + metrics);
* ``page``: a change of k on the 50k default (core calls and the whole page through AppTest).

Every run calls :func:`core.runtime.threads.configure_threads` as the product does (``STUDIO_THREADS``).
Usage: python bench/bench_segmentation.py [PART[,PART...]|all]  (parts: quality, mixed, realdata, offers, million,
page; ``bars`` = quality,realdata,offers,million: every bar of the issue in one run)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench._common import ROOT, emit, run_child  # noqa: E402

SHARED = next((p / "shared" / "data" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared" / "data").exists()),
              ROOT.parent / "shared" / "data")  # beside the checkout, or beside the worktrees' folder
FEATURES_15 = ["age", "annual_income", "tenure_months", "checking_balance", "savings_balance", "card_limit",
               "card_utilisation", "txn_recency_days", "txn_count_90d", "txn_amount_90d", "digital_share", "n_products",
               "credit_score", "debt_to_income", "card_balance"]


def load() -> dict:
    """The machine's load beside every figure: the load average and the ``uptime`` line itself."""
    try:
        uptime = subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        uptime = ""
    return {"load_avg": [round(x, 2) for x in os.getloadavg()], "uptime": uptime, "cpus": os.cpu_count(),
            "threads": os.environ.get("STUDIO_THREADS", "0"), "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "")}


def _configure() -> None:
    from core.runtime.threads import configure_threads

    configure_threads()


def _load_file(name: str):
    from core.data.loaders import load_file

    path = SHARED / name
    ds, _ = load_file(path.name, path.read_bytes(), 200)
    return ds


# ---- quality ------------------------------------------------------------------------------------
def bench_quality() -> None:
    import numpy as np
    from sklearn.metrics import adjusted_rand_score

    from core.data.synthetic import generate_portfolio
    from core.segmentation import service
    from core.segmentation.naming import match_segments, name_key

    ds = generate_portfolio()
    truth = ds.truth["persona"]
    t = time.perf_counter()
    prep = service.prepare(ds, None, 42)
    sw = service.run_sweep(prep, "kmeans", 42, dataset=ds)
    sweep_s = time.perf_counter() - t
    chosen = service.segment(ds, prep, "kmeans", None, 42, sweep=sw)
    ari = adjusted_rand_score(truth, chosen.labels)
    per_k, prev, kept, pairs_total = {}, None, 0, 0
    for k in range(3, 13):
        r = service.segment(ds, prep, "kmeans", k, 42, sweep=sw)
        names = [r.names[s] for s in r.segments]
        unique = len({name_key(n) for n in names}) == len(names)
        contradicted = {r.names[s]: m for s, m in r.contradictions().items()}
        numbered = sum(bool(re.search(r"\(\d+\)$", n)) for n in names)
        same = None
        if prev is not None:
            pairs = match_segments(prev.labels, r.labels)
            same = sum(prev.names[p] == r.names[c] for c, p in pairs.items())
            kept += same
            pairs_total += len(pairs)
        per_k[k] = {"ari": round(adjusted_rand_score(truth, r.labels), 3), "unique": unique, "contradicted": contradicted,
                    "numbered": numbered, "same_group_same_name": same, "names": names}
        prev = r
    ari6 = per_k[6]["ari"]
    emit("persona_recovery", rows=ds.n_rows, method="kmeans", features=list(prep.features), chosen_k=chosen.k,
         reason=sw.reason, votes=sw.choice.votes, warning=sw.warning, ari_chosen_k=round(ari, 3), ari_k6=ari6,
         target=0.85, meets=ari >= 0.85, sweep_seconds=round(sweep_s, 1),
         sweep=json.loads(sw.table.round(3).to_json(orient="records")),
         crosstab={str(p): {int(c): int(v) for c, v in row.items()}
                   for p, row in __import__("pandas").crosstab(truth.astype(str), chosen.labels).iterrows()},
         names_chosen={int(s): n for s, n in chosen.names.items()}, **load())
    emit("names_across_k", ks="3..12", all_unique=all(v["unique"] for v in per_k.values()),
         contradicted_names=sum(len(v["contradicted"]) for v in per_k.values()),
         numbered_names=sum(v["numbered"] for v in per_k.values()),
         same_group_kept_name=f"{kept}/{pairs_total}", per_k=per_k,
         meets=all(v["unique"] and not v["contradicted"] for v in per_k.values()), **load())
    # the same check on other draws of the synthetic book: a bar met at one seed only is not met
    per_seed = {}
    for dseed in (7, 1, 123):
        other = generate_portfolio(seed=dseed)
        p2 = service.prepare(other, None, 42)
        sw2 = service.run_sweep(p2, "kmeans", 42, dataset=other)
        ch2 = service.segment(other, p2, "kmeans", None, 42, sweep=sw2)
        r6 = service.segment(other, p2, "kmeans", 6, 42, sweep=sw2)
        per_seed[dseed] = {"chosen_k": ch2.k, "ari_chosen_k": round(adjusted_rand_score(other.truth["persona"], ch2.labels), 3),
                           "ari_k6": round(adjusted_rand_score(other.truth["persona"], r6.labels), 3),
                           "votes": sw2.choice.votes}
    emit("persona_recovery_other_seeds", data_seeds=per_seed, target=0.85,
         meets=ari >= 0.85 and all(v["ari_chosen_k"] >= 0.85 for v in per_seed.values()), **load())
    for method in ("gmm", "hdbscan"):
        r = service.segment(ds, service.prepare(ds, None, 42), method, 6, 42)
        emit(f"persona_recovery_{method}", k=6, ari=round(adjusted_rand_score(truth, r.labels), 3),
             segments=len(r.segments), seconds=round(r.seconds, 2), **load())
    assert np is not None


# ---- mixed types --------------------------------------------------------------------------------
def bench_mixed() -> None:
    from seg_mixed import gower_kmedoids, k_prototypes, split_numeric_categorical
    from sklearn.metrics import adjusted_rand_score

    from core.data.synthetic import generate_portfolio
    from core.segmentation import service
    from core.segmentation.cluster import Segmenter

    ds = generate_portfolio()
    truth = ds.truth["persona"]
    feats = service.default_features(ds)
    cat = [c for c in feats if ds.schema.roles[c] == "categorical"]
    num = [c for c in feats if c not in cat]
    rows = {}
    for seed in (42, 7, 1):
        t = time.perf_counter()
        onehot = Segmenter("kmeans", 6, seed).fit_predict(service.prepare(ds, feats, seed).X)
        t_onehot = time.perf_counter() - t
        t = time.perf_counter()
        numeric_only = Segmenter("kmeans", 6, seed).fit_predict(service.prepare(ds, num, seed).X)
        t_num = time.perf_counter() - t
        N, C = split_numeric_categorical(ds.frame, num, cat, seed)
        t = time.perf_counter()
        kp = k_prototypes(N, C, 6, seed)
        t_kp = time.perf_counter() - t
        t = time.perf_counter()
        gw = gower_kmedoids(N, C, 6, seed)
        t_gw = time.perf_counter() - t
        for name, lab, secs in (("onehot_scaled_kmeans", onehot, t_onehot), ("numeric_only_kmeans", numeric_only, t_num),
                                ("k_prototypes", kp, t_kp), ("gower_kmedoids", gw, t_gw)):
            rows.setdefault(name, []).append((round(adjusted_rand_score(truth, lab), 3), round(secs, 1)))
    summary = {m: {"ari_by_seed": [a for a, _ in v], "mean_ari": round(sum(a for a, _ in v) / len(v), 3),
                   "seconds_by_seed": [s for _, s in v]} for m, v in rows.items()}
    winner = max(summary, key=lambda m: summary[m]["mean_ari"])
    emit("mixed_types_persona_recovery", k=6, numeric=num, categorical=cat, methods=summary, winner=winner,
         product_uses="onehot_scaled_kmeans", **load())


# ---- real data ----------------------------------------------------------------------------------
def _raw_tokens(columns: list[str]) -> set[str]:
    """Column-name words that the naming vocabulary never says (a name holding one reads as a column)."""
    from core.segmentation.vocabulary import default_vocabulary

    vocab = default_vocabulary()
    said = set()
    for p in vocab.phrases(vocab.meanings(columns)):
        said |= set(re.split(r"[\s\-]+", p.text.lower()))
    for c in vocab.concepts:
        said |= set(re.split(r"[\s\-]+", c.label.lower())) - {""}  # graded names join a rank to the label
        for w in (c.high, c.low, *c.levels.values()):
            for t in (w.get("adj"), w.get("noun")):
                if t:
                    said |= set(re.split(r"[\s\-]+", t.lower()))
    tokens = set()
    for c in columns:
        tokens |= {t for t in re.split(r"[_\s\-]+", re.sub(r"(?<=[a-z])(?=[A-Z])", "_", c).lower()) if t}
    return tokens - said


def bench_realdata() -> None:
    from core.segmentation.result import SegmentationParams
    from core.segmentation.service import run_segmentation

    for name in ("cc_general.csv", "bank_marketing_full.csv"):
        if not (SHARED / name).exists():
            emit(f"realdata_{name}", skipped=f"{SHARED / name} not found")
            continue
        ds = _load_file(name)
        t = time.perf_counter()
        r = run_segmentation(ds, SegmentationParams(seed=42))
        secs = time.perf_counter() - t
        raw = _raw_tokens(list(ds.frame.columns))
        hits = {r.name(s): sorted(w for w in re.split(r"[\s\-]+", r.name(s).lower()) if w in raw) for s in r.segments}
        table = r.profile_table().round(2)
        emit(f"realdata_{name.split('.')[0]}", rows=ds.n_rows, features=list(r.params.features), chosen_k=r.k,
             reason=r.sweep.reason, warning=r.warning, seconds=round(secs, 1),
             names={int(s): r.name(s) for s in r.segments}, raw_tokens_in_names={n: h for n, h in hits.items() if h},
             meets=not any(hits.values()), contradicted=r.contradictions(),
             rules={int(s): x.text for s, x in r.profile.rules.items()},
             profile=json.loads(table.reset_index(names="segment").to_json(orient="records")), **load())


# ---- offers -------------------------------------------------------------------------------------
def _offer_rows(off) -> list[dict]:
    keep = ["product", "base_rate", "holdout_rows", "model_auc", "logistic_auc", "segment_rule_auc", "model_precision",
            "logistic_precision", "segment_rule_precision", "model_lift", "logistic_lift", "segment_rule_lift"]
    return json.loads(off.evaluation[keep].round(4).to_json(orient="records"))


def bench_offers() -> None:
    from core.segmentation.offers.nbo import OfferParams, next_best_offers
    from core.segmentation.result import SegmentationParams
    from core.segmentation.service import run_segmentation

    if (SHARED / "bank_marketing_full.csv").exists():
        ds = _load_file("bank_marketing_full.csv")
        seg = run_segmentation(ds, SegmentationParams(seed=42))
        t = time.perf_counter()
        off = next_best_offers(ds, seg, OfferParams(response_product="term_deposit", seed=42))
        secs = time.perf_counter() - t
        ev = off.evaluation.iloc[0]
        emit("next_best_offer_bank_marketing", rows=ds.n_rows, target=ds.schema.target, features=list(off.features),
             duration_used="duration" in off.features, segments=seg.k, holdout_rows=int(ev["holdout_rows"]),
             auc={"model": round(ev["model_auc"], 4), "logistic": round(ev["logistic_auc"], 4),
                  "segment_rule": round(ev["segment_rule_auc"], 4)},
             precision_at_10pct={"model": round(ev["model_precision"], 4), "logistic": round(ev["logistic_precision"], 4),
                                 "segment_rule": round(ev["segment_rule_precision"], 4)},
             lift_at_10pct={"model": round(ev["model_lift"], 2), "logistic": round(ev["logistic_lift"], 2),
                            "segment_rule": round(ev["segment_rule_lift"], 2)},
             base_rate=round(ev["base_rate"], 4), seconds=round(secs, 1), **load())
    from core.data.synthetic import generate_portfolio

    ds = generate_portfolio()
    seg = run_segmentation(ds, SegmentationParams(seed=42))
    t = time.perf_counter()
    off = next_best_offers(ds, seg, OfferParams(seed=42))
    emit("next_best_offer_synthetic_holdings", rows=ds.n_rows, segments=seg.k, products=_offer_rows(off),
         offers=off.offer_counts().to_dict(orient="records"), notes=list(off.notes),
         seconds=round(time.perf_counter() - t, 1), **load())


# ---- scale --------------------------------------------------------------------------------------
def light_portfolio(n: int, seed: int = 3):
    """A 1M-row book of the 15 bench features, drawn straight from the personas (vectorised numpy, float32).

    The panel generator (:func:`core.data.synthetic.generate_portfolio`) simulates quarters of history
    and peaks far above what segmentation itself needs; this draw keeps the child's peak RSS the
    segmentation path's own. Same persona centres and the synthetic schema (roles, tags, semantics).
    """
    import numpy as np
    import pandas as pd

    from core.data.dataset import Dataset
    from core.data.synthetic import default_schema
    from core.data.synthetic_customers import PERSONA_NAMES, PERSONAS

    rng = np.random.default_rng(seed)
    share = np.array([PERSONAS[k]["share"] for k in PERSONA_NAMES])
    persona = rng.choice(len(PERSONA_NAMES), size=n, p=share / share.sum()).astype(np.int8)

    def per(key: str, j: int | None = None) -> np.ndarray:
        v = np.array([PERSONAS[k][key] if j is None else PERSONAS[k][key][j] for k in PERSONA_NAMES], np.float32)
        return v[persona]

    def lognormal(median: np.ndarray, sigma: float) -> np.ndarray:
        return (median * np.exp(sigma * rng.standard_normal(n, dtype=np.float32))).astype(np.float32)

    def holds(product: str) -> np.ndarray:
        p = np.array([PERSONAS[k]["products"][product] for k in PERSONA_NAMES], np.float32)[persona]
        return (rng.random(n, dtype=np.float32) < p).astype(np.float32)

    f32 = np.float32
    cols: dict[str, np.ndarray] = {"customer_id": np.arange(1, n + 1, dtype=np.int64)}
    cols["age"] = np.clip(per("age", 0) + per("age", 1) * rng.standard_normal(n, dtype=f32), per("age", 2),
                          per("age", 3)).round()
    cols["annual_income"] = lognormal(per("income"), 0.35).round()
    cols["tenure_months"] = np.maximum(1, rng.gamma(2.0, per("tenure") / 2.0).astype(f32)).round()
    h_sav, h_cc = holds("savings"), holds("credit_card")
    n_products = holds("checking") + h_sav + h_cc + sum(holds(p) for p in ("personal_loan", "auto_loan", "mortgage",
                                                                            "heloc", "cd"))
    cols["checking_balance"] = lognormal(per("checking"), 0.6).round(2)
    cols["savings_balance"] = (lognormal(per("savings"), 0.7) * h_sav).round(2)
    cols["card_limit"] = ((lognormal(per("limit"), 0.35) / 100).round() * 100 * h_cc).astype(f32)
    util = (rng.beta(per("util", 0), per("util", 1)).astype(f32).clip(0, 0.99) * h_cc).round(3)
    cols["card_utilisation"] = util
    cols["txn_recency_days"] = rng.poisson(per("recency")).astype(f32)
    cols["txn_count_90d"] = rng.poisson(per("txn") * rng.gamma(8.0, 1 / 8.0, n).astype(f32)).astype(f32)
    cols["txn_amount_90d"] = lognormal(per("spend"), 0.45).round(2)
    cols["digital_share"] = rng.beta(per("digital", 0), per("digital", 1)).astype(f32).round(3)
    cols["n_products"] = n_products.astype(f32)
    cols["credit_score"] = np.clip(per("score") + 45 * rng.standard_normal(n, dtype=f32), 300, 850).round()
    cols["debt_to_income"] = lognormal(np.full(n, 0.25, f32), 0.5).round(3)
    cols["card_balance"] = (util * cols["card_limit"]).round(2)
    frame = pd.DataFrame(cols)
    truth = pd.DataFrame({"persona": pd.Categorical.from_codes(persona, categories=list(PERSONA_NAMES))})
    return Dataset.build("Synthetic 1M (bench draw)", frame, default_schema(frame), f"bench:light:n={n},seed={seed}",
                         truth)


MILLION = """
import json, time, resource
from core.runtime.threads import configure_threads
threads = configure_threads()
from bench.bench_segmentation import light_portfolio
from core.segmentation import service
from core.segmentation.links import CreditView
def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
def now_rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**30
t = time.perf_counter(); ds = light_portfolio({n}, seed=3); gen = time.perf_counter() - t
rss_data, data_now = rss(), now_rss()
credit = CreditView(None, "bench: no credit model")
t = time.perf_counter()
prep = service.prepare(ds, {features!r}, 42)
t_prep = time.perf_counter() - t
rss_prep = rss()
res = service.segment(ds, prep, "kmeans", 6, 42, credit=credit)
total = time.perf_counter() - t
rss_seg = rss()
t = time.perf_counter(); sw = service.run_sweep(prep, "kmeans", 42); t_sweep = time.perf_counter() - t
print(json.dumps({{"rows": ds.n_rows, "features": len(prep.features), "generate_seconds": gen, "prepare_seconds": t_prep,
                  "fit_profile_metrics_seconds": total, "segment_seconds": res.seconds, "sweep_seconds": t_sweep,
                  "suggested_k": sw.suggested_k, "silhouette": res.metrics.get("silhouette"), "threads": threads,
                  "fit_rows": res.metrics["fit_rows"], "metrics_rows": res.metrics.get("metrics_rows"),
                  "rss_after_data_gib": rss_data, "rss_resident_after_data_gib": data_now,
                  "peak_rss_after_prepare_gib": rss_prep, "peak_rss_after_segment_gib": rss_seg,
                  "peak_rss_after_sweep_gib": rss(), "sizes": res.profile.sizes["size"].tolist()}}))
"""


def bench_million(n: int = 1_000_000) -> None:
    result, peak = run_child(MILLION.format(n=n, features=FEATURES_15))
    secs = result["fit_profile_metrics_seconds"]
    emit("segmentation_1m", rows=result["rows"], features=result["features"], k=6,
         fit_profile_metrics_seconds=round(secs, 2), prepare_seconds=round(result["prepare_seconds"], 2),
         sweep_seconds=round(result["sweep_seconds"], 2), suggested_k=result["suggested_k"],
         fit_rows=result["fit_rows"], metrics_rows=result["metrics_rows"], threads_used=result["threads"],
         silhouette=round(result["silhouette"], 3), generate_seconds=round(result["generate_seconds"], 2),
         peak_rss_gib=round(peak, 2), rss_after_data_gib=round(result["rss_after_data_gib"], 2),
         rss_resident_after_data_gib=round(result["rss_resident_after_data_gib"], 2),
         peak_rss_after_prepare_gib=round(result["peak_rss_after_prepare_gib"], 2),
         peak_rss_after_segment_gib=round(result["peak_rss_after_segment_gib"], 2),
         peak_rss_after_sweep_gib=round(result["peak_rss_after_sweep_gib"], 2), data="light_portfolio (bench draw)",
         target_seconds=15, target_peak_gib=4.0,
         meets=secs <= 15 and result["peak_rss_after_segment_gib"] <= 4.0, **load())


def bench_page(n: int = 50_000) -> None:
    """A change of k on the 50k default: the core calls the page makes, then the whole page."""
    from core.data.synthetic import generate_portfolio
    from core.segmentation import service
    from core.segmentation.links import credit_view

    ds = generate_portfolio(n, seed=42)
    t = time.perf_counter()
    prep = service.prepare(ds, None, 42)
    sw = service.run_sweep(prep, "kmeans", 42, dataset=ds)
    first = time.perf_counter() - t
    credit = credit_view(ds)
    core_times = {}
    for k in (4, 7, 8, 5, 6):
        t = time.perf_counter()
        service.segment(ds, prep, "kmeans", k, 42, sweep=sw, credit=credit)
        core_times[k] = round(time.perf_counter() - t, 3)
    os.environ["STUDIO_DEFAULT_ROWS"] = str(n)
    os.environ.setdefault("STUDIO_WORKSPACE_DIR", str(ROOT / "bench" / "out" / "ws_seg"))
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "segmentation.py"), default_timeout=900)
    t = time.perf_counter()
    at.run()
    page_first = time.perf_counter() - t
    page_times = {}
    for k in (4, 7, 8, 5):
        at.select_slider(key="seg_k").set_value(k)
        t = time.perf_counter()
        at.run()
        page_times[k] = round(time.perf_counter() - t, 3)
        assert not at.exception, at.exception
    worst_core, worst_page = max(core_times.values()), max(page_times.values())
    emit("segmentation_page_k_change", rows=n, first_prepare_and_sweep_seconds=round(first, 2),
         core_segment_seconds_by_k=core_times, page_first_run_seconds=round(page_first, 2),
         page_rerun_seconds_by_k=page_times, worst_core_seconds=worst_core, worst_page_seconds=worst_page,
         target_seconds=2.0, meets=worst_page <= 2.0,
         note="page re-run = AppTest script run with warm caches (sweep, map, credit cached; segment recomputed)", **load())


if __name__ == "__main__":
    which = set((sys.argv[1] if len(sys.argv) > 1 else "all").replace("bars", "quality,realdata,offers,million")
                .split(","))
    _configure()
    parts = {"quality": bench_quality, "mixed": bench_mixed, "realdata": bench_realdata, "offers": bench_offers,
             "million": bench_million, "page": bench_page}
    unknown = which - set(parts) - {"all"}
    if unknown:
        sys.exit(f"unknown part(s) {sorted(unknown)}; use {', '.join(parts)}, bars or all")
    emit("load_at_start", **load())
    for name, fn in parts.items():
        if name in which or "all" in which:
            fn()
    emit("load_at_end", **load())
