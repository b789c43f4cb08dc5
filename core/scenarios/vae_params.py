"""``VAEParams``: everything that defines a generator fit, and part of its artifact key."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from core.errors import InputError
from core.scenarios.limits import EPOCHS

MIN_ROWS = 500


@dataclass(frozen=True)
class VAEParams:
    """Everything that defines a fit; part of the artifact key.

    ``epochs=None`` picks about ``steps`` optimiser steps (bounded to 8..300 epochs); ``batch_size=None``
    picks n/16 bounded to 256..512. ``drivers=None`` lets every column be pinned.

    Detection AUC on the 50k default: 1,600 steps of 512 rows (cosine) 0.823, as 1,000 constant-rate
    steps of 2,048 at 0.55x the compute; 3,200 steps 0.817. ``beta`` and the prior moved it (seed 0):
    beta 1, 16 diagonal components 0.831; beta 0.3, 128 full ones 0.742 (seed 1 0.748; German 0.566).
    """

    latent_dim: int = 16
    hidden: int = 192
    depth: int = 2
    beta: float = 0.3  # KL weight: more of each row reaches the latent (10 active dimensions on the default, 6 at 1.0)
    activation: str = "silu"
    epochs: int | None = None
    batch_size: int | None = None
    lr: float = 4e-3
    lr_schedule: str = "cosine"  # warm-up then cosine decay over the planned steps (core.scenarios.trainer.learning_rate)
    patience: int = 5
    valid_share: float = 0.1
    p_unconditional: float = 0.3
    drivers: tuple[str, ...] | None = None
    structure: bool = True  # find and enforce the data's exact rules (core.scenarios.structure)
    steps: int = 1600  # optimiser steps when epochs is None (see above)
    prior_components: int = 128  # a full-covariance mixture over the training rows' latents for unconditional rows; 0: N(0, I)
    discrete_max_levels: int = 15
    min_rows: int = MIN_ROWS
    seed: int = 42

    def __post_init__(self) -> None:
        if self.epochs is not None and not EPOCHS[0] <= self.epochs <= EPOCHS[1]:
            raise InputError(f"Generator epochs must lie between {EPOCHS[0]} and {EPOCHS[1]:,} ({self.epochs} was given).",
                             "Leave epochs unset for the automatic choice.")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["drivers"] = None if self.drivers is None else list(self.drivers)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> VAEParams:
        d = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        if d.get("drivers") is not None:
            d["drivers"] = tuple(d["drivers"])
        return cls(**d)

    def resolved(self, n_rows: int) -> tuple[int, int]:
        """(epochs, batch_size) for ``n_rows`` training rows."""
        batch = self.batch_size or int(min(512, max(256, 2 ** round(math.log2(max(n_rows, 1) / 16)))))
        steps = max(1, math.ceil(n_rows * (1 - self.valid_share) / batch))
        epochs = self.epochs or int(min(300, max(8, math.ceil(self.steps / steps))))
        return epochs, batch
