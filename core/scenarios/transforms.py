"""Per-column transforms between a mixed-type frame and the VAE's matrix.

* **Continuous numeric** columns go through a quantile transform to a standard normal (what
  sklearn's ``QuantileTransformer(output_distribution="normal")`` does, re-implemented here so the
  fitted state is a plain list of quantiles that serialises to JSON): skewed amounts and point
  masses (a zero balance for non-holders) become a well-behaved Gaussian target, and the inverse
  maps samples back into the observed range with the original rounding.
* **Categorical** columns, and integer columns with few distinct values (flags, counts, terms),
  become integer codes; the network sees them one-hot and predicts them through softmax heads.

Nothing is pickled: :meth:`TabularTransformer.to_dict` / :meth:`from_dict` round-trip through JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import ndtri

N_QUANTILES = 1000
DISCRETE_MAX_LEVELS = 15  # integer columns with at most this many values are modelled as categories
_EPS = 1e-7
INVERSE_BLOCK = 8_192  # rows per pass of the inverse (the block's arrays stay in cache)
MISSING = "(missing)"


@dataclass
class NumericSpec:
    name: str
    quantiles: np.ndarray  # (Q,) values at the reference probabilities
    median: float
    decimals: int
    dtype: str
    vmin: float
    vmax: float

    def to_dict(self) -> dict:
        return {"name": self.name, "quantiles": self.quantiles.tolist(), "median": self.median,
                "decimals": self.decimals, "dtype": self.dtype, "vmin": self.vmin, "vmax": self.vmax}

    @classmethod
    def from_dict(cls, d: dict) -> NumericSpec:
        return cls(d["name"], np.asarray(d["quantiles"], dtype=np.float64), d["median"], d["decimals"], d["dtype"],
                   d["vmin"], d["vmax"])


@dataclass
class CategoricalSpec:
    name: str
    categories: list  # values in code order (JSON-safe: str, int, float or bool)
    kind: str  # "category", "object", "bool" or a numeric dtype name (discrete numeric)
    frequencies: list[float] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"name": self.name, "categories": self.categories, "kind": self.kind, "frequencies": self.frequencies}

    @classmethod
    def from_dict(cls, d: dict) -> CategoricalSpec:
        return cls(d["name"], list(d["categories"]), d["kind"], list(d.get("frequencies", [])))


def _decimals(x: np.ndarray) -> int:
    sample = x[: 5000]
    for d in range(0, 7):
        if np.allclose(np.round(sample, d), sample, rtol=0, atol=1e-9):
            return d
    return -1  # keep full precision


def _py(v):
    return v.item() if isinstance(v, np.generic) else v


class TabularTransformer:
    """Maps a frame to ``(numeric z-scores, category codes)`` and back.

    Fitted attributes: ``numeric_`` (:class:`NumericSpec` per continuous column) and
    ``categorical_`` (:class:`CategoricalSpec` per categorical or discrete column), in the order
    the network sees them; ``columns_`` is the original column order.
    """

    def __init__(self, discrete_max_levels: int = DISCRETE_MAX_LEVELS, n_quantiles: int = N_QUANTILES) -> None:
        self.discrete_max_levels = discrete_max_levels
        self.n_quantiles = n_quantiles

    # ---- fit -----------------------------------------------------------------------------
    def fit(self, frame: pd.DataFrame, categorical: list[str] | None = None) -> TabularTransformer:
        categorical = set(categorical or [])
        self.columns_ = [str(c) for c in frame.columns]
        self.numeric_: list[NumericSpec] = []
        self.categorical_: list[CategoricalSpec] = []
        for c in self.columns_:
            s = frame[c]
            is_num = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
            if is_num and c not in categorical:
                x = s.to_numpy(dtype=np.float64)
                finite = x[np.isfinite(x)]
                if finite.size == 0:
                    finite = np.zeros(1)
                levels = np.unique(finite)
                integer = np.allclose(levels, np.round(levels))
                if integer and levels.size <= self.discrete_max_levels:
                    cats = [_py(v) for v in levels.astype(s.dtype if pd.api.types.is_integer_dtype(s) else np.float64)]
                    self.categorical_.append(CategoricalSpec(c, cats, str(s.dtype)))
                    continue
                q = min(self.n_quantiles, max(10, finite.size))
                quantiles = np.quantile(finite, np.linspace(0, 1, q))
                self.numeric_.append(NumericSpec(c, quantiles, float(np.median(finite)), _decimals(finite), str(s.dtype),
                                                 float(finite.min()), float(finite.max())))
            else:
                if isinstance(s.dtype, pd.CategoricalDtype):
                    cats = [_py(v) for v in s.cat.categories]
                    kind = "category"
                elif pd.api.types.is_bool_dtype(s):
                    cats, kind = [False, True], "bool"
                else:
                    cats = sorted({_py(v) for v in s.dropna().unique()}, key=str)
                    kind = "object" if not pd.api.types.is_numeric_dtype(s) else str(s.dtype)
                if s.isna().any():
                    cats = [*cats, MISSING]
                self.categorical_.append(CategoricalSpec(c, cats, kind))
        codes = self._codes(frame)
        for j, spec in enumerate(self.categorical_):
            counts = np.bincount(codes[:, j][codes[:, j] >= 0], minlength=len(spec.categories))
            spec.frequencies = (counts / max(1, counts.sum())).round(6).tolist()
        return self

    # ---- layout ------------------------------------------------------------------------------
    @property
    def numeric_names(self) -> list[str]:
        return [s.name for s in self.numeric_]

    @property
    def categorical_names(self) -> list[str]:
        return [s.name for s in self.categorical_]

    @property
    def model_columns(self) -> list[str]:
        """Columns in the network's order: continuous first, then categorical."""
        return self.numeric_names + self.categorical_names

    @property
    def cardinalities(self) -> list[int]:
        return [len(s.categories) for s in self.categorical_]

    def spec(self, column: str) -> NumericSpec | CategoricalSpec:
        specs: list[NumericSpec | CategoricalSpec] = [*self.numeric_, *self.categorical_]
        for s in specs:
            if s.name == column:
                return s
        raise KeyError(column)

    # ---- forward -----------------------------------------------------------------------------
    def numeric_matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """(n, n_numeric) standard-normal scores; missing values get the median's score."""
        out = np.empty((len(frame), len(self.numeric_)), dtype=np.float32)
        for j, spec in enumerate(self.numeric_):
            x = pd.to_numeric(frame[spec.name], errors="coerce").to_numpy(dtype=np.float64)
            x = np.where(np.isfinite(x), x, spec.median)
            out[:, j] = self._to_normal(x, spec.quantiles)
        return out

    @staticmethod
    def _to_normal(x: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
        refs = np.linspace(0, 1, quantiles.size)
        # average of the upward and downward interpolation, as sklearn does, so tied values
        # (a point mass at zero) map to the middle of their probability range
        u = 0.5 * (np.interp(x, quantiles, refs) - np.interp(-x, -quantiles[::-1], -refs[::-1]))
        return ndtri(np.clip(u, _EPS, 1 - _EPS))

    def _codes(self, frame: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(frame), len(self.categorical_)), dtype=np.int64)
        for j, spec in enumerate(self.categorical_):
            out[:, j] = self.codes_of(spec, frame[spec.name])
        return out

    @staticmethod
    def codes_of(spec: CategoricalSpec, s: pd.Series) -> np.ndarray:
        """Integer codes of a column; unseen values get -1 (the network then sees no one-hot)."""
        cats = spec.categories
        has_missing = MISSING in cats
        if spec.kind == "category" and isinstance(s.dtype, pd.CategoricalDtype) and \
                [_py(v) for v in s.cat.categories] == [c for c in cats if c != MISSING]:
            codes = s.cat.codes.to_numpy().astype(np.int64)
            if has_missing:
                codes = np.where(codes < 0, len(cats) - 1, codes)
            return codes
        lookup = {c: i for i, c in enumerate(cats)}
        if spec.kind not in ("category", "object", "bool"):  # discrete numeric
            lookup = {float(c): i for i, c in enumerate(cats) if c != MISSING}
            vals = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64)
            uniq, inv = np.unique(vals, return_inverse=True)
            table = np.array([lookup.get(float(u), -1) for u in uniq], dtype=np.int64)
            codes = table[inv] if uniq.size else np.zeros(0, dtype=np.int64)
            if has_missing:
                codes = np.where(np.isnan(vals), len(cats) - 1, codes)
            return codes
        values = s.astype(object).to_numpy()
        isna = pd.isna(values)
        codes = np.fromiter((lookup.get(_py(v), -1) for v in values), dtype=np.int64, count=len(values))
        if has_missing:
            codes = np.where(isna, len(cats) - 1, codes)
        return codes

    def transform(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """``(numeric scores (n, n_num) float32, category codes (n, n_cat) int64)``."""
        return self.numeric_matrix(frame), self._codes(frame)

    # ---- inverse -------------------------------------------------------------------------------
    def inverse_numeric(self, z: np.ndarray) -> dict[str, np.ndarray]:
        """Scores back to values: ``{column: (n,) float64}``, each a contiguous row of one (N, n) array."""
        values = self.inverse_values(z)
        return {spec.name: values[j] for j, spec in enumerate(self.numeric_)}

    def inverse_values(self, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """(N, n) float64 values from (n, N) scores, one row per continuous column, rounded as the data was.

        The reference probabilities are evenly spaced, so the inverse is a direct table lookup (no
        search), done for all columns at once on cache-sized blocks of rows, column-major so each
        column comes out contiguous (a frame built from the rows copies nothing). ``out``: an (N, n)
        float64 array (or a column slice of one) to write into, as the sampler does block by block.
        """
        n = z.shape[0]
        if out is None:
            out = np.empty((len(self.numeric_), n), dtype=np.float64)
        if not self.numeric_ or n == 0:
            return out
        import torch  # the transforms stay importable without torch; sampling has it loaded already

        lo, step, offset, scale, rounded = self._inverse_tables()
        q = lo.size // len(self.numeric_)  # grid cells per column
        for s0 in range(0, n, INVERSE_BLOCK):
            block = np.ascontiguousarray(z[s0:s0 + INVERSE_BLOCK].T, dtype=np.float32)  # (N, b)
            # float32 probabilities: cheap, and ample for a 1,000-step grid
            pos = torch.special.ndtr(torch.from_numpy(block)).mul_(q).numpy()
            i = pos.astype(np.int32)
            np.clip(i, 0, q - 1, out=i)
            frac = pos - i
            i += offset  # flat index into the (N, Q - 1) tables
            x = out[:, s0:s0 + INVERSE_BLOCK]
            np.multiply(step.take(i), frac, out=x)
            x += lo.take(i)
            if rounded.all():  # np.round(v, d) column by column, in one pass: rint(v * 10**d) / 10**d
                x *= scale
                np.rint(x, out=x)
                x /= scale
            else:
                for j in np.flatnonzero(rounded):
                    x[j] = np.rint(x[j] * scale[j, 0]) / scale[j, 0]
        return out

    def _inverse_tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(cell starts, cell widths) as flat (N * (Q - 1),) tables, each column's row offset, 10**decimals, rounded or not."""
        cached = getattr(self, "_inv", None)
        if cached is None:
            table = self._quantile_table()  # (N, Q)
            n_col, q = table.shape
            dec = np.array([s.decimals for s in self.numeric_])
            rounded = dec >= 0
            cached = (np.ascontiguousarray(table[:, :-1]).ravel(), np.diff(table, axis=1).ravel(),
                      (np.arange(n_col, dtype=np.int32) * (q - 1))[:, None], 10.0 ** np.where(rounded, dec, 0)[:, None],
                      rounded)
            self._inv = cached
        return cached

    def _quantile_table(self) -> np.ndarray:
        table = getattr(self, "_table", None)
        if table is None:
            q = max(s.quantiles.size for s in self.numeric_)
            grid = np.linspace(0, 1, q)
            table = np.stack([np.interp(grid, np.linspace(0, 1, s.quantiles.size), s.quantiles) for s in self.numeric_])
            self._table = table
        return table

    def inverse(self, z: np.ndarray, codes: np.ndarray) -> pd.DataFrame:
        """A frame in the original column order and dtypes from scores (n, N) and codes (n, K)."""
        return self.frame_of(self.inverse_values(z), np.ascontiguousarray(codes.T))

    def frame_of(self, values: np.ndarray, codes: np.ndarray) -> pd.DataFrame:
        """The frame from :meth:`inverse_values`' (N, n) values and (K, n) codes, one column per row, built once (no copies)."""
        cols: dict[str, object] = {}
        for j, spec in enumerate(self.numeric_):
            x = values[j]
            cols[spec.name] = np.rint(x).astype(spec.dtype) if spec.dtype.startswith(("int", "uint", "Int", "UInt")) else x
        for j, spec in enumerate(self.categorical_):
            cols[spec.name] = self.decode_codes(spec, codes[j])
        return pd.DataFrame({c: cols[c] for c in self.columns_}, copy=False)

    @staticmethod
    def decode_codes(spec: CategoricalSpec, codes: np.ndarray):
        cats = spec.categories
        if spec.kind == "category":
            real = [c for c in cats if c != MISSING]
            codes = np.where(codes >= len(real), -1, codes)
            return pd.Categorical.from_codes(codes, categories=real)
        if spec.kind == "bool":
            return np.array(cats, dtype=object)[codes].astype(bool)
        if spec.kind != "object":  # discrete numeric: a lookup in the column's own dtype, no object array
            if MISSING in cats:
                return np.array([np.nan if c == MISSING else c for c in cats], dtype=np.float64).take(codes)
            return np.array(cats, dtype=np.float64).astype(spec.kind).take(codes)
        return np.array(cats, dtype=object)[codes]

    # ---- persistence -----------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"columns": self.columns_, "discrete_max_levels": self.discrete_max_levels, "n_quantiles": self.n_quantiles,
                "numeric": [s.to_dict() for s in self.numeric_], "categorical": [s.to_dict() for s in self.categorical_]}

    @classmethod
    def from_dict(cls, d: dict) -> TabularTransformer:
        t = cls(d["discrete_max_levels"], d["n_quantiles"])
        t.columns_ = list(d["columns"])
        t.numeric_ = [NumericSpec.from_dict(s) for s in d["numeric"]]
        t.categorical_ = [CategoricalSpec.from_dict(s) for s in d["categorical"]]
        return t
