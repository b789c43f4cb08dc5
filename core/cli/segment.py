"""``studio segment``: the segmentation page on the command line.

``studio segment PATH [--k K] [--seed N] [--method M] [--features COL ...] [--save] [--offers]
[--response-product P] [--targets PRODUCT [--share S] --out FILE]`` reads the file as the Home
upload does, runs :func:`core.segmentation.service.run_segmentation` (the page's steps) and prints

``{"k", "reason", "suggested_k", "features", "segments": [{"id", "name", "size", "share", ...}], "warning", "votes",
"method", "seed", "silhouette", "sweep": [...], ...}``. With ``--k`` set to another k than the
sweep's, ``reason`` says so before the evidence's sentence (which argues for ``suggested_k``).

``--offers`` adds the per-customer next-best offer's holdout evaluation (the page's *Offers* tab);
``--targets`` writes that product's target list (pseudonymised ids) to ``--out``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from core.cli import args as args_mod
from core.errors import InputError


def load_dataset(path: str):
    """A file read and validated exactly as the Home upload does (CSV or Parquet)."""
    from core.data.loaders import load_file
    from core.settings import get_settings

    p = Path(path)
    if not p.is_file():
        raise InputError(f"There is no file '{path}'.", "Give the path of a CSV or Parquet file.")
    ds, _ = load_file(p.name, p.read_bytes(), get_settings().max_upload_mb)
    return ds


def _segments(res) -> list[dict[str, Any]]:
    flags = res.contradictions()
    out = []
    for s in res.segments:
        offer = res.next_best.get(s)
        rule = res.profile.rules.get(s)
        out.append({
            "id": int(s), "name": res.name(s), "size": int(res.profile.sizes.loc[s, "size"]),
            "share": float(res.profile.sizes.loc[s, "share"]), "rule": rule.text if rule else None,
            "rfm_cell": res.profile.rfm_cells.get(s), "traits": list(res.profile.traits.get(s, [])),
            "mean_pd": float(res.mean_pd[s]) if res.mean_pd is not None and s in res.mean_pd.index else None,
            "segment_offer": offer.product if offer else None, "name_check": flags.get(s, []),
        })
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    from core.segmentation import runs
    from core.segmentation.result import SegmentationParams
    from core.segmentation.service import run_segmentation

    if args.k is not None and not 2 <= args.k <= 50:
        raise InputError(f"--k must be between 2 and 50, not {args.k}.")
    if args.share is not None and not 0 < args.share <= 1:
        raise InputError(f"--share must be between 0 and 1, not {args.share}.")
    if args.targets and not args.out:
        raise InputError("--targets needs --out FILE for the target list.")
    ds = load_dataset(args.path)
    params = SegmentationParams(tuple(args.features or ()), args.method, args.k, args.seed)
    res = run_segmentation(ds, params, sweep=True)
    sw = res.sweep
    out: dict[str, Any] = {
        "k": res.k, "reason": sw.reason_for(res.k) if sw else "",
        "suggested_k": sw.suggested_k if sw else None, "features": list(res.params.features),
        "segments": _segments(res), "warning": res.warning, "votes": dict(sw.choice.votes) if sw and sw.choice else {},
        "method": res.params.method, "seed": res.params.seed, "silhouette": res.metrics.get("silhouette"),
        "sweep": sw.table.to_dict(orient="records") if sw else [], "notes": res.notes,
        "dataset": ds.name, "dataset_fingerprint": ds.fingerprint, "credit": res.credit.message,
    }
    if args.save:
        out["run_id"] = runs.save_run(res, f"{ds.name}: {res.params.method} k={res.k} (CLI)")
    if args.offers or args.targets:
        from core.segmentation.offers.nbo import OfferParams, next_best_offers

        offers = next_best_offers(ds, res, OfferParams(response_product=args.response_product, seed=args.seed))
        out["offers"] = offers.summary()
        if args.targets:
            from core.segmentation.offers.targets import target_list_csv

            data = target_list_csv(ds, res, offers, args.targets, args.share or 0.10)
            try:
                Path(args.out).write_bytes(data)
            except OSError as exc:
                raise InputError(f"The target list could not be written to '{args.out}': {exc.strerror}.") from exc
            out["target_list"] = {"product": args.targets, "path": str(args.out), "bytes": len(data)}
    return out


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("segment", help="Segment the customers of a file (k by consensus, names checked).",
                              description=__doc__)
    p.add_argument("path", help="CSV or Parquet file")
    p.add_argument("--k", type=int, default=None, help="number of segments (default: the sweep's consensus)")
    p.add_argument("--seed", type=args_mod.seed, default=42)
    p.add_argument("--method", choices=("kmeans", "gmm", "hdbscan"), default="kmeans")
    p.add_argument("--features", nargs="+", metavar="COL", help="columns to segment on (default: from the schema's tags)")
    p.add_argument("--save", action="store_true", help="save the run in the workspace (it becomes the current one)")
    p.add_argument("--offers", action="store_true", help="add the per-customer next-best offer's holdout evaluation")
    p.add_argument("--response-product", default=None, metavar="P",
                   help="the catalogue product the file's target records responses to (e.g. term_deposit)")
    p.add_argument("--targets", default=None, metavar="PRODUCT", help="write this product's target list to --out")
    p.add_argument("--share", type=float, default=None, help="target list size as a share of the book (default 0.10)")
    p.add_argument("--out", default=None, metavar="FILE", help="where the target list CSV goes")
    p.set_defaults(func=run)
