"""The book pass: score (PD, EL), optional segment assignment, optional exact SHAP with reasons, per partition.

One read of every partition does all that was asked: the credit model's margin and calibrated PD,
baseline EL (PD x LGD x EAD), the segment of each customer, SHAP values and the principal reasons
of each declined applicant. Per-row results are written as Parquet; what the summary reports is
reduced exactly (:mod:`core.scale.exact`): counts, sums of PD, EL and EAD per segment, mean |SHAP|,
mean SHAP per segment, a PD histogram, reason-code counts, and the segment profile's statistics.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from core.scale.adapters import credit as C
from core.scale.adapters import scenarios as S
from core.scale.adapters import segmentation as G
from core.scale.common import Input
from core.scale.exact import ExactSums
from core.scale.partitions import Partition, part_path, read_arrow, write_arrow, write_parquet

PD_BINS = 50


@dataclass(frozen=True)
class BookSpec:
    """What a partition task does (broadcast with the fitted objects)."""

    schema: Any
    id_column: str | None
    model: Any = None
    segmentation: Any = None  # a segmentation adapter's Fitted
    cutoff: float = 0.2
    shap: bool = False
    write_shap: bool = False
    reasons: bool = True
    reference: Any = None
    top: int = 4
    el: bool = True
    products: tuple[tuple[str, str], ...] = ()  # (product, flag column) the segmentation reads holdings from
    reason_rules: Any = None  # the credit adapter's ReasonRules, decided once on the driver

    @property
    def groups(self) -> int:
        """Reduction groups: one per segment plus one for outliers (NOISE), or one for the whole book."""
        return len(self.segmentation.segments) + 1 if self.segmentation is not None else 1

    def reads(self) -> set[str]:
        """Columns the product's objects read (the id column aside)."""
        return set(self.columns(None, ids=False))

    def columns(self, available: tuple[str, ...] | None, ids: bool = True) -> list[str]:
        cols = [self.id_column] if self.id_column and ids else []
        if self.model is not None:
            cols += C.features(self.model)
            if self.el:
                cols += [c for c in (self.schema.semantics.get(k) for k in ("ead", "collateral", "product_type")) if c]
                cols += [c for c in ("product_type", "exposure_type", "loan_term_months") if available is None or c in available]
        if self.segmentation is not None:
            cols += self.segmentation.columns + [c for _, c in self.products]
        return [c for c in dict.fromkeys(cols) if available is None or c in available]


@dataclass
class BookPartial:
    """One partition's reductions; :meth:`merge` is exact and order-free."""

    rows: int
    money: ExactSums  # per group: margin, pd, declined, ead, el
    pd_hist: np.ndarray
    group_rows: np.ndarray  # rows per group
    raw: ExactSums | None = None  # per group: the segmentation's numeric features (raw)
    scaled: ExactSums | None = None  # per group: the scaled numeric features
    scaled_sq: ExactSums | None = None  # book: sums of squares of the scaled numeric features
    holdings: ExactSums | None = None
    products: list[str] = field(default_factory=list)
    categories: dict[str, pd.DataFrame] = field(default_factory=dict)
    shap_abs: ExactSums | None = None
    shap_group: ExactSums | None = None
    reason_codes: Counter = field(default_factory=Counter)
    additivity: float = 0.0
    files: dict[str, str] = field(default_factory=dict)

    def merge(self, o: BookPartial) -> BookPartial:
        def m(a: ExactSums | None, b: ExactSums | None) -> ExactSums | None:
            return b if a is None else a if b is None else a.merge(b)

        cats = {c: self.categories.get(c, pd.DataFrame()).add(o.categories.get(c, pd.DataFrame()), fill_value=0)
                for c in {*self.categories, *o.categories}}
        return BookPartial(self.rows + o.rows, self.money.merge(o.money), self.pd_hist + o.pd_hist,
                           self.group_rows + o.group_rows, m(self.raw, o.raw),
                           m(self.scaled, o.scaled), m(self.scaled_sq, o.scaled_sq), m(self.holdings, o.holdings),
                           self.products or o.products, cats, m(self.shap_abs, o.shap_abs), m(self.shap_group, o.shap_group),
                           self.reason_codes + o.reason_codes, max(self.additivity, o.additivity), {})


def _group_index(labels: np.ndarray, groups: int) -> np.ndarray:
    """Segment labels as reduction groups: segment s -> s, NOISE -> the last group."""
    return np.where(labels < 0, groups - 1, labels).astype(np.int64)


