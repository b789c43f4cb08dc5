"""A credit model on disk: ``booster.json`` (XGBoost's JSON), ``reference.npz`` and ``meta.json``.

``reference.npz`` holds numeric arrays only (read with ``allow_pickle=False``): the split label of
every training row and a sample of training margins and PDs (the PSI reference). ``meta.json``
holds the :class:`~core.credit.metadata.ModelMeta`, the encoder, the calibrator and the logistic
benchmark's coefficients. Nothing is pickled. Writing fills a fresh folder that the lifecycle
renames into place; reading raises :class:`~core.errors.ModelLoadError` on anything unreadable (the
lifecycle then moves the folder aside and reports it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from core.credit.benchmark import LogisticBenchmark
from core.credit.calibration import Calibrator
from core.credit.encoder import FeatureEncoder
from core.credit.metadata import ModelMeta
from core.credit.model import CreditModel
from core.errors import ModelLoadError

FILES = ("booster.json", "meta.json", "reference.npz")


def write_model(model: CreditModel, folder: Path) -> dict[str, Any]:
    """Fill ``folder`` with the booster and the reference arrays; returns what ``meta.json`` holds."""
    model.booster.save_model(str(folder / "booster.json"))
    np.savez_compressed(folder / "reference.npz", **model.reference)  # type: ignore[arg-type]
    meta = model.meta
    return {"dataset_fingerprint": meta.dataset.fingerprint, "dataset_name": meta.dataset.name,
            "model": meta.to_dict(), "encoder": model.encoder.to_dict(), "calibrator": model.calibrator.to_dict(),
            "benchmark": model.benchmark.to_dict()}


def read_meta(folder: Path) -> ModelMeta:
    """Only the metadata of a stored model (for lists of stored models), without loading the booster."""
    try:
        return ModelMeta.from_dict(json.loads((Path(folder) / "meta.json").read_text())["model"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelLoadError(f"The credit model in {Path(folder).name} cannot be read ({type(exc).__name__}).",
                             "Train the model again.") from exc


def load_model_folder(folder: Path, device: str = "cpu") -> CreditModel:
    """The model stored in ``folder``; :class:`ModelLoadError` if any part is missing or unreadable."""
    import xgboost as xgb

    folder = Path(folder)
    try:
        stored = json.loads((folder / "meta.json").read_text())
        meta = ModelMeta.from_dict(stored["model"])
        encoder = FeatureEncoder.from_dict(stored["encoder"])
        calibrator = Calibrator.from_dict(stored["calibrator"])
        benchmark = LogisticBenchmark.from_dict(stored["benchmark"])
        booster = xgb.Booster()
        booster.load_model(str(folder / "booster.json"))
        with np.load(folder / "reference.npz", allow_pickle=False) as z:
            reference = {k: z[k] for k in z.files}
        if booster.num_features() != len(encoder.columns) or "split" not in reference:
            raise ValueError("the booster, the encoder and the reference arrays do not match")
    except (OSError, ValueError, KeyError, TypeError, xgb.core.XGBoostError) as exc:
        raise ModelLoadError(f"The credit model in {folder.name} cannot be read ({type(exc).__name__}).",
                             "Train the model again.") from exc
    xgb_device = "cuda" if device == "cuda" else "cpu"
    booster.set_param({"device": xgb_device, "nthread": 0})
    return CreditModel(booster, encoder, calibrator, benchmark, meta, reference, xgb_device)
