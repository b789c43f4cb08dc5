"""Training loop of the conditional VAE: random driver masks, early stopping, NaN guard, progress, stop.

After every epoch ``progress(fraction, message)`` gets the epoch, both losses and an honest time
estimate (seconds per epoch so far times the epochs left, "at most": early stopping may end it
sooner), and ``cancel.check()`` lets the page's Stop button end the run (nothing is kept). The
best epoch's weights (lowest validation loss) are restored at the end.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from core.progress import CancelToken, Progress
from core.scenarios.errors import TrainingDivergedError
from core.scenarios.vae import ConditionalVAE

logger = logging.getLogger(__name__)


@dataclass
class TrainHistory:
    train_loss: list[float] = field(default_factory=list)
    valid_loss: list[float] = field(default_factory=list)
    best_epoch: int = 0
    stopped_early: bool = False
    seconds: float = 0.0
    device: str = "cpu"

    def to_dict(self) -> dict:
        return {"train_loss": self.train_loss, "valid_loss": self.valid_loss, "best_epoch": self.best_epoch,
                "stopped_early": self.stopped_early, "seconds": round(self.seconds, 3), "device": self.device}

    @classmethod
    def from_dict(cls, h: dict) -> TrainHistory:
        return cls(list(h.get("train_loss", [])), list(h.get("valid_loss", [])), int(h.get("best_epoch", 0)),
                   bool(h.get("stopped_early", False)), float(h.get("seconds", 0.0)), str(h.get("device", "cpu")))


def eta_message(epoch: int, epochs: int, train: float, valid: float, elapsed: float) -> str:
    """The progress line: epoch, losses and the time left at most (early stopping may end sooner)."""
    left = elapsed / max(epoch, 1) * (epochs - epoch)
    when = "done" if epoch >= epochs else f"at most {left:,.0f} s left" if left >= 1 else "under a second left"
    return f"Epoch {epoch}/{epochs} · loss {train:,.3f} (validation {valid:,.3f}) · {when}"


def random_masks(n: int, n_columns: int, drivers: torch.Tensor, p_unconditional: float,
                 generator: torch.Generator) -> torch.Tensor:
    """(n, C) float masks, 1 = observed.

    A share of rows observe nothing; the rest observe each driver with a row-specific
    probability r ~ U(0, 1) (VAEAC's uniform mask generator, restricted to drivers).
    """
    u = torch.rand((n, n_columns), generator=generator)
    r = torch.rand((n, 1), generator=generator)
    keep = torch.rand((n, 1), generator=generator) >= p_unconditional
    is_driver = torch.zeros(n_columns, dtype=torch.bool)
    is_driver[drivers] = True
    return ((u < r) & keep & is_driver).float()


def split_rows(n: int, valid_share: float, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(validation rows, training rows): the validation rows are also the fidelity check's held-out real rows."""
    perm = torch.randperm(n, generator=gen)
    n_valid = max(min(int(n * valid_share), 5000), min(100, n // 5)) if valid_share > 0 else 0
    return perm[:n_valid], perm[n_valid:]


def holdout_rows(n: int, valid_share: float, seed: int) -> np.ndarray:
    """The validation rows ``train_vae`` used for a fit with this seed (recomputed, not stored)."""
    return np.sort(split_rows(n, valid_share, torch.Generator().manual_seed(seed))[0].numpy())


def learning_rate(step: int, total: int, lr: float, schedule: str = "cosine", warmup: float = 0.0,
                  floor: float = 0.05) -> float:
    """The learning rate at optimiser step ``step`` of ``total``.

    ``cosine``: an optional linear warm-up over the first ``warmup`` share of the steps, then a cosine
    decay to ``floor`` x ``lr`` at the last planned step (large steps early, fine ones late: the same
    loss in fewer steps than a constant rate). No warm-up by default: on small data (German credit)
    early stopping then judged a model still warming up (detection 0.80 against 0.72).
    ``constant``: ``lr`` throughout.
    """
    if schedule == "constant":
        return lr
    warm = int(warmup * total)
    if step < warm:
        return lr * (step + 1) / warm
    done = min(1.0, (step - warm) / max(1, total - warm))
    return lr * (floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * done)))


class FunctionalAdam:
    """Adam (torch's defaults: betas 0.9/0.999, eps 1e-8, no weight decay) through ``torch.optim.adam.adam``.

    The same update, with the same fused kernel, as ``torch.optim.Adam(params, lr, fused=True)``; but
    building any ``torch.optim.Optimizer`` imports ``torch._dynamo`` (some 800 modules, about a
    CPU-second) the first time in a process, which the functional call does not: the first
    generator a session trains does not pay for a compiler it never uses.
    """

    def __init__(self, params: list[torch.Tensor], lr: float, fused: bool | None = None) -> None:
        self.params = [p for p in params if p.requires_grad]
        self.lr = lr
        self.fused = fused
        self.exp_avg = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in self.params]
        # step counters as float32 scalars, on the parameters' device for the fused kernel (else on the CPU), as
        # torch.optim.Adam keeps them
        self.steps = [torch.zeros((), dtype=torch.float32, device=p.device if fused else "cpu") for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        from torch.optim.adam import adam

        params: list[torch.Tensor] = []
        grads: list[torch.Tensor] = []
        avg: list[torch.Tensor] = []
        avg_sq: list[torch.Tensor] = []
        steps: list[torch.Tensor] = []
        for p, m, v, n in zip(self.params, self.exp_avg, self.exp_avg_sq, self.steps, strict=True):
            if p.grad is not None:  # as torch.optim.Adam, a parameter without a gradient is left alone
                params.append(p)
                grads.append(p.grad)
                avg.append(m)
                avg_sq.append(v)
                steps.append(n)
        if params:
            adam(params, grads, avg, avg_sq, [], steps, fused=self.fused, amsgrad=False, beta1=0.9, beta2=0.999, lr=self.lr,
                 weight_decay=0.0, eps=1e-8, maximize=False)


def train_vae(model: ConditionalVAE, numeric: np.ndarray, codes: np.ndarray, drivers: list[int], *,
              epochs: int, batch_size: int, lr: float, patience: int, valid_share: float,
              p_unconditional: float, seed: int, device: str = "cpu", lr_schedule: str = "cosine",
              progress: Progress | None = None, cancel: CancelToken | None = None) -> TrainHistory:
    """Fit ``model`` in place; raises :class:`TrainingDivergedError` if the loss stops being finite."""
    t0 = time.perf_counter()
    torch.manual_seed(seed)  # weight init already happened; this seeds nothing global we rely on
    gen = torch.Generator().manual_seed(seed)
    n = numeric.shape[0]
    valid_idx, train_idx = split_rows(n, valid_share, gen)
    n_valid = int(valid_idx.numel())
    num_t = torch.as_tensor(numeric, dtype=torch.float32)
    cod_t = torch.as_tensor(codes, dtype=torch.long)
    n_cols = model.config.n_columns
    drivers_t = torch.as_tensor(drivers, dtype=torch.long)
    # a fixed validation mask and noise, so epochs are comparable
    v_mask = random_masks(n_valid, n_cols, drivers_t, p_unconditional, torch.Generator().manual_seed(seed + 1))
    v_noise = torch.randn((n_valid, model.config.latent_dim), generator=torch.Generator().manual_seed(seed + 2))
    v_num, v_cod = num_t[valid_idx].to(device), cod_t[valid_idx].to(device)
    v_mask, v_noise = v_mask.to(device), v_noise.to(device)
    tr_num, tr_cod = num_t[train_idx].to(device), cod_t[train_idx].to(device)
    model.to(device)
    # the fused kernel updates all parameters in one pass (CPU and CUDA): ~10% of a small model's step
    fused = torch.device(device).type in ("cpu", "cuda")
    opt = FunctionalAdam(list(model.parameters()), lr=lr, fused=fused or None)
    history = TrainHistory(device=device)
    best_state, best = None, math.inf
    n_train = tr_num.shape[0]
    steps = max(1, math.ceil(n_train / batch_size))
    bad_epochs = 0
    for epoch in range(1, epochs + 1):
        if cancel is not None:
            cancel.check()
        model.train()
        order = torch.randperm(n_train, generator=gen).to(device)
        masks = random_masks(n_train, n_cols, drivers_t, p_unconditional, gen).to(device)
        noise = torch.randn((n_train, model.config.latent_dim), generator=gen).to(device)
        # the epoch's rows, masks and noise shuffled once, so each step takes contiguous slices (four gathers
        # an epoch instead of four a step; the batches are the ones indexing by ``order`` per step gives)
        ep_num, ep_cod, ep_mask, ep_noise = tr_num[order], tr_cod[order], masks[order], noise[order]
        # the loss stays on the device during the epoch: one host sync per epoch, not one per step
        losses = torch.empty(steps, device=device)
        for s in range(steps):
            rate = learning_rate((epoch - 1) * steps + s, epochs * steps, lr, lr_schedule)
            opt.lr = rate
            rows = slice(s * batch_size, min(n_train, (s + 1) * batch_size))
            out = model(ep_num[rows], ep_cod[rows], ep_mask[rows], ep_noise[rows])
            loss = out["loss"].mean()
            opt.zero_grad()
            loss.backward()
            # a non-finite loss gives non-finite gradients; clipping then leaves the weights non-finite
            # for the rest of the epoch, and the check below stops the run before they are kept
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            opt.step()
            losses[s] = loss.detach() * (rows.stop - rows.start)
        train_loss = losses.sum().item() / n_train
        if not math.isfinite(train_loss):
            bad = int(torch.nonzero(~torch.isfinite(losses))[0, 0]) + 1
            raise TrainingDivergedError(
                f"Training diverged: the loss stopped being finite at epoch {epoch}, step {bad}.",
                "Lower the learning rate or the batch size, or check the data for extreme or constant columns.")
        valid_loss = train_loss
        if n_valid:
            model.eval()
            with torch.no_grad():
                valid_loss = model(v_num, v_cod, v_mask, v_noise)["loss"].mean().item()
            if not math.isfinite(valid_loss):
                raise TrainingDivergedError(f"Training diverged: the validation loss became {valid_loss} at epoch {epoch}.",
                                            "Lower the learning rate, or check the data for extreme values.")
        history.train_loss.append(round(train_loss, 5))
        history.valid_loss.append(round(valid_loss, 5))
        if progress:
            progress(epoch / epochs, eta_message(epoch, epochs, train_loss, valid_loss, time.perf_counter() - t0))
        if valid_loss < best - 1e-3 * max(1.0, abs(best) if math.isfinite(best) else 1.0):
            best, bad_epochs, history.best_epoch = valid_loss, 0, epoch
            best_state = copy.deepcopy(model.state_dict())
        else:
            bad_epochs += 1
            if bad_epochs >= patience:
                history.stopped_early = True
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    history.seconds = time.perf_counter() - t0
    return history
