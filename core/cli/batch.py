"""``studio batch score|segment|scenario|copy|generate``: the scale-out jobs on partitioned Parquet.

Each command runs on the cluster at ``--scheduler`` (or ``STUDIO_SCHEDULER_ADDRESS``; a local cluster
of worker processes when neither is set), writes its results as partitioned Parquet beside
``summary.json`` in ``--out``, logs the run in the workspace and prints the summary as one JSON object.
``--in-process`` runs the same tasks in this process instead (the in-memory path; small inputs).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from core.cli import args as args_mod
from core.errors import InputError
from core.scenarios.limits import DRAWS


def _common(p: argparse.ArgumentParser, needs_input: bool = True) -> None:
    if needs_input:
        p.add_argument("input", nargs="?", help="folder of Parquet files, or one Parquet file")
        p.add_argument("--query", help="a DuckDB SELECT exported to Parquet as the input (instead of INPUT)")
        p.add_argument("--database", help="DuckDB file the query reads (default: the workspace)")
        p.add_argument("--partitions", type=int, help="number of partitions (default: one per input file)")
    p.add_argument("--out", required=True, help="folder for the results (partitioned Parquet + summary.json)")
    p.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786 (default: a local cluster)")
    p.add_argument("--workers", type=int, help="workers of the local cluster (default: one per core)")
    p.add_argument("--in-process", action="store_true", help="run the tasks in this process (no cluster)")
    p.add_argument("--seed", type=args_mod.seed, default=42)


def register(subparsers: Any) -> None:
    batch = subparsers.add_parser("batch", help="scale-out jobs over partitioned Parquet (Dask)")
    sub = batch.add_subparsers(dest="batch_command", metavar="JOB", parser_class=type(batch))
    sub.required = True

    p = sub.add_parser("score", help="PD, EL and (optionally) exact SHAP with reasons for every row")
    _common(p)
    p.add_argument("--model", help="credit model fingerprint (default: the current model of --dataset)")
    p.add_argument("--dataset", help="workspace dataset whose current credit model scores the input")
    p.add_argument("--cutoff", type=float, default=1 / 6, help="decline when PD >= cutoff")
    p.add_argument("--shap", action="store_true", help="exact SHAP per row, reasons per declined row")
    p.add_argument("--write-shap", action="store_true", help="also write every row's SHAP values")
    p.add_argument("--segment", action="store_true", help="also assign segments (fitted on a hashed sample)")
    p.add_argument("--k", type=int)
    p.set_defaults(func=_score)

    p = sub.add_parser("segment", help="segment assignment and profiles for every row")
    _common(p)
    p.add_argument("--k", type=int, help="number of segments (default: the sweep's suggestion)")
    p.add_argument("--method", default="kmeans", choices=["kmeans", "gmm", "hdbscan"])
    p.add_argument("--features", help="comma-separated feature columns (default: the page's defaults)")
    p.add_argument("--model", help="credit model fingerprint: adds mean PD and EL per segment")
    p.set_defaults(func=_segment)

    p = sub.add_parser("scenario", help="stress, rescore and Monte Carlo losses for every row")
    _common(p)
    p.add_argument("--model", required=True, help="credit model fingerprint")
    p.add_argument("--preset", default="severely_adverse")
    p.add_argument("--shock", action="append", default=[], metavar="DRIVER=VALUE")
    p.add_argument("--lgd-addon", type=float, default=0.0)
    p.add_argument("--generator", help="scenario generator fingerprint (VAE or GAN): moves the columns that respond to the economy")
    p.add_argument("--draws", type=args_mod.whole(*DRAWS, "--draws"), default=10_000)
    p.set_defaults(func=_scenario)

    p = sub.add_parser("copy", help="copy batches for many segments x products x channels")
    p.add_argument("input", help="a segment batch folder, or a JSON / JSON-lines file of segment briefs")
    _common(p, needs_input=False)
    p.add_argument("--products", help="comma-separated product ids (default: every product)")
    p.add_argument("--channels", default="email_subject", help="comma-separated channels")
    p.add_argument("--n", type=int, default=5, help="variants per request")
    p.add_argument("--tone", default="friendly")
    p.add_argument("--language", default="en")
    p.add_argument("--backend", choices=["local", "openai", "template"], help="default: STUDIO_COPY_BACKEND")
    p.set_defaults(func=_copy)

    p = sub.add_parser("generate", help="write the synthetic portfolio as partitioned Parquet (any size)")
    _common(p, needs_input=False)
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--chunk-rows", type=int, default=1_000_000)
    p.set_defaults(func=_generate)


def _client(args: argparse.Namespace) -> Any:
    if args.in_process:
        return None
    from core.scale.engine import get_client

    return get_client(args.scheduler, n_workers=args.workers)


def _input(args: argparse.Namespace) -> Any:
    from core.scale.partitions import export_query, open_source

    if args.query:
        return export_query(args.query, Path(f"{args.out}.input"), args.database)
    if not args.input:
        raise InputError("Give the batch an INPUT (a folder of Parquet files) or --query.")
    return open_source(args.input)


def _run(args: argparse.Namespace, fn: Any) -> dict:
    from core.scale.engine import close_client, engine_info

    client = _client(args)
    try:
        summary = fn(client)
        if client is not None:
            summary["cluster"] = engine_info(client).to_dict()
        return summary
    finally:
        if client is not None and not args.scheduler:
            close_client()


def _model(args: argparse.Namespace) -> Any:
    from core.scale.adapters import credit as C

    dataset = None
    if getattr(args, "dataset", None):
        from core.data.loaders import load_workspace_dataset
        from core.workspace import get_workspace

        dataset = load_workspace_dataset(get_workspace(), args.dataset)
    return C.load(args.model, dataset)


def _score(args: argparse.Namespace) -> dict:
    from core.scale.book import BookParams, run_book

    model = _model(args)
    src = _input(args)
    params = BookParams(cutoff=args.cutoff, shap=args.shap, write_shap=args.write_shap, k=args.k, seed=args.seed,
                        partitions=args.partitions)
    return _run(args, lambda client: run_book(src, args.out, model=model, segment=args.segment, params=params, client=client))


def _segment(args: argparse.Namespace) -> dict:
    from core.scale.book import BookParams, run_book

    model = _model(args) if args.model else None
    src = _input(args)
    feats = tuple(f.strip() for f in args.features.split(",") if f.strip()) if args.features else None
    params = BookParams(features=feats, method=args.method, k=args.k, seed=args.seed, partitions=args.partitions)
    return _run(args, lambda client: run_book(src, args.out, model=model, segment=True, params=params, client=client))


def _shocks(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            raise InputError(f"'{item}' is not DRIVER=VALUE.", "For example --shock unemployment=3.") from None
        if not sep:
            raise InputError(f"'{item}' is not DRIVER=VALUE.", "For example --shock unemployment=3.")
    return out


def _scenario(args: argparse.Namespace) -> dict:
    from core.scale.adapters import scenarios as S
    from core.scale.scenario import ScenarioParams, run_scenario

    model = _model(args)
    scn = S.scenario(args.preset, _shocks(args.shock), args.lgd_addon)
    generator = None
    if args.generator:
        from core.scenarios.generators import load_generator

        generator = load_generator(args.generator)
    src = _input(args)
    params = ScenarioParams(n_draws=args.draws, seed=args.seed, partitions=args.partitions)
    return _run(args, lambda client: run_scenario(src, args.out, model=model, scenario=scn, generator=generator,
                                                  params=params, client=client))


def _copy(args: argparse.Namespace) -> dict:
    from core.scale.copy_batches import read_briefs, run_copy

    briefs = read_briefs(args.input)
    products = [p.strip() for p in args.products.split(",")] if args.products else None
    channels = [c.strip() for c in args.channels.split(",") if c.strip()]
    return _run(args, lambda client: run_copy(briefs, args.out, products=products, channels=channels, n=args.n,
                                              tone=args.tone, language=args.language, seed=args.seed,
                                              backend=args.backend, client=client))


def _generate(args: argparse.Namespace) -> dict:
    from core.scale.synthetic import write_portfolio

    return _run(args, lambda client: write_portfolio(args.out, args.rows, args.seed, args.chunk_rows, client=client))
