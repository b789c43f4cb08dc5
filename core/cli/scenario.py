"""``studio scenario``: run a stress on a book, and measure a generator's fidelity on a file.

* ``studio scenario run [--data PATH] [--target COL] [--preset NAME] [--shock DRIVER=VALUE ...]
  [--lgd-addon X] [--seed N] [--draws N] [--family vae|gan]`` (the embedded default when no data)
  prints ``{"preset", "default_rate", "expected_loss", "var_99", "var_99_9", "es_99", "baseline":
  {...same keys}, "warnings": [...], ...}``: the page's scenario run, with the current credit model
  and generator of the dataset (each trained with default settings first when there is none).
  ``--shock`` values override the preset's (units: pp, %, bp as on the page's sliders).
* ``studio scenario fidelity PATH [--target COL] [--seed N] [--family vae|gan]`` trains the product's
  generator on the file and prints ``{"quality_report", "detection_auc", "tstr_auc", "train_seconds",
  "rows", ...}`` measured on the rows it held out (the Fidelity tab's report).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from core.cli import args as args_mod
from core.errors import InputError
from core.scenarios.limits import DRAWS, EPOCHS


def _dataset(path: str | None, target: str | None):
    from core.data.loaders import load_file
    from core.settings import get_settings

    if path is None:
        from core.data.synthetic import generate_portfolio

        s = get_settings()
        return generate_portfolio(s.default_rows, s.seed)
    p = Path(path)
    if not p.is_file():
        raise InputError(f"There is no file '{path}'.", "Give the path of a CSV or Parquet file.")
    ds, _ = load_file(p.name, p.read_bytes(), get_settings().max_upload_mb, target=target)
    return ds


def _shocks(items: list[str] | None) -> dict[str, float]:
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            raise InputError(f"--shock takes DRIVER=VALUE, not '{item}'.",
                             "For example --shock unemployment=3 --shock policy_rate=-100.") from None
        if not sep:
            raise InputError(f"--shock takes DRIVER=VALUE, not '{item}'.")
    return out


def _generator(ds, family: str, seed: int, epochs: int | None = None):
    from core import resolver
    from core.auth import LOCAL_USER
    from core.scenarios.generators import current_generator, train_or_load_generator

    gen = current_generator(ds, family)
    if gen is None:
        params = None
        if family == "vae":
            from core.scenarios.generator import VAEParams

            params = VAEParams(seed=seed, epochs=epochs)
        gen = train_or_load_generator(ds, params, family, user=LOCAL_USER)
        resolver.choose(resolver.GENERATOR, ds, gen.fingerprint, LOCAL_USER)
    return gen


def run(args: argparse.Namespace) -> dict[str, Any]:
    from core.auth import LOCAL_USER
    from core.scenarios.engine import ScenarioEngine
    from core.scenarios.presets import load_presets
    from core.scenarios.results import ScenarioParams
    from core.scenarios.scorer import ensure_credit_model

    ds = _dataset(args.data, args.target)
    presets = load_presets()
    shocks = _shocks(args.shock)
    preset = presets.scenario(args.preset or ("baseline" if shocks else "severely_adverse"))
    if shocks or args.lgd_addon is not None:
        merged = {**preset.shocks, **shocks}
        addon = preset.lgd_downturn_addon if args.lgd_addon is None else float(args.lgd_addon)
        scenario = presets.match(merged, addon) or presets.custom(merged, addon, name=f"Custom (from {preset.name})")
    else:
        scenario = preset
    model = ensure_credit_model(ds, LOCAL_USER)
    engine = ScenarioEngine(ds, _generator(ds, args.family, args.seed, args.epochs), model, presets)
    result = engine.run(scenario, ScenarioParams(seed=args.seed, n_draws=args.draws, shap_rows=0))
    return {**result.cli_figures(), "dataset": ds.name, "dataset_fingerprint": ds.fingerprint,
            "satellite": engine.satellite.table(presets).to_dict("records"), "timings": result.timings}


def fidelity(args: argparse.Namespace) -> dict[str, Any]:
    from core.scenarios.evaluate import evaluate
    from core.scenarios.generators import train_or_load_generator

    ds = _dataset(args.path, args.target)
    params = None
    if args.family == "vae":
        from core.scenarios.generator import VAEParams

        params = VAEParams(seed=args.seed, epochs=args.epochs)
    t0 = time.perf_counter()
    gen = train_or_load_generator(ds, params, args.family)
    wall = time.perf_counter() - t0
    rep = evaluate(gen, ds, seed=args.seed)
    s = rep.scores
    return {"quality_report": s["quality_report"], "detection_auc": s["detection_auc"], "tstr_auc": s.get("tstr_auc"),
            "trtr_auc": s.get("trtr_auc"), "train_seconds": round(gen.history_.seconds or wall, 2), "rows": ds.n_rows,
            "column_shapes": s["column_shapes"], "pair_trends": s["pair_trends"], "verdict": rep.verdict.text,
            "privacy": rep.privacy, "generator": gen.fingerprint, "family": args.family,
            "checks": rep.checks.to_dict("records"), "notes": rep.notes}


def register(sub: Any) -> None:
    p = sub.add_parser("scenario", help="stress scenarios and generator fidelity")
    inner = p.add_subparsers(dest="scenario_command", metavar="SUBCOMMAND")
    inner.required = True
    r = inner.add_parser("run", help="run a scenario against its baseline")
    r.add_argument("--data", help="a CSV or Parquet book (default: the embedded synthetic portfolio)")
    r.add_argument("--target", help="the default flag column of --data")
    r.add_argument("--preset", help="baseline, adverse, stagflation or severely_adverse")
    r.add_argument("--shock", action="append", metavar="DRIVER=VALUE", help="unemployment, income, policy_rate, "
                   "house_prices, utilisation (repeatable)")
    r.add_argument("--lgd-addon", type=float, default=None, help="LGD downturn add-on, 0 to 0.5")
    r.add_argument("--seed", type=args_mod.seed, default=42)
    r.add_argument("--draws", type=args_mod.whole(*DRAWS, "--draws"), default=10_000, help="Monte Carlo draws")
    r.add_argument("--family", choices=["vae", "gan"], default="vae", help="the generator family")
    r.add_argument("--epochs", type=args_mod.whole(*EPOCHS, "--epochs"), default=None,
                   help="generator epochs when one is trained (default: automatic)")
    r.set_defaults(func=run)
    f = inner.add_parser("fidelity", help="train the generator on a file and measure its fidelity")
    f.add_argument("path")
    f.add_argument("--target")
    f.add_argument("--seed", type=args_mod.seed, default=42)
    f.add_argument("--family", choices=["vae", "gan"], default="vae")
    f.add_argument("--epochs", type=args_mod.whole(*EPOCHS, "--epochs"), default=None,
                   help="generator epochs (default: automatic)")
    f.set_defaults(func=fidelity)
