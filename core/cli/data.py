"""``studio infer``, ``studio generate`` and ``studio import``: the data commands.

Each calls what Home calls: ``infer`` runs the upload's inference (:func:`core.data.loaders.prepare_file`)
and prints what it decided with the evidence; ``import`` stores the file in the workspace as Home's
upload does (:func:`core.data.loaders.import_file`); ``generate`` writes the embedded synthetic
portfolio.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from core.cli import args as args_mod
from core.errors import InputError


def _read(path: str) -> bytes:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"There is no file '{path}'.", "Give the path of a CSV or Parquet file.")
    try:
        return p.read_bytes()
    except OSError as exc:
        raise InputError(f"The file '{path}' cannot be read: {exc.strerror}.") from exc


def infer_summary(prepared: Any) -> dict:
    """The ``studio infer`` object for a prepared dataset (see the README's command-line section)."""
    ds = prepared.dataset
    schema = ds.schema
    report = prepared.report
    excluded = dict(report.excluded) if report is not None else {}
    for c, r in schema.roles.items():  # validation may set more aside (empty, constant) after inference
        if r.value in ("ignore", "pii", "id", "datetime") and c not in excluded:
            excluded[c] = {"ignore": "set aside", "pii": "personal data", "id": "the identifier",
                           "datetime": "a date: not a model feature"}[r.value]
    return {
        "rows": ds.n_rows,
        "columns": ds.frame.shape[1],
        "target": schema.target,
        "positive_label": schema.positive_label if schema.target else None,
        "id": schema.id_column,
        "roles": {c: r.value for c, r in schema.roles.items()},
        "pii": schema.pii,
        "protected": schema.protected_columns(),
        "excluded": excluded,
        "notes": list(prepared.notes),
        "tags": {c: sorted(t.value for t in ts) for c, ts in schema.tags.items() if ts},
        "units": dict(schema.units),
        "evidence": report.evidence() if report is not None else {},
    }


def _infer(args: argparse.Namespace) -> dict:
    from core.data.loaders import prepare_file

    path = Path(args.path)
    prepared = prepare_file(path.name, _read(args.path), _max_mb(), target=args.target)
    return infer_summary(prepared)


def _max_mb() -> int:
    from core.settings import get_settings

    return get_settings().max_upload_mb


def _generate(args: argparse.Namespace) -> dict:
    from core.data.synthetic import generate_portfolio
    from core.export import csv_bytes

    if args.rows < 1:
        raise InputError("--rows must be at least 1.")
    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise InputError(f"'{args.out}' must end in .csv or .parquet.", "The extension chooses the format.")
    if not out.parent.exists():
        raise InputError(f"The folder '{out.parent}' does not exist.")
    ds = generate_portfolio(args.rows, args.seed)
    tmp = out.with_name(out.name + ".part")
    try:
        if suffix == ".csv":
            tmp.write_bytes(csv_bytes(ds.frame, pseudonymise=False))
        else:
            ds.frame.to_parquet(tmp, index=False)
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"'{args.out}' could not be written: {exc.strerror}.") from exc
    return {"path": str(out), "rows": ds.n_rows, "columns": ds.frame.shape[1], "seed": args.seed,
            "fingerprint": ds.fingerprint}


def _import(args: argparse.Namespace) -> dict:
    from core.auth import LOCAL_USER
    from core.data.loaders import import_file
    from core.dataset_names import DatasetExistsError
    from core.workspace import get_workspace

    path = Path(args.path)
    if args.name is not None and not args.name.strip():
        raise InputError("--name must not be empty.")
    try:
        imported = import_file(get_workspace(), path.name, _read(args.path), _max_mb(), name=args.name,
                               target=args.target, user=LOCAL_USER, if_exists=args.if_exists)
    except DatasetExistsError as exc:
        raise InputError(exc.message, f"Pass --replace to replace '{exc.existing}', or --keep-both to store the "
                         f"new one as '{exc.suggestion}'.") from exc
    return {"name": imported.name, "rows": imported.dataset.n_rows, "notes": imported.notes,
            "table": f"ds_{imported.name}", "target": imported.dataset.schema.target,
            "fingerprint": imported.dataset.fingerprint}


def register(sub: Any) -> None:
    """Add the data commands to the ``studio`` parser."""
    p = sub.add_parser("infer", help="infer a file's schema (target, id, roles, tags, PII) with the evidence")
    p.add_argument("path", help="a CSV or Parquet file")
    p.add_argument("--target", default=None, help="use this column as the target instead of inferring one")
    p.set_defaults(func=_infer)

    p = sub.add_parser("generate", help="write the embedded synthetic portfolio (CSV or Parquet by extension)")
    p.add_argument("--rows", type=int, default=None, help="customers to generate (default: STUDIO_DEFAULT_ROWS)")
    p.add_argument("--seed", type=args_mod.seed, default=None, help="random seed (default: STUDIO_SEED)")
    p.add_argument("--out", required=True, help="output path ending in .csv or .parquet")
    p.set_defaults(func=lambda a: _generate(_defaults(a)))

    p = sub.add_parser("import", help="import a file into the workspace as Home does (table ds_<name>)")
    p.add_argument("path", help="a CSV or Parquet file")
    p.add_argument("--name", default=None, help="workspace name (default: the file name)")
    p.add_argument("--target", default=None, help="use this column as the target instead of inferring one")
    clash = p.add_mutually_exclusive_group()
    clash.add_argument("--replace", dest="if_exists", action="store_const", const="replace",
                       help="replace a stored dataset of the same name (logged); the default refuses")
    clash.add_argument("--keep-both", dest="if_exists", action="store_const", const="keep_both",
                       help="store under a versioned name (name_v2, ...) beside the existing one")
    p.set_defaults(func=_import, if_exists="refuse")


def _defaults(args: argparse.Namespace) -> argparse.Namespace:
    from core.settings import get_settings

    s = get_settings()
    if args.rows is None:
        args.rows = s.default_rows
    if args.seed is None:
        args.seed = s.seed
    return args

