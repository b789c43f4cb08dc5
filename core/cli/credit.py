"""``studio credit``: train a credit model on a file, and print principal reasons per applicant.

* ``studio credit train PATH [--target COL] [--seed N] [--exclude COL ...] [--include-protected COL=REASON ...]
  [--keep COL=REASON ...] [--leakage exclude|warn|error] [--max-depth N] [--trees N]`` prints
  ``{"model", "test_auc", "benchmark_auc", "features", "excluded", "warnings", ...}``; the model is
  stored, logged and becomes the file's current model, exactly as the page's "Train model" does.
* ``studio credit reasons PATH --model FP [--declined-only] [--limit N] [--cutoff P] [--reference approved|all]``
  prints one JSON line per applicant ``{"id", "pd", "decision", "reasons": [{"code", "feature", "text",
  "contribution", ...}], "withheld_effects": {...}}`` through the same code path as the page's
  reason-code export (:func:`core.credit.reason_export.export_reasons`).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core.cli import args as args_mod
from core.errors import InputError


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    out = {}
    for item in values or []:
        column, sep, reason = item.partition("=")
        if not sep or not column.strip() or not reason.strip():
            raise InputError(f"{what} takes COLUMN=REASON, not '{item}'.", "Give the column and why, e.g. age=\"reviewed\".")
        out[column.strip()] = reason.strip()
    return out


def load_dataset(path: str, target: str | None = None):
    """A file read and validated exactly as the Home upload does (CSV or Parquet)."""
    from core.data.loaders import load_file
    from core.settings import get_settings

    p = Path(path)
    if not p.is_file():
        raise InputError(f"There is no file '{path}'.", "Give the path of a CSV or Parquet file.")
    data = p.read_bytes()
    if target is not None:
        from core.data.reading import read_file_bytes

        columns = list(read_file_bytes(p.name, data, get_settings().max_upload_mb).columns)
        if target not in columns:
            raise InputError(f"The file has no column '{target}' to use as the target.",
                             f"Pick one of: {', '.join(map(str, columns[:12]))}.")
    ds, _ = load_file(p.name, data, get_settings().max_upload_mb, target=target)
    return ds


def train(args: argparse.Namespace) -> dict[str, Any]:
    from core import resolver
    from core.auth import LOCAL_USER
    from core.credit.params import CreditParams
    from core.credit.store import train_or_load

    ds = load_dataset(args.path, args.target)
    params = CreditParams(seed=args.seed, exclude=tuple(args.exclude or ()), max_depth=args.max_depth,
                          n_estimators=args.trees, leakage=args.leakage,
                          include_protected=_pairs(args.include_protected, "--include-protected"),
                          keep_flagged=_pairs(args.keep, "--keep"))
    model = train_or_load(ds, params, user=LOCAL_USER)
    resolver.choose(resolver.CREDIT, ds, model.fingerprint, LOCAL_USER)
    m = model.meta
    return {"model": model.fingerprint, "test_auc": m.metrics.xgboost.auc, "benchmark_auc": m.metrics.logistic.auc,
            "features": model.feature_names, "excluded": m.excluded, "warnings": model.warnings,
            "train_auc": m.metrics.train_auc, "depth": m.depth, "n_trees": m.n_trees, "overrides": m.overrides,
            "protected": list(m.protected), "default_cutoff": m.default_cutoff, "dataset": ds.name,
            "dataset_fingerprint": ds.fingerprint, "split": m.split.how}


def reasons(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    from core.credit.reason_export import ALL, APPROVED, export_reasons
    from core.credit.scores import score_dataset
    from core.credit.store import load_model

    model = load_model(args.model)
    ds = load_dataset(args.path, args.target)
    if not model.can_score(ds.frame):
        missing = model.encoder.missing_columns(ds.frame)
        raise InputError(f"The file lacks {len(missing)} column(s) model {args.model} needs: {', '.join(missing[:8])}.",
                         "Score a file with the columns the model was trained on.")
    cutoff = model.meta.default_cutoff if args.cutoff is None else args.cutoff
    if not 0 < cutoff < 1:
        raise InputError(f"The cutoff must lie strictly between 0 and 1, not {cutoff}.")
    if args.limit is not None and args.limit < 0:
        raise InputError("--limit must be zero or more.")
    scores = score_dataset(model, ds)
    records = export_reasons(model, ds, scores, cutoff, declined_only=args.declined_only, limit=args.limit,
                             kind=APPROVED if args.reference == "approved" else ALL)
    for rec in records:
        yield rec.to_dict()


def register(subparsers: Any) -> None:
    credit = subparsers.add_parser("credit", help="Train credit models and explain their decisions.")
    sub = credit.add_subparsers(dest="credit_command", metavar="ACTION")
    sub.required = True
    t = sub.add_parser("train", help="Train (or load) the credit model of a file; prints its test AUC and features.")
    t.add_argument("path")
    t.add_argument("--target", help="the outcome column (default: inferred)")
    t.add_argument("--seed", type=args_mod.seed, default=42)
    t.add_argument("--exclude", action="append", metavar="COL", help="keep a column out of the model (repeatable)")
    t.add_argument("--include-protected", action="append", metavar="COL=REASON",
                   help="include a protected attribute or proxy, with the reason (logged; repeatable)")
    t.add_argument("--keep", action="append", metavar="COL=REASON",
                   help="keep a column the leakage scan flags, with the reason (logged; repeatable)")
    t.add_argument("--leakage", choices=["exclude", "warn", "error"], default="exclude",
                   help="what to do with flagged columns without a decision (default: leave them out)")
    t.add_argument("--max-depth", type=int, default=None, help="tree depth (default: chosen on the validation split)")
    t.add_argument("--trees", type=int, default=1000, help="most boosting rounds (early stopping picks fewer)")
    t.set_defaults(func=train)
    r = sub.add_parser("reasons", help="Principal reasons per applicant, one JSON line each.")
    r.add_argument("path")
    r.add_argument("--model", required=True, metavar="FP", help="fingerprint of a stored credit model")
    r.add_argument("--target", help="the outcome column, if the file has one (default: the model's)")
    r.add_argument("--declined-only", action="store_true", help="only applicants declined at the cutoff")
    r.add_argument("--limit", type=int, default=None, help="at most this many applicants, riskiest first")
    r.add_argument("--cutoff", type=float, default=None, help="decline when PD >= this (default: the model's)")
    r.add_argument("--reference", choices=["approved", "all"], default="approved",
                   help="the population reasons are measured against (default: approved applicants)")
    r.set_defaults(func=reasons)
