"""``TabularGAN``: a conditional tabular GAN beside the VAE, with the same conditioning and lifecycle.

The design follows the CTGAN paper (Xu et al., NeurIPS 2019; CTGAN's code is under the Business
Source License and is not used here): mode-specific normalisation of continuous columns
(:mod:`core.scenarios.gan_transform`), Gumbel-softmax outputs for modes and categories, a
WGAN-GP critic that judges packs of rows (PacGAN), and training-by-sampling: part of every batch
is conditioned on one discrete column's category, drawn by log-frequency, so rare categories are
learned. Conditioning is generalised the way the VAE's is: the generator sees a per-column mask
and the observed values (``[z, x_obs, m]``), trained on random driver masks, so any pinned subset
is sampled in one pass, without rejection. Pinned columns are written in exactly as given; the
data's exact rules (:mod:`core.scenarios.structure`) are enforced on every generated row.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F

from core.errors import ModelLoadError
from core.progress import CancelToken, Progress
from core.scenarios.errors import Extrapolation, NotEnoughDataError, PinError, TrainingDivergedError
from core.scenarios.gan_transform import ModeNormalizer
from core.scenarios.structure import Structure
from core.scenarios.trainer import TrainHistory, eta_message, split_rows

WEIGHTS = "gan.pt"
CHUNK = 65_536


@dataclass(frozen=True)
class GANParams:
    noise_dim: int = 64
    hidden: int = 256
    steps: int = 1500
    batch_size: int = 500
    pac: int = 10
    lr: float = 2e-4
    gp_weight: float = 10.0
    p_unconditional: float = 0.3
    p_category: float = 0.5  # of the unconditional rows: conditioned on one discrete column's category
    valid_share: float = 0.1
    min_rows: int = 500
    structure: bool = True
    seed: int = 42

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> GANParams:
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


class _Generator(nn.Module):
    def __init__(self, d_in: int, hidden: int, d_out: int) -> None:
        super().__init__()
        self.l1, self.l2 = nn.Linear(d_in, hidden), nn.Linear(d_in + hidden, hidden)
        self.b1, self.b2 = nn.BatchNorm1d(hidden), nn.BatchNorm1d(hidden)
        self.out = nn.Linear(d_in + 2 * hidden, d_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # residual blocks that keep their input, as in the paper
        h1 = torch.cat([F.relu(self.b1(self.l1(x))), x], dim=1)
        h2 = torch.cat([F.relu(self.b2(self.l2(h1))), h1], dim=1)
        return self.out(h2)


def _critic(d_in: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, hidden), nn.LeakyReLU(0.2), nn.Dropout(0.5), nn.Linear(hidden, hidden),
                         nn.LeakyReLU(0.2), nn.Dropout(0.5), nn.Linear(hidden, 1))


class TabularGAN:
    family = "gan"

    def __init__(self, params: GANParams | None = None, device: str = "cpu", fingerprint: str | None = None) -> None:
        self.params = params or GANParams()
        self.device = device
        self.fingerprint = fingerprint

    # ---- layout -------------------------------------------------------------------------------
    def _layout(self) -> None:
        t = self.transformer_
        self.spans_ = t.spans()
        self.col_index_ = {c.name: i for i, c in enumerate(t.columns_)}
        dims = np.concatenate([np.full(b - a, i) for i, (a, b, _) in enumerate(self.spans_)])
        self.dim_column_ = torch.as_tensor(dims, dtype=torch.long)

    def _activate(self, raw: torch.Tensor, gen: torch.Generator | None = None, hard: bool = False) -> torch.Tensor:
        parts = []
        for a, b, kind in self.spans_:
            if kind == "continuous":
                parts.append(torch.tanh(raw[:, a:a + 1]))
                parts.append(self._gumbel(raw[:, a + 1:b], gen, hard))
            else:
                parts.append(self._gumbel(raw[:, a:b], gen, hard))
        return torch.cat(parts, dim=1)

    @staticmethod
    def _gumbel(logits: torch.Tensor, gen: torch.Generator | None, hard: bool, tau: float = 0.2) -> torch.Tensor:
        u = torch.rand(logits.shape, generator=gen).to(logits.device) if gen is not None else torch.rand_like(logits)
        y = F.softmax((logits - torch.log(-torch.log(u.clamp(1e-10, 1 - 1e-10)))) / tau, dim=1)
        if hard:
            return F.one_hot(y.argmax(dim=1), y.shape[1]).to(y.dtype)
        return y

    # ---- fit ----------------------------------------------------------------------------------
    def fit(self, frame: pd.DataFrame, categorical: list[str] | None = None, progress: Progress | None = None,
            cancel: CancelToken | None = None) -> TabularGAN:
        p = self.params
        if len(frame) < p.min_rows:
            raise NotEnoughDataError(f"The generator needs at least {p.min_rows} rows; this data has {len(frame)}.",
                                     "Use a larger dataset, or the embedded synthetic portfolio.")
        t0 = time.perf_counter()
        torch.manual_seed(p.seed)
        rng = np.random.default_rng(p.seed)
        cats = set(categorical or [])
        self.columns_list_ = [str(c) for c in frame.columns]
        self.dtypes_ = {c: str(frame[c].dtype) for c in frame.columns}
        self.categories_ = {c: [v.item() if isinstance(v, np.generic) else v for v in frame[c].cat.categories]
                            for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)}
        self.structure_ = Structure.discover(frame, cats) if p.structure else Structure()
        self.transformer_ = ModeNormalizer().fit(frame, cats, p.seed)
        self._layout()
        data = torch.as_tensor(self.transformer_.transform(frame, rng))
        n_cols = len(self.spans_)
        d = data.shape[1]
        gen = torch.Generator().manual_seed(p.seed)
        _held_out, train_idx = split_rows(len(frame), p.valid_share, gen)  # the same split the VAE holds out
        train = data[train_idx]
        self.generator_ = _Generator(p.noise_dim + d + n_cols, p.hidden, d)
        self.critic_ = _critic((d + n_cols) * p.pac, p.hidden)
        dev = torch.device(self.device)
        self.generator_.to(dev)
        self.critic_.to(dev)
        opt_g = torch.optim.Adam(self.generator_.parameters(), lr=p.lr, betas=(0.5, 0.9), weight_decay=1e-6)
        opt_c = torch.optim.Adam(self.critic_.parameters(), lr=p.lr, betas=(0.5, 0.9), weight_decay=1e-6)
        discrete = [i for i, (_, _, k) in enumerate(self.spans_) if k == "discrete"]
        by_cat = self._category_index(train, discrete)
        batch = max(p.pac, (p.batch_size // p.pac) * p.pac)
        history = TrainHistory(device=self.device)
        report = max(1, p.steps // 30)
        g_losses, c_losses = [], []
        for step in range(1, p.steps + 1):
            if cancel is not None and step % 25 == 0:
                cancel.check()
            real, mask = self._batch(train, batch, discrete, by_cat, rng, n_cols)
            real, mask = real.to(dev), mask.to(dev)
            fake = self._fake(real, mask, gen, dev)
            c_loss = self._critic_loss(real, fake.detach(), mask)
            opt_c.zero_grad(set_to_none=True)
            c_loss.backward()
            opt_c.step()
            fake = self._fake(real, mask, gen, dev)
            g_loss = -self.critic_(self._pack(fake, mask)).mean()
            opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            opt_g.step()
            if not (math.isfinite(float(g_loss)) and math.isfinite(float(c_loss))):
                raise TrainingDivergedError(f"GAN training diverged at step {step}.", "Lower the learning rate.")
            g_losses.append(float(g_loss))
            c_losses.append(float(c_loss))
            if step % report == 0 or step == p.steps:
                history.train_loss.append(round(float(np.mean(g_losses[-report:])), 5))
                history.valid_loss.append(round(float(np.mean(c_losses[-report:])), 5))
                if progress:
                    progress(step / p.steps, eta_message(step, p.steps, history.train_loss[-1], history.valid_loss[-1],
                                                         time.perf_counter() - t0).replace("Epoch", "Step"))
        history.best_epoch = len(history.train_loss)
        history.seconds = time.perf_counter() - t0
        self.history_ = history
        self.generator_.eval()
        return self

    def _category_index(self, train: torch.Tensor, discrete: list[int]) -> dict[int, tuple[list[np.ndarray], np.ndarray]]:
        out = {}
        x = train.numpy()
        for i in discrete:
            a, b, _ = self.spans_[i]
            codes = x[:, a:b].argmax(axis=1)
            rows = [np.flatnonzero(codes == k) for k in range(b - a)]
            freq = np.array([r.size for r in rows], dtype=np.float64)
            logf = np.log1p(freq) * (freq > 0)
            out[i] = (rows, logf / logf.sum() if logf.sum() > 0 else np.full(b - a, 1 / (b - a)))
        return out

    def _batch(self, train: torch.Tensor, batch: int, discrete: list[int], by_cat, rng: np.random.Generator,
               n_cols: int) -> tuple[torch.Tensor, torch.Tensor]:
        p = self.params
        idx = rng.integers(0, train.shape[0], batch)
        mask = np.zeros((batch, n_cols), dtype=np.float32)
        uncond = rng.random(batch) < p.p_unconditional
        r = rng.random((batch, 1))
        mask[~uncond] = (rng.random((int((~uncond).sum()), n_cols)) < r[~uncond]).astype(np.float32)
        if discrete:  # training-by-sampling: a category by log-frequency, and a real row that has it
            pick = np.flatnonzero(uncond & (rng.random(batch) < p.p_category))
            for j in pick:
                col = discrete[rng.integers(0, len(discrete))]
                rows, prob = by_cat[col]
                k = rng.choice(len(prob), p=prob)
                if rows[k].size:
                    idx[j] = rows[k][rng.integers(0, rows[k].size)]
                    mask[j, col] = 1.0
        return train[idx], torch.as_tensor(mask)

    def _fake(self, real: torch.Tensor, mask: torch.Tensor, gen: torch.Generator, dev) -> torch.Tensor:
        dm = mask[:, self.dim_column_.to(dev)]
        z = torch.randn((real.shape[0], self.params.noise_dim), generator=gen).to(dev)
        raw = self.generator_(torch.cat([z, real * dm, mask], dim=1))
        out = self._activate(raw)
        return out * (1 - dm) + real * dm  # pinned parts are the real values

    def _pack(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        both = torch.cat([x, mask], dim=1)
        return both.reshape(-1, both.shape[1] * self.params.pac)

    def _critic_loss(self, real: torch.Tensor, fake: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        pr, pf = self._pack(real, mask), self._pack(fake, mask)
        alpha = torch.rand((pr.shape[0], 1), device=pr.device)
        mix = (alpha * pr + (1 - alpha) * pf).requires_grad_(True)
        grad = torch.autograd.grad(self.critic_(mix).sum(), mix, create_graph=True)[0]
        gp = ((grad.norm(2, dim=1) - 1) ** 2).mean()
        return self.critic_(pf).mean() - self.critic_(pr).mean() + self.params.gp_weight * gp

    # ---- facts --------------------------------------------------------------------------------
    @property
    def columns(self) -> list[str]:
        return list(self.columns_list_)

    def seen_range(self, column: str) -> tuple[float, float] | list:
        c = self.transformer_.columns_[self.col_index_[column]]
        return (c.vmin, c.vmax) if c.kind == "continuous" else list(c.categories)

    def check_pins(self, pinned: pd.DataFrame) -> list[Extrapolation]:
        flags = []
        for c in pinned.columns:
            if c not in self.col_index_:
                continue
            rng = self.seen_range(c)
            if not isinstance(rng, tuple):
                continue
            lo, hi = rng
            x = pd.to_numeric(pinned[c], errors="coerce").to_numpy(dtype=np.float64)
            tol = 0.01 * (hi - lo) + 1e-9
            outside = (x < lo - tol) | (x > hi + tol)
            if outside.any():
                flags.append(Extrapolation(c, lo, hi, float(np.nanmin(x)), float(np.nanmax(x)), float(outside.mean())))
        return flags

    # ---- generation -------------------------------------------------------------------------
    def sample(self, n: int, seed: int = 0) -> pd.DataFrame:
        return self._generate(pd.DataFrame(index=range(n)), [], seed)

    def sample_conditional(self, pinned: pd.DataFrame | dict, n: int | None = None, seed: int = 0) -> pd.DataFrame:
        if isinstance(pinned, dict):
            n = n if n is not None else max((len(np.atleast_1d(v)) for v in pinned.values()), default=0)
            pinned = pd.DataFrame({c: np.broadcast_to(np.asarray(v), (n,)) if np.ndim(v) == 0 else np.asarray(v)
                                   for c, v in pinned.items()})
        unknown = [c for c in pinned.columns if c not in self.col_index_]
        if unknown:
            raise PinError(f"These pinned columns are not in the generator: {', '.join(map(str, unknown))}.")
        if set(self.columns) <= set(pinned.columns):
            raise PinError("Every column is pinned, so there is nothing left for the generator to draw.")
        return self._generate(pinned.reset_index(drop=True), list(pinned.columns), seed)

    @torch.inference_mode()
    def _raw(self, observed: pd.DataFrame, pinned: list[str], seed: int, hard: bool = True) -> np.ndarray:
        n = len(observed)
        dev = next(self.generator_.parameters()).device
        filled = observed.copy()
        for c in self.columns:  # placeholders for unpinned columns (masked out)
            if c not in filled.columns:
                filled[c] = self._placeholder(c, n)
        x = torch.as_tensor(self.transformer_.transform(filled[self.columns]))
        mask = torch.zeros((n, len(self.spans_)))
        for c in pinned:
            mask[:, self.col_index_[c]] = 1.0
        gen = torch.Generator().manual_seed(int(seed))
        out = np.empty((n, x.shape[1]), dtype=np.float32)
        for s0 in range(0, n, CHUNK):
            s1 = min(n, s0 + CHUNK)
            m = mask[s0:s1].to(dev)
            dm = m[:, self.dim_column_.to(dev)]
            z = torch.randn((s1 - s0, self.params.noise_dim), generator=gen).to(dev)
            raw = self.generator_(torch.cat([z, x[s0:s1].to(dev) * dm, m], dim=1))
            act = self._activate(raw, gen, hard=hard)
            out[s0:s1] = (act * (1 - dm) + x[s0:s1].to(dev) * dm).cpu().numpy()
        return out

    def _placeholder(self, c: str, n: int):
        code = self.transformer_.columns_[self.col_index_[c]]
        if code.kind == "continuous":
            return np.full(n, float(np.dot(code.weights, code.means)))
        return np.array([code.categories[0]] * n, dtype=object)

    def _generate(self, observed: pd.DataFrame, pinned: list[str], seed: int) -> pd.DataFrame:
        raw = self._raw(observed, pinned, seed)
        frame = self.transformer_.inverse(raw)
        for c in pinned:
            frame[c] = observed[c].to_numpy()
        frame = self._dtypes(frame)
        return self.structure_.enforce(frame[self.columns], keep=set(pinned))

    def _dtypes(self, frame: pd.DataFrame) -> pd.DataFrame:
        for c, dt in self.dtypes_.items():
            try:
                if c in self.categories_:
                    frame[c] = pd.Categorical(frame[c], categories=self.categories_[c])
                elif dt != "object":
                    frame[c] = frame[c].astype(dt)
            except (TypeError, ValueError):
                pass
        return frame

    def shift(self, frame: pd.DataFrame, shifted: dict, columns: list[str], hidden: tuple[str, ...] = (),
              draws: int = 4) -> pd.DataFrame:
        """Customers' numeric ``columns`` moved by the generator's response to the ``shifted`` pins.

        The same noise on both sides (common random numbers), averaged over ``draws`` draws; the
        move is made in each column's rank space, so a customer keeps their place among customers
        like them and a zero stress returns them unchanged.
        """
        cols = [c for c in columns if c in self.col_index_ and c not in shifted and c not in hidden]
        out = frame.copy()
        if not cols or not shifted:
            return out
        observed = [c for c in self.columns if c not in cols and c not in hidden]
        base = frame[observed].reset_index(drop=True)
        moved = base.copy()
        for c, v in shifted.items():
            moved[c] = np.asarray(v)
        delta = {c: np.zeros(len(frame)) for c in cols}
        for k in range(draws):
            gb = self.transformer_.inverse(self._raw(base, observed, 1000 + k, hard=False))
            gs = self.transformer_.inverse(self._raw(moved, observed, 1000 + k, hard=False))
            for c in cols:
                delta[c] += (pd.to_numeric(gs[c], errors="coerce").to_numpy(dtype=np.float64)
                             - pd.to_numeric(gb[c], errors="coerce").to_numpy(dtype=np.float64)) / draws
        for c in cols:
            x = pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=np.float64)
            ref = np.sort(x[np.isfinite(x)])
            u = np.searchsorted(ref, x, side="right") / max(ref.size, 1)
            u_new = np.searchsorted(ref, x + delta[c], side="right") / max(ref.size, 1)
            du = u_new - u
            new = np.quantile(ref, np.clip(u + du, 0, 1)) if ref.size else x
            vals = np.where(np.abs(delta[c]) < 1e-12, x, new)
            out[c] = np.round(vals).astype(frame[c].dtype) if pd.api.types.is_integer_dtype(frame[c].dtype) else vals
        return out

    def anomaly_scores(self, frame: pd.DataFrame):
        raise NotImplementedError("The GAN has no likelihood; the VAE's anomaly score is the early-warning signal.")

    # ---- persistence --------------------------------------------------------------------------
    def write(self, folder: Path) -> dict:
        folder = Path(folder)
        state = {f"g.{k}": v.detach().cpu() for k, v in self.generator_.state_dict().items()}
        torch.save(state, folder / WEIGHTS)
        return {"family": self.family, "params": self.params.to_dict(), "columns": self.columns_list_, "dtypes": self.dtypes_,
                "categories": self.categories_, "transformer": self.transformer_.to_dict(),
                "structure": self.structure_.to_dict(), "history": self.history_.to_dict(), "torch_version": torch.__version__}

    @classmethod
    def load(cls, folder: Path | str, device: str = "cpu") -> TabularGAN:
        folder = Path(folder)
        try:
            meta = json.loads((folder / "meta.json").read_text())
            state = torch.load(folder / WEIGHTS, map_location="cpu", weights_only=True)
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelLoadError(f"The scenario GAN in {folder} cannot be read ({exc}).", "Train it again.") from exc
        g = cls(GANParams.from_dict(meta["params"]), device, fingerprint=meta.get("fingerprint"))
        g.columns_list_ = list(meta["columns"])
        g.dtypes_ = dict(meta["dtypes"])
        g.categories_ = {k: list(v) for k, v in meta.get("categories", {}).items()}
        g.transformer_ = ModeNormalizer.from_dict(meta["transformer"])
        g.structure_ = Structure.from_dict(meta.get("structure"))
        g.history_ = TrainHistory.from_dict(meta.get("history", {}))
        g._layout()
        d = g.transformer_.width
        g.generator_ = _Generator(g.params.noise_dim + d + len(g.spans_), g.params.hidden, d)
        g.generator_.load_state_dict({k[2:]: v for k, v in state.items() if k.startswith("g.")})
        g.generator_.to("cpu" if device == "mps" else device).eval()
        return g
