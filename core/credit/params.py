"""What defines a credit-model fit: :class:`CreditParams` (part of the artifact key, logged with every run).

Besides the booster's hyper-parameters it carries the analyst's decisions about columns, so the
decisions are part of the model's identity and of its run log:

* ``exclude`` -- columns kept out on purpose;
* ``include_protected`` -- ``{column: reason}``: the explicit Regulation B override that lets a
  protected attribute or a proxy into the features (by default they only feed the fairness tests);
* ``keep_flagged`` -- ``{column: reason}``: columns the leakage scan flagged that the analyst keeps
  anyway, with the reason (by default a flagged column is left out, see ``leakage``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from core.errors import InputError

DEPTHS = (2, 3, 4, 5)  # tried by ``max_depth=None`` (chosen on the validation split)


def _reasons(value: Any, what: str) -> dict[str, str]:
    """A ``{column: reason}`` map from a dict or ``(column, reason)`` pairs; every reason non-empty."""
    items = value.items() if isinstance(value, dict) else (value or ())
    out: dict[str, str] = {}
    for item in items:
        try:
            column, reason = item
        except (TypeError, ValueError) as exc:
            raise InputError(f"Each {what} needs a column and a reason, not {item!r}.") from exc
        reason = str(reason or "").strip()
        if not reason:
            raise InputError(f"Give a reason for {what} '{column}': it is logged with the model.",
                             "Say why the column is needed (e.g. the business necessity reviewed by compliance).")
        out[str(column)] = reason
    return dict(sorted(out.items()))


@dataclass(frozen=True)
class CreditParams:
    """Everything that defines a credit model fit; part of the artifact key.

    ``monotone`` maps feature -> -1/0/+1; ``None`` means the directions of the reason-code
    catalogue for the features present. ``max_depth=None`` picks the depth in :data:`DEPTHS` with
    the least validation log-loss (small files get shallow trees, large ones deeper). ``calibration="auto"``
    is Platt scaling: smooth and strictly monotone, so every what-if edit and counterfactual step
    moves the PD and ranking is untouched; ``"isotonic"`` is more flexible but piecewise constant
    (and clipped to [0.1%, 99.9%]). ``leakage`` says what happens to a column the leakage scan flags
    and the analyst has not decided on: ``"exclude"`` leaves it out with a warning, ``"warn"`` keeps
    it with a warning, ``"error"`` refuses to train.
    """

    n_estimators: int = 1000
    learning_rate: float = 0.05
    max_depth: int | None = None
    min_child_weight: float = 5.0
    subsample: float = 0.8
    colsample_bytree: float = 0.8
    reg_lambda: float = 1.0
    early_stopping_rounds: int = 50
    monotone: dict[str, int] | None = None
    exclude: tuple[str, ...] = ()
    include_protected: dict[str, str] = field(default_factory=dict)
    keep_flagged: dict[str, str] = field(default_factory=dict)
    encoding: Literal["native", "onehot"] = "native"
    calibration: Literal["auto", "isotonic", "platt"] = "auto"
    test_size: float = 0.2
    valid_size: float = 0.2
    split: Literal["auto", "time", "random"] = "auto"
    leakage: Literal["exclude", "warn", "error"] = "exclude"
    seed: int = 42

    def __post_init__(self) -> None:
        if not 0.05 <= self.test_size <= 0.5 or not 0.05 <= self.valid_size <= 0.5:
            raise InputError("Test and validation shares must each lie between 5% and 50%.")
        if self.n_estimators < 1 or (self.max_depth is not None and self.max_depth < 1) or self.learning_rate <= 0:
            raise InputError("Trees, depth and learning rate must be positive.")
        for f, d in (self.monotone or {}).items():
            if d not in (-1, 0, 1):
                raise InputError(f"The monotone direction of '{f}' must be -1, 0 or +1, not {d!r}.")
        if self.leakage not in ("exclude", "warn", "error"):
            raise InputError(f"Unknown leakage policy '{self.leakage}'.", "Use exclude, warn or error.")
        object.__setattr__(self, "exclude", tuple(sorted(set(map(str, self.exclude)))))
        object.__setattr__(self, "include_protected", _reasons(self.include_protected, "the protected attribute"))
        object.__setattr__(self, "keep_flagged", _reasons(self.keep_flagged, "the flagged column"))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["exclude"] = list(self.exclude)
        d["monotone"] = None if self.monotone is None else {k: int(v) for k, v in sorted(self.monotone.items())}
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CreditParams:
        d = dict(d)
        d["exclude"] = tuple(d.get("exclude", ()))
        if d.get("leakage") not in (None, "exclude", "warn", "error"):
            d.pop("leakage")
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})

    def monotone_for(self, features: list[str], categorical: set[str], defaults: dict[str, int]) -> dict[str, int]:
        """Per feature -1/0/+1: the analyst's map, else the catalogue's ``defaults``; categoricals are free."""
        source = defaults if self.monotone is None else self.monotone
        return {f: int(source.get(f, 0)) if f not in categorical else 0 for f in features}