def book_task(part: Partition, inp: Input, spec: BookSpec, staging: str) -> BookPartial:
    """Everything the book pass does for one partition; writes its rows, returns its reductions.

    The rows go through the per-row steps (assignment, margins, EL, the exact sums) in chunks of
    :data:`CHUNK_ROWS`: every array a step allocates stays small enough for the allocator to reuse
    (a whole partition's matrices are fresh pages each time, and faulting them in cost as much as the
    arithmetic). Each step is per row and the sums are exact, so the chunking changes no number.
    With SHAP the partition is one chunk (the explanations and reasons need the whole frame).
    """
    table = read_arrow(inp.source, part.start, part.stop, spec.columns(inp.source.columns))
    n = table.num_rows
    idc = inp.id_column
    ids = table.column(idc) if idc else pa.array(np.arange(part.start, part.stop))
    # ids stay Arrow (they go straight to the output); only the columns the product's objects read become pandas
    data = table.drop_columns([idc]) if idc and idc not in spec.reads() else table
    G_ = spec.groups
    step = max(n, 1) if spec.shap else CHUNK_ROWS
    chunks = [_book_chunk(data.slice(a, step).to_pandas(), spec) for a in range(0, max(n, 1), step)]
    out: dict[str, Any] = {idc or "row": ids}
    for name in chunks[0].rows:
        out[name] = np.concatenate([c.rows[name] for c in chunks])
    group = np.concatenate([c.group for c in chunks])
    partial = BookPartial(n, _merged([c.money for c in chunks]), np.zeros(PD_BINS, dtype=np.int64), np.zeros(G_, dtype=np.int64))
    if spec.segmentation is not None:
        partial.group_rows = np.bincount(group, None, G_).astype(np.int64)
        partial.raw = _merged([c.raw for c in chunks])
        partial.scaled = _merged([c.scaled for c in chunks])
        partial.scaled_sq = _merged([c.scaled_sq for c in chunks])
        partial.products = [p for p, _ in spec.products]
        if spec.products:
            partial.holdings = _merged([c.holdings for c in chunks])
        cats = list(spec.segmentation.categorical)
        if cats:
            frame_cats = data.select(cats).to_pandas()
            for c in cats:
                partial.categories[c] = _crosstab(group, frame_cats[c], G_)
    else:
        partial.group_rows = np.array([n], dtype=np.int64)
    if spec.model is not None:
        p = out["pd"]
        partial.pd_hist = np.histogram(p, bins=PD_BINS, range=(0.0, 1.0))[0].astype(np.int64)
        if spec.shap:
            assert chunks[0].frame is not None  # one chunk, kept whole for SHAP
            _shap(partial, spec, chunks[0].frame, ids, out["margin"], p, out["declined"], group, part, staging)
    path = part_path(staging, "scores", part.index)
    write_arrow(pa.table(out), path, dictionary=("segment", "declined"))
    partial.files["scores"] = str(path)
    return partial


CHUNK_ROWS = 65_536  # rows per step of the book pass (its (rows, columns) matrices stay a few MB)


@dataclass
class _Chunk:
    """One chunk's per-row results (in output column order) and exact sums (and its rows when SHAP needs them)."""

    frame: pd.DataFrame | None
    group: np.ndarray
    rows: dict[str, np.ndarray]
    money: ExactSums
    raw: ExactSums | None = None
    scaled: ExactSums | None = None
    scaled_sq: ExactSums | None = None
    holdings: ExactSums | None = None


def _merged(sums: list[ExactSums | None]) -> Any:
    present = [s for s in sums if s is not None]
    return reduce(lambda a, b: a.merge(b), present) if present else None


def _book_chunk(frame: pd.DataFrame, spec: BookSpec) -> _Chunk:
    """Segment, score and EL of one chunk of rows, with their exact sums."""
    n = len(frame)
    G_ = spec.groups
    group = np.zeros(n, dtype=np.int64)
    rows: dict[str, np.ndarray] = {}
    chunk = _Chunk(frame if spec.shap else None, group, rows, ExactSums.empty(G_, 5))
    if spec.segmentation is not None:
        labels, X = G.assign(spec.segmentation, frame)
        rows["segment"] = labels
        group = chunk.group = _group_index(labels, G_)
        numeric = list(spec.segmentation.numeric)
        xs = np.asarray(X[:, :len(numeric)], dtype=np.float64)
        chunk.raw = ExactSums.of(_numbers(frame, numeric), group, G_)
        chunk.scaled = ExactSums.of(xs, group, G_)
        chunk.scaled_sq = ExactSums.of(xs, squares=True)
        if spec.products:
            flags = frame[[c for _, c in spec.products]]  # the holding columns only: nothing else is a flag
            chunk.holdings = ExactSums.of(G.holdings(flags, spec.schema, [p for p, _ in spec.products]), group, G_)
    if spec.model is not None:
        m = C.margin(spec.model, frame)
        p = C.pd_from_margin(spec.model, m)
        declined = p >= spec.cutoff
        rows["margin"], rows["pd"], rows["declined"] = m, p, declined
        ead = el = np.zeros(n)
        if spec.el:
            ead, el = S.baseline_el(frame, spec.schema, p)
            rows["ead"], rows["el"] = ead, el
        chunk.money = ExactSums.of(np.column_stack([m, p, declined.astype(np.float64), ead, el]), group, G_)
    return chunk


