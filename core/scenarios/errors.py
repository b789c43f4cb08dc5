"""Typed errors and warnings of the scenario engine, with messages an analyst can act on."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import DataError, InputError, ModelError


class NotEnoughDataError(DataError):
    """Fewer rows than the generator needs to learn the joint distribution."""


class TrainingDivergedError(ModelError):
    """The loss became NaN or infinite during training."""


class PinError(InputError):
    """The pinned columns leave nothing to generate, or name unknown columns."""


class NoCreditModelError(ModelError):
    """No credit model has been trained on this dataset yet."""


@dataclass(frozen=True)
class Extrapolation:
    """A pinned or shocked value outside the range seen in training (allowed, but flagged)."""

    column: str
    seen_min: float
    seen_max: float
    value_min: float
    value_max: float
    share_outside: float  # share of rows whose value lies outside [seen_min, seen_max]

    @property
    def message(self) -> str:
        return (f"'{self.column}' is pinned to {self.value_min:,.4g}..{self.value_max:,.4g}, outside the range seen in "
                f"training ({self.seen_min:,.4g}..{self.seen_max:,.4g}) for {_share(self.share_outside)} of rows. The generator "
                "treats such values as the nearest seen extreme (it does not extrapolate); the macro-to-PD overlay "
                "carries the part beyond the range into PD.")


def _share(x: float) -> str:
    return "under 0.1%" if 0 < x < 0.001 else f"{x:.1%}"
