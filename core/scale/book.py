"""Batch jobs over a whole book: ``score`` (PD, EL, optional SHAP and reasons) and ``segment`` (assignment + profiles).

Both are one :func:`core.scale.score.book_task` pass over the partitions after the driver has
fitted what must be fitted once (the segmentation on a hashed sample; the reference population of
reason codes on the same sample). Nothing is refitted per partition.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from functools import reduce
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.errors import InputError
from core.progress import CancelToken, Progress, no_progress, scaled
from core.scale.adapters import credit as C
from core.scale.adapters import data as D
from core.scale.adapters import segmentation as G
from core.scale.common import SAMPLE_ROWS, Input, hashed_sample, probe
from core.scale.exact import ExactSums
from core.scale.partitions import Source, open_source, plan
from core.scale.runner import Staging, executor, log_batch, source_fingerprint
from core.scale.score import PD_BINS, BookPartial, BookSpec, book_task


@dataclass(frozen=True)
class BookParams:
    """What the analyst chose for a score or segment batch."""

    cutoff: float = 1 / 6  # cost-based: a bad accepted costs 5x a good declined
    shap: bool = False
    write_shap: bool = False
    el: bool = True
    features: tuple[str, ...] | None = None
    method: str = "kmeans"
    k: int | None = None
    seed: int = 42
    partitions: int | None = None
    rows_per_partition: int | None = None
    sample_rows: int = SAMPLE_ROWS

    def to_dict(self) -> dict:
        d = asdict(self)
        d["features"] = None if self.features is None else list(self.features)
        return d


def _source(source: Source | str | Path) -> Source:
    return source if isinstance(source, Source) else open_source(source)


def run_book(source: Source | str | Path, out: str | Path, *, model: Any = None, segment: bool = False,
             params: BookParams | None = None, client: Any = None, schema: Any = None, segmentation: Any = None,
             progress: Progress | None = None, cancel: CancelToken | None = None, user: Any = None,
             log: bool = True) -> dict:
    """Score and/or segment every row of ``source``; writes ``out/scores/part-*.parquet`` and ``out/summary.json``.

    ``client`` is a Dask client (``None`` runs the same tasks in this process: the in-memory path).
    ``segmentation`` may pass an already fitted segmentation (adapter ``Fitted``) instead of fitting one.
    """
    t0 = time.perf_counter()
    params = params or BookParams()
    if model is None and not segment:
        raise InputError("A score batch needs a credit model.", "Pass --model FINGERPRINT.")
    if model is not None:
        C.check_cutoff(params.cutoff)
    say = progress or no_progress
    src = _source(source)
    inp = probe(src, schema)
    parts = plan(src, params.partitions, params.rows_per_partition)
    ex = executor(client)
    need_sample = (segment and segmentation is None) or (model is not None and params.shap)
    sample = pd.DataFrame()
    if need_sample or segment:
        say(0.0, "Drawing the hashed sample")
        sample = hashed_sample(ex, inp, parts, src.columns, params.sample_rows, params.seed,
                               scaled(progress, 0.0, 0.15), cancel)
    timings = {"sample_s": round(time.perf_counter() - t0, 3)}
    fitted = segmentation
    products: tuple[tuple[str, str], ...] = ()
    if segment:
        sample_ds = D.dataset(sample.drop(columns="_row"), "batch sample", inp.schema)
        products = tuple(G.product_columns(sample_ds).items())
        if fitted is None:
            say(0.15, "Fitting the segmentation on the sample")
            fitted = G.fit(sample_ds, list(params.features or []) or None, params.method, params.k, params.seed)
    ref = rules = None
    if model is not None and params.shap:
        ref = C.reference(model, sample.drop(columns="_row"), params.cutoff)
        rules = C.reason_rules(model)
    spec = BookSpec(inp.schema, inp.id_column, model, fitted if segment else None, params.cutoff, params.shap,
                    params.write_shap, True, ref, el=params.el, products=products, reason_rules=rules)
    timings["fit_s"] = round(time.perf_counter() - t0 - timings["sample_s"], 3)
    with Staging(out) as staging:
        t1 = time.perf_counter()
        say(0.2, f"Processing {len(parts)} partitions")
        partials = ex.map(book_task, parts, inp, ex.broadcast(spec), str(staging.path), progress=scaled(progress, 0.2, 0.97),
                          cancel=cancel, label="partition")
        total: BookPartial = reduce(lambda a, b: a.merge(b), partials)
        timings["partitions_s"] = round(time.perf_counter() - t1, 3)
        t2 = time.perf_counter()
        summary = book_summary(total, spec, inp, sample, model)
        timings["summary_s"] = round(time.perf_counter() - t2, 3)
        summary.update(kind="score" if model is not None else "segment", rows=int(total.rows), partitions=len(parts),
                       executor=ex.name, params=params.to_dict(), input=src.label, out=str(Path(out)),
                       input_fingerprint=source_fingerprint(src), tables=sorted(d.name for d in staging.path.iterdir() if d.is_dir()),
                       seconds=round(time.perf_counter() - t0, 3), timings=timings)
        staging.commit(summary)
    if log:
        kind = summary["kind"]
        summary["run_id"] = log_batch(kind, name=f"Batch {kind} of {src.label}", params=params.to_dict(), seed=params.seed,
                                      source=src, summary={k: v for k, v in summary.items() if k != "segments_detail"},
                                      out=Path(out), user=user, model_fingerprint=C.fingerprint(model) if model else None)
    say(1.0, "Done")
    return summary


def _cells(sums: ExactSums, names: list[str], groups: list[Any]) -> dict:
    means = sums.means()
    return {str(g): {n: float(means[i, j]) for j, n in enumerate(names)} for i, g in enumerate(groups)}


def book_summary(total: BookPartial, spec: BookSpec, inp: Input, sample: pd.DataFrame, model: Any) -> dict:
    """The JSON summary: scores, EL, SHAP and segment profiles from the exact reductions."""
    out: dict[str, Any] = {}
    n = max(total.rows, 1)
    if model is not None:
        book = total.money.collapse()
        sums, counts = book.totals()[0], book.count[0]
        out["model"] = C.fingerprint(model)
        out["cutoff"] = spec.cutoff
        out["scores"] = {"mean_margin": float(book.means()[0, 0]), "mean_pd": float(book.means()[0, 1]),
                         "declined": int(round(sums[2])), "declined_share": float(sums[2] / n), "exposure": float(sums[3]),
                         "expected_loss": float(sums[4]), "el_rate": float(sums[4] / sums[3]) if sums[3] else 0.0,
                         "rows_scored": int(counts[1]),
                         "pd_histogram": {"edges": np.linspace(0, 1, PD_BINS + 1).round(4).tolist(),
                                          "counts": total.pd_hist.astype(int).tolist()}}
    if spec.shap and total.shap_abs is not None:
        names = C.features(model)
        mean_abs = total.shap_abs.means()[0]
        out["shap"] = {"mean_abs": {f: float(v) for f, v in zip(names, mean_abs, strict=True)},
                       "additivity_residual": total.additivity,
                       "reason_codes": dict(total.reason_codes.most_common())}
        if spec.segmentation is not None and total.shap_group is not None:
            groups = [*spec.segmentation.segments, G.NOISE]
            out["shap"]["by_segment"] = {k: v for k, v in _cells(total.shap_group, names, groups).items()
                                         if int(total.shap_group.count[groups.index(int(k)), 0])}
    if spec.segmentation is not None:
        out.update(_segments(total, spec, inp, sample, model))
    return out


def _segments(total: BookPartial, spec: BookSpec, inp: Input, sample: pd.DataFrame, model: Any) -> dict:
    fitted = spec.segmentation
    assert total.raw is not None and total.scaled is not None and total.scaled_sq is not None  # set by every segment task
    segs = [*fitted.segments, G.NOISE]
    G_ = len(segs)
    counts = total.group_rows
    present = [i for i in range(G_) if counts[i] > 0]
    seg_ids = [segs[i] for i in present]
    numeric = list(fitted.numeric)
    raw_means = np.vstack([total.raw.means()[present], total.raw.collapse().means()]) if numeric else np.zeros((len(present) + 1, 0))
    sc = total.scaled
    book = sc.collapse()
    mean_all = book.means()[0]
    std_all = np.zeros(len(numeric))
    if numeric:
        from core.scale.exact import exact_variance

        nn = int(book.count[0, 0])
        for j in range(len(numeric)):
            s2 = total.scaled_sq.exact(0, j)
            std_all[j] = np.sqrt(exact_variance(book.exact(0, j), s2, nn))
    cats = {c: t.reindex(present).fillna(0).set_axis(seg_ids, axis=0) for c, t in total.categories.items()}
    holdings = pd.DataFrame()
    if total.holdings is not None and total.products:
        hm = total.holdings.means()
        holdings = pd.DataFrame(hm[present], index=seg_ids, columns=total.products)
        holdings.loc["all"] = total.holdings.collapse().means()[0]
    red = G.Reduced(seg_ids, counts[present].astype(np.int64), raw_means, sc.means()[present], mean_all, std_all, cats, holdings)
    samp = sample.drop(columns="_row", errors="ignore").reset_index(drop=True)
    labels, _ = G.assign(fitted, samp)
    money = total.money.means() if model is not None else None
    money_sums = total.money.totals() if model is not None else None
    pd_mean: dict[Any, float] | None = None
    if money is not None:
        pd_mean = {int(s): float(money[i, 1]) for i, s in zip(present, seg_ids, strict=True)}
        pd_mean["all"] = float(total.money.collapse().means()[0, 1])
    prof = G.profile(fitted, red, samp, labels, D.semantics(inp.schema), pd_mean)
    names = G.names(prof)
    rows = []
    for i, s in zip(present, seg_ids, strict=True):
        rec: dict[str, Any] = {"id": int(s), "name": names.get(int(s), str(s)), "size": int(counts[i]),
                               "share": float(counts[i] / max(1, total.rows))}
        mean_pd = None
        if money is not None and money_sums is not None:
            mean_pd = float(money[i, 1])
            rec.update(mean_pd=mean_pd, expected_loss=float(money_sums[i, 4]), exposure=float(money_sums[i, 3]))
        rec["means"] = {c: float(v) for c, v in zip(numeric, raw_means[present.index(i)], strict=True)}
        rec["brief"] = G.brief(prof, int(s), rec["name"], holdings, mean_pd, None).to_dict()
        rows.append(rec)
    return {"segmentation": {"method": fitted.method, "k": fitted.k, "features": list(fitted.features),
                             "numeric": numeric, "categorical": list(fitted.categorical), "notes": list(fitted.notes),
                             "sample_rows": int(len(samp)),
                             "book_means": {c: float(v) for c, v in zip(numeric, raw_means[-1], strict=True)}},
            "segments": rows}