def _numbers(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """(n, p) float64 of ``columns``: ``pd.to_numeric(errors="coerce")`` per column, without it where already numeric."""
    out = np.empty((len(columns), len(frame)), dtype=np.float64)  # one contiguous row per column, then one transposing copy
    for j, c in enumerate(columns):
        s = frame[c]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            s = pd.to_numeric(s, errors="coerce")
        out[j] = s.to_numpy(dtype=np.float64, na_value=np.nan)
    return np.ascontiguousarray(out.T)


def _crosstab(group: np.ndarray, col: pd.Series, groups: int) -> pd.DataFrame:
    """Group x level counts of one categorical column (missing as 'missing'), as ``pd.crosstab`` gives them.

    A categorical column is counted on its codes (one bincount); other columns go through ``pd.crosstab``.
    """
    if isinstance(col.dtype, pd.CategoricalDtype):
        levels = [str(v) for v in col.cat.categories]
        if len(set(levels)) == len(levels) and "missing" not in levels:
            codes = col.cat.codes.to_numpy().astype(np.int64)
            k = len(levels) + 1
            codes = np.where(codes < 0, k - 1, codes)
            table = np.bincount(group * k + codes, None, groups * k).reshape(groups, k).astype(np.int64)
            names = np.array([*levels, "missing"], dtype=object)
            rows, cols = table.sum(axis=1) > 0, table.sum(axis=0) > 0
            order = np.argsort(names[cols], kind="stable")
            return pd.DataFrame(table[rows][:, cols][:, order], index=pd.Index(np.flatnonzero(rows), name="group"),
                                columns=pd.Index(names[cols][order], name=col.name))
    s = col.astype("object").where(col.notna(), "missing").astype(str)
    return pd.crosstab(pd.Series(group, name="group"), s.rename(col.name)).astype(np.int64)


def _shap(partial: BookPartial, spec: BookSpec, frame: pd.DataFrame, ids: Any, m: np.ndarray, pd_: np.ndarray,
          declined: np.ndarray, group: np.ndarray, part: Partition, staging: str) -> None:
    s = C.shap(spec.model, frame)
    partial.additivity = float(np.max(np.abs(s.base + s.values.sum(axis=1) - m))) if len(m) else 0.0
    partial.shap_abs = ExactSums.of(np.abs(s.values))
    partial.shap_group = ExactSums.of(s.values, group, spec.groups)
    id_name = spec.id_column or "row"
    if spec.write_shap:
        table: dict[str, Any] = {id_name: ids}
        table.update({f"shap_{c}": s.values[:, j] for j, c in enumerate(s.names)})
        table["shap_base"] = s.base
        write_arrow(pa.table(table), part_path(staging, "shap", part.index))
    if spec.reasons and spec.reference is not None:
        rows = np.flatnonzero(declined)
        found = C.reasons(spec.model, s, rows, spec.reference, spec.top, spec.reason_rules)
        row_id = ids.take(pa.array(rows)).to_pylist()
        recs = []
        for i, rid, rs in zip(rows, row_id, found, strict=True):
            rec: dict[str, Any] = {id_name: rid, "pd": float(pd_[i])}
            for k in range(spec.top):
                r = rs[k] if k < len(rs) else None
                rec[f"reason_{k + 1}_code"] = r["code"] if r else ""
                rec[f"reason_{k + 1}_feature"] = r["feature"] if r else ""
                rec[f"reason_{k + 1}_text"] = r["text"] if r else ""
                rec[f"reason_{k + 1}_contribution"] = r["contribution"] if r else np.nan
                if r:
                    partial.reason_codes[r["code"]] += 1
            recs.append(rec)
        if recs:
            write_parquet(pd.DataFrame(recs), part_path(staging, "reasons", part.index))
