"""``TabularVAE``: the sklearn-style wrapper around the conditional VAE.

    vae = TabularVAE(VAEParams(seed=1)).fit(frame)
    vae.sample(10_000, seed=3)                                   # a new portfolio
    vae.sample_conditional({"regional_unemployment": 9.0}, n=5_000, seed=3)  # given pinned drivers
    vae.stress(customers, {"regional_unemployment": u + 3}, resample=["debt_to_income"], seed=3)
    vae.anomaly_scores(customers)                                # early warning
    vae.save(folder); TabularVAE.load(folder)

Pinned columns hold their pinned values exactly: they are written into the output frame as given,
never decoded. Sampling is seeded (a CPU ``torch.Generator`` draws all noise, so the same seed
gives the same rows on any device) and chunked, so memory stays flat for millions of rows.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from core.errors import ModelLoadError
from core.progress import CancelToken, Progress
from core.scenarios.errors import Extrapolation, NotEnoughDataError, PinError
from core.scenarios.latent_prior import LatentMixture, fit_latent_mixture
from core.scenarios.structure import Structure
from core.scenarios.trainer import TrainHistory, train_vae
from core.scenarios.transforms import NumericSpec, TabularTransformer
from core.scenarios.vae import ConditionalVAE, VAEConfig
from core.scenarios.vae_params import VAEParams

CHUNK = 65_536  # rows per draw of noise (fixes the seed's stream)
BLOCK = 8_192  # rows per pass through the network (activations stay in cache)
WEIGHTS = "weights.pt"


@dataclass
class AnomalyScores:
    """Per-row negative ELBO (higher = more unusual) and each column's share of it.

    ``column_excess`` is each column's negative log-likelihood standardised against the training
    rows (how many standard deviations more surprising than usual); its row maximum names what is
    unusual. ``score == recon + kl`` row by row.
    """

    score: np.ndarray  # (n,)
    recon: np.ndarray  # (n,)
    kl: np.ndarray  # (n,)
    column_nll: pd.DataFrame  # (n, C)
    column_excess: pd.DataFrame  # (n, C)


class TabularVAE:
    """Fit → sample / sample_conditional / stress / anomaly_scores → save / load."""

    family = "vae"

    def __init__(self, params: VAEParams | None = None, device: str = "cpu", fast_inference: bool = True,
                 fingerprint: str | None = None) -> None:
        self.params = params or VAEParams()
        self.device = device
        self.fast_inference = fast_inference
        self.fingerprint = fingerprint  # the artifact key: part of the model's own state, set once

    # ---- fit --------------------------------------------------------------------------------
    def fit(self, frame: pd.DataFrame, categorical: list[str] | None = None, progress: Progress | None = None,
            cancel: CancelToken | None = None) -> TabularVAE:
        p = self.params
        if len(frame) < p.min_rows:
            raise NotEnoughDataError(
                f"The generator needs at least {p.min_rows} rows to learn the portfolio; this data has {len(frame)}.",
                "Use a larger dataset, or the embedded synthetic portfolio.")
        if frame.shape[1] < 2:
            raise NotEnoughDataError("The generator needs at least two feature columns.", "Mark more columns as features on Home.")
        self.structure_ = Structure.discover(frame, set(categorical or [])) if p.structure else Structure()
        self.transformer_ = TabularTransformer(p.discrete_max_levels).fit(frame, categorical)
        t = self.transformer_
        self.config_ = VAEConfig(len(t.numeric_), t.cardinalities, p.latent_dim, p.hidden, p.depth, p.beta, p.activation)
        drivers = list(t.model_columns) if p.drivers is None else [c for c in p.drivers if c in t.model_columns]
        unknown = [c for c in (p.drivers or ()) if c not in t.model_columns]
        if unknown:
            raise PinError(f"Unknown driver columns: {', '.join(unknown)}.", "Pick drivers among the dataset's feature columns.")
        self.drivers_ = drivers
        torch.manual_seed(p.seed)
        self.model_ = ConditionalVAE(self.config_)
        numeric, codes = t.transform(frame)
        epochs, batch = p.resolved(len(frame))
        self.history_: TrainHistory = train_vae(
            self.model_, numeric, codes, [t.model_columns.index(c) for c in drivers], epochs=epochs, batch_size=batch,
            lr=p.lr, patience=p.patience, valid_share=p.valid_share, p_unconditional=p.p_unconditional, seed=p.seed,
            device=self.device, lr_schedule=p.lr_schedule, progress=progress, cancel=cancel)
        self.model_.to("cpu" if self.device == "mps" else self.device).eval()
        self.prior_ = fit_latent_mixture(self.model_, numeric, codes, p.prior_components, p.seed) if p.prior_components else None
        ref = frame.sample(min(len(frame), 5000), random_state=p.seed)
        nll = self._column_nll(ref)
        self.nll_ref_ = {"mean": nll.mean(axis=0).tolist(), "std": (nll.std(axis=0) + 1e-3).tolist()}
        return self

    # ---- facts ------------------------------------------------------------------------------
    @property
    def columns(self) -> list[str]:
        return list(self.transformer_.columns_)

    def seen_range(self, column: str) -> tuple[float, float] | list:
        spec = self.transformer_.spec(column)
        if isinstance(spec, NumericSpec):
            return spec.vmin, spec.vmax
        return list(spec.categories)

    def check_pins(self, pinned: pd.DataFrame) -> list[Extrapolation]:
        """Pinned numeric values outside the training range (allowed, but flagged)."""
        flags = []
        for c in pinned.columns:
            try:
                spec = self.transformer_.spec(c)
            except KeyError:
                continue
            if isinstance(spec, NumericSpec):
                lo, hi = spec.vmin, spec.vmax
            elif spec.kind not in ("category", "object", "bool"):
                vals = [float(v) for v in spec.categories if not isinstance(v, str)]
                lo, hi = min(vals), max(vals)
            else:
                continue
            x = pd.to_numeric(pinned[c], errors="coerce").to_numpy(dtype=np.float64)
            tol = 0.01 * (hi - lo) + 1e-9  # a step under 1% of the seen range is not an extrapolation
            outside = (x < lo - tol) | (x > hi + tol)
            if outside.any():
                flags.append(Extrapolation(c, lo, hi, float(np.nanmin(x)), float(np.nanmax(x)), float(outside.mean())))
        return flags

    # ---- generation -----------------------------------------------------------------------
    def sample(self, n: int, seed: int = 0, temperature: float = 1.0) -> pd.DataFrame:
        """``n`` new rows from the unconditional prior."""
        return self._generate(pd.DataFrame(index=range(n)), [], seed, temperature)

    def sample_conditional(self, pinned: pd.DataFrame | dict, n: int | None = None, seed: int = 0,
                           temperature: float = 1.0) -> pd.DataFrame:
        """Rows whose pinned columns equal ``pinned`` exactly; the rest drawn given them.

        ``pinned`` is a frame (one row per output row) or a dict of scalars broadcast to ``n`` rows.
        """
        pinned_frame = self._pinned_frame(pinned, n)
        if set(self.columns) <= set(pinned_frame.columns):
            raise PinError("Every column is pinned, so there is nothing left for the generator to draw.",
                           "Unpin at least one column (the ones whose response to the stress you want to see).")
        return self._generate(pinned_frame, list(pinned_frame.columns), seed, temperature)

    def stress(self, frame: pd.DataFrame, shifted: pd.DataFrame | dict, resample: list[str], seed: int = 0,
               temperature: float = 1.0) -> pd.DataFrame:
        """Existing customers under a stress.

        Pinned drivers take their ``shifted`` values, the ``resample`` columns are drawn again
        given everything else, all other columns are kept.
        """
        shifted_frame = self._pinned_frame(shifted, len(frame))
        resample = [c for c in resample if c in self.columns and c not in shifted_frame.columns]
        observed = frame[[c for c in self.columns if c not in resample]].reset_index(drop=True).copy()
        for c in shifted_frame.columns:
            observed[c] = shifted_frame[c].to_numpy()
        return self._generate(observed, list(observed.columns), seed, temperature)

    def shift(self, frame: pd.DataFrame, shifted: dict, columns: list[str], hidden: tuple[str, ...] = (),
              cache: dict | None = None) -> pd.DataFrame:
        """Customers' ``columns`` moved by the learned response to the ``shifted`` pins (see :mod:`core.scenarios.response`).

        ``cache``: a dict the caller keeps for one unchanging ``frame`` (what the stress does not change is kept there).
        """
        from core.scenarios.response import shift_dependents

        return shift_dependents(self, frame, shifted, columns, hidden, cache)

    def _pinned_frame(self, pinned: pd.DataFrame | dict, n: int | None) -> pd.DataFrame:
        if isinstance(pinned, dict):
            if n is None:
                lengths = {len(np.atleast_1d(v)) for v in pinned.values()}
                n = max(lengths) if lengths else 0
            frame = pd.DataFrame({c: np.broadcast_to(np.asarray(v), (n,)) if np.ndim(v) == 0 else np.asarray(v)
                                  for c, v in pinned.items()})
        else:
            frame = pinned.reset_index(drop=True)
            if n is not None and len(frame) != n:
                raise PinError(f"The pinned values have {len(frame)} rows, not {n}.")
        unknown = [c for c in frame.columns if c not in self.columns]
        if unknown:
            raise PinError(f"These pinned columns are not in the generator: {', '.join(map(str, unknown))}.",
                           "Pin columns the generator was trained on.")
        return frame

    def _observed_arrays(self, observed: pd.DataFrame, pinned: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        t = self.transformer_
        n = len(observed)
        numeric = np.zeros((n, len(t.numeric_)), dtype=np.float32)
        codes = np.full((n, len(t.categorical_)), -1, dtype=np.int64)
        mask = np.zeros((n, len(t.model_columns)), dtype=np.float32)
        for c in pinned:
            j = t.model_columns.index(c)
            mask[:, j] = 1.0
            spec = t.spec(c)
            if isinstance(spec, NumericSpec):
                x = pd.to_numeric(observed[c], errors="coerce").to_numpy(dtype=np.float64)
                numeric[:, j] = t._to_normal(np.where(np.isfinite(x), x, spec.median), spec.quantiles)
            else:
                codes[:, j - len(t.numeric_)] = t.codes_of(spec, observed[c])
        return numeric, codes, mask

    def _generate(self, observed: pd.DataFrame, pinned: list[str], seed: int, temperature: float) -> pd.DataFrame:
        # the process's thread policy (core.runtime.threads) applies; nothing here flips it
        with torch.inference_mode():
            return self._generate_rows(observed, pinned, seed, temperature)

    def _generate_rows(self, observed: pd.DataFrame, pinned: list[str], seed: int, temperature: float) -> pd.DataFrame:
        t, model = self.transformer_, self.model_
        n = len(observed)
        if pinned and len(set(pinned)) >= len(self.columns):
            # nothing left to generate: the pinned rows are the answer
            return self._assemble(pd.DataFrame(index=range(n)), observed, pinned)
        numeric, codes, mask = self._observed_arrays(observed if pinned else observed.iloc[:0], pinned)  # read only when pinned
        dev = next(model.parameters()).device
        gen = torch.Generator().manual_seed(int(seed))
        values = np.empty((len(t.numeric_), n), dtype=np.float64)  # one row per column, filled block by block
        out_cod = np.empty((len(t.categorical_), n), dtype=np.int32)
        sigma = model.log_sigma.exp() * temperature
        n_num = len(t.numeric_)
        has_cat = bool(t.categorical_)
        decode = model.flat_decoder(model.folded_head(temperature) if has_cat else None)  # laid out once for every block
        const = None
        for start in range(0, n, CHUNK):
            stop = min(n, start + CHUNK)
            b = stop - start
            # the noise is drawn per CHUNK (the seed's stream); the network runs on cache-sized blocks
            eps_z = torch.randn((b, self.config_.latent_dim), generator=gen).to(dev)
            eps_x = torch.randn((b, n_num), generator=gen).to(dev)
            u_cat = torch.rand((b, len(t.categorical_)), generator=gen).to(dev)
            u_mix = torch.rand((b,), generator=gen) if not pinned and self.prior_ is not None else None
            for s0 in range(0, b, BLOCK):
                s1 = min(b, s0 + BLOCK)
                z: torch.Tensor | None = None
                if not pinned:  # the prior and the decoder's conditioning are one constant row
                    if const is None:
                        x0 = torch.zeros((1, self.config_.n_dims), device=dev)
                        m0 = torch.zeros((1, self.config_.n_columns), device=dev)
                        const = (*model.prior_params(x0, m0), model.cond_bias(x0, m0))
                    mu, logvar, bias = const
                    if self.prior_ is not None and u_mix is not None:  # the learned mixture prior (fitted to the training rows' latents)
                        z = self.prior_.draw(u_mix[s0:s1], eps_z[s0:s1], temperature, dev)
                else:
                    num = torch.as_tensor(numeric[start + s0:start + s1], device=dev)
                    cod = torch.as_tensor(codes[start + s0:start + s1], device=dev)
                    m = torch.as_tensor(mask[start + s0:start + s1], device=dev)
                    x_obs = model.encode_rows(num, cod) * model.dim_mask(m)
                    with self._autocast(dev):
                        mu, logvar = model.prior_params(x_obs, m)
                        bias = model.cond_bias(x_obs, m)
                if z is None:
                    z = mu.float() + (0.5 * logvar.float()).exp() * eps_z[s0:s1] * temperature
                with self._autocast(dev):
                    out = model.decode_flat(z, bias, plan=decode)
                num_out = torch.addcmul(out[:, :n_num].float(), sigma, eps_x[s0:s1])
                t.inverse_values(num_out.cpu().numpy(), out=values[:, start + s0:start + s1])
                if has_cat:
                    cod_out = model.sample_centred(out[:, n_num:], u_cat[s0:s1])
                    out_cod[:, start + s0:start + s1] = cod_out.cpu().numpy().T
        generated = t.frame_of(values, out_cod)
        return self._assemble(generated, observed, pinned)

    def _assemble(self, generated: pd.DataFrame, observed: pd.DataFrame, pinned: list[str]) -> pd.DataFrame:
        """The generated frame with pinned columns written in exactly as given, then the data's own rules enforced."""
        cols = {}
        for c in self.columns:
            if c in pinned:
                cols[c] = _exact_column(observed[c], generated[c] if c in generated else None)
            else:
                cols[c] = generated[c]
        return self.structure_.enforce(pd.DataFrame(cols, copy=False), keep=set(pinned))

    def _autocast(self, dev: torch.device):
        """bfloat16 matmuls on a CPU with AMX tiles, float32 elsewhere.

        Several times faster; the sampling noise dwarfs the rounding.
        """
        use = dev.type == "cpu" and self.fast_inference and _cpu_has_amx()
        return torch.autocast("cpu", dtype=torch.bfloat16, enabled=use)

    # ---- early warning ----------------------------------------------------------------------
    @torch.inference_mode()
    def _elbo_terms(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        t, model = self.transformer_, self.model_
        numeric, codes = t.transform(frame[self.columns])
        dev = next(model.parameters()).device
        n = len(frame)
        nll = np.empty((n, self.config_.n_columns), dtype=np.float32)
        kl = np.empty(n, dtype=np.float32)
        for start in range(0, n, CHUNK):
            stop = min(n, start + CHUNK)
            num = torch.as_tensor(numeric[start:stop], device=dev)
            cod = torch.as_tensor(codes[start:stop], device=dev)
            m = torch.zeros((stop - start, self.config_.n_columns), device=dev)
            # z at the posterior mean: a deterministic, seed-free estimate of the bound
            out = model(num, cod, m, noise=torch.zeros((stop - start, self.config_.latent_dim), device=dev))
            nll[start:stop] = out["column_nll"].cpu().numpy()
            kl[start:stop] = out["kl"].cpu().numpy()
        return nll, kl, nll.sum(axis=1)

    def _column_nll(self, frame: pd.DataFrame) -> np.ndarray:
        return self._elbo_terms(frame)[0]

    def anomaly_scores(self, frame: pd.DataFrame) -> AnomalyScores:
        """Negative ELBO per row (reconstruction NLL + KL), and what in each row is surprising."""
        nll, kl, recon = self._elbo_terms(frame)
        cols = self.transformer_.model_columns
        excess = (nll - np.asarray(self.nll_ref_["mean"])) / np.asarray(self.nll_ref_["std"])
        idx = frame.index
        return AnomalyScores(recon + kl, recon, kl, pd.DataFrame(nll, columns=cols, index=idx),
                             pd.DataFrame(excess, columns=cols, index=idx))

    # ---- persistence --------------------------------------------------------------------------
    def save(self, folder: Path | str) -> dict:
        """Write ``weights.pt`` (a state_dict) into ``folder``; returns the JSON metadata."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu() for k, v in self.model_.state_dict().items()}
        torch.save(state, folder / WEIGHTS)
        return {"family": self.family, "structure": self.structure_.to_dict(),
                "prior": self.prior_.to_dict() if self.prior_ is not None else None,
                "config": self.config_.to_dict(), "transformer": self.transformer_.to_dict(),
                "params": self.params.to_dict(), "drivers": self.drivers_, "history": self.history_.to_dict(),
                "nll_ref": self.nll_ref_, "torch_version": torch.__version__}

    def write(self, folder: Path) -> dict:
        """Registry writer: weights plus metadata (the registry adds ``meta.json``)."""
        return self.save(folder)

    @classmethod
    def load(cls, folder: Path | str, device: str = "cpu", meta: dict | None = None) -> TabularVAE:
        folder = Path(folder)
        try:
            meta = meta or json.loads((folder / "meta.json").read_text())
            state = torch.load(folder / WEIGHTS, map_location="cpu", weights_only=True)
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelLoadError(f"The scenario generator in {folder} cannot be read ({exc}).", "Train it again.") from exc
        vae = cls(VAEParams.from_dict(meta["params"]), device, fingerprint=meta.get("fingerprint"))
        vae.transformer_ = TabularTransformer.from_dict(meta["transformer"])
        vae.structure_ = Structure.from_dict(meta.get("structure"))
        vae.prior_ = LatentMixture.from_dict(meta["prior"]) if meta.get("prior") else None
        vae.config_ = VAEConfig.from_dict(meta["config"])
        vae.drivers_ = list(meta["drivers"])
        h = meta.get("history", {})
        vae.history_ = TrainHistory.from_dict(h)
        vae.nll_ref_ = meta["nll_ref"]
        vae.model_ = ConditionalVAE(vae.config_)
        vae.model_.load_state_dict(state)
        vae.model_.to("cpu" if device == "mps" else device).eval()
        return vae


_AMX: bool | None = None


def _cpu_has_amx() -> bool:
    global _AMX
    if _AMX is None:
        try:
            _AMX = "amx_bf16" in Path("/proc/cpuinfo").read_text()
        except OSError:
            _AMX = False
    return _AMX


def _exact_column(values: pd.Series, like: pd.Series | None) -> pd.Series | np.ndarray:
    """Pinned values as given; in the generated column's dtype when that loses nothing."""
    v = values.reset_index(drop=True)
    if like is None:
        return v
    if isinstance(like.dtype, pd.CategoricalDtype):
        cats = list(like.cat.categories)
        extra = [x for x in pd.unique(v.dropna()) if x not in cats]
        return pd.Categorical(v.astype(object), categories=cats + extra)
    if pd.api.types.is_integer_dtype(like.dtype) and pd.api.types.is_numeric_dtype(v):
        arr = v.to_numpy(dtype=np.float64)
        if np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            info = np.iinfo(like.dtype)
            if arr.size == 0 or (arr.min() >= info.min and arr.max() <= info.max):
                return arr.astype(like.dtype)
        return arr
    return v.to_numpy()


def timed_sample(vae: TabularVAE, n: int, seed: int = 0) -> tuple[pd.DataFrame, float]:
    """``(rows, seconds)``: sampling throughput, for benchmarks and the page."""
    t0 = time.perf_counter()
    out = vae.sample(n, seed)
    return out, time.perf_counter() - t0
