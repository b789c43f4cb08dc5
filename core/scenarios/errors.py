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
    def step_outside(self) -> float:
        """How far the furthest value lies beyond the seen range (column units)."""
        return max(self.value_max - self.seen_max, self.seen_min - self.value_min, 0.0)

    @property
    def message(self) -> str:
        side = "above the highest" if self.value_max - self.seen_max >= self.seen_min - self.value_min else "below the lowest"
        from core.formatting import humanize

        return (f"Extrapolation: {humanize(self.column)} reaches {_num(self.value_max if side.startswith('above') else self.value_min)}, "
                f"{_num(self.step_outside)} {side} value seen in training ({_num(self.seen_min)} to {_num(self.seen_max)}), "
                f"for {_share(self.share_outside)} of customers. Beyond that range the generator holds its response at "
                "the nearest seen value and the satellite model extends its straight line: treat these figures as "
                "an extrapolation.")


def _num(x: float) -> str:
    """As many decimals as the size needs, no trailing zeros: 776,940; 14.5; 3; 0.01 (never 776,940.00)."""
    from core.formatting import number

    a = abs(x)
    text = number(x, 0 if a >= 100 else 1 if a >= 10 else 2)
    return text.rstrip("0").rstrip(".") if "." in text else text


def _share(x: float) -> str:
    from core.formatting import pct

    return "under 0.1%" if 0 < x < 0.001 else pct(x, 1)
