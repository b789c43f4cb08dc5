"""Validation of a frame against its schema, with typed errors and plain messages.

:func:`validate` raises on what makes the data unusable (no rows, no usable feature, a target that
is not binary, duplicated ids, an identifier used as a feature) and returns a :class:`Validated`
schema plus notes for what it could repair without losing anything (all-missing and constant
columns are set to ``ignore``, and the analyst is told).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from core.data.conform import shown_value
from core.data.identifiers import IdKind, check_id
from core.data.schema import Role, Schema
from core.errors import EmptyDataError, SchemaError, TargetError


@dataclass(frozen=True)
class Validated:
    """The schema after repairs, and the notes the analyst should read."""

    schema: Schema
    notes: list[str] = field(default_factory=list)


def check_target(s: pd.Series, name: str) -> None:
    """Raise :class:`TargetError` unless ``s`` has exactly two classes."""
    values = s.dropna().unique()
    if len(values) == 0:
        raise TargetError(f"The target '{name}' is empty.", "Pick another column as the target.")
    if len(values) == 1:
        raise TargetError(
            f"The target '{name}' has a single class ({values[0]!r}); a model needs both outcomes.",
            "Load data that contains both good and bad outcomes, or pick another target.",
        )
    if len(values) > 2:
        raise TargetError(
            f"The target '{name}' has {len(values)} distinct values; it must be binary (e.g. default yes/no).",
            "Pick a binary column as the target, or mark this one as a feature.",
        )


def looks_like_id(name: str, s: pd.Series) -> bool:
    """An identifier: every value distinct, and a name or a shape that says id (see :mod:`core.data.identifiers`)."""
    return check_id(name, s).kind == IdKind.ID


def validate(frame: pd.DataFrame, schema: Schema) -> Validated:
    """Check ``frame`` against ``schema``; raise a typed error or return the repaired schema."""
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise EmptyDataError("The data has no rows." if frame.shape[1] else "The data has no columns.",
                             "Check that the file holds a header row and data rows.")
    notes: list[str] = []
    for c in schema.roles:
        if c not in frame.columns:
            raise SchemaError(f"The schema names a column '{c}' that the data does not have.")
    roles = dict(schema.roles)
    target = [c for c, r in roles.items() if r == Role.TARGET]
    if target:
        check_target(frame[target[0]], target[0])
        missing = int(frame[target[0]].isna().sum())
        if missing:
            notes.append(f"The target '{target[0]}' has no value in {missing:,} rows; a model counts them as "
                         f"not {schema.positive_label!r}. Remove or fill those rows if that is wrong.")
    for c, role in list(roles.items()):
        if role not in (Role.NUMERIC, Role.CATEGORICAL):
            continue
        s = frame[c]
        if role == Role.NUMERIC and not pd.api.types.is_numeric_dtype(s):
            raise SchemaError(f"'{c}' is marked numeric but holds text.",
                              "Load the data through the studio's loaders, which convert it, or mark it categorical.")
        if s.isna().all():
            roles[c] = Role.IGNORE
            notes.append(f"'{c}' is empty in every row and was set aside.")
        elif s.nunique(dropna=True) <= 1:
            roles[c] = Role.IGNORE
            notes.append(f"'{c}' holds a single value ({shown_value(s.dropna().iloc[0])}) and was set aside.")
        else:
            idc = check_id(c, s)
            if idc.kind == IdKind.ID and (idc.named or role == Role.CATEGORICAL):
                raise SchemaError(
                    f"'{c}' looks like an identifier ({idc.evidence}), so it cannot be a feature: "
                    "a model would memorise customers instead of learning risk.",
                    f"Set the role of '{c}' to id or ignore.",
                )
            if idc.kind in (IdKind.ID, IdKind.ROW_NUMBER, IdKind.PARTIAL):
                notes.append(f"Warning: '{c}' is used as a {role.value} feature although it looks like an "
                             f"identifier ({idc.evidence}); a model may memorise customers instead of learning risk.")
    ids = [c for c, r in roles.items() if r == Role.ID]
    if ids:
        dup = frame[ids[0]].duplicated(keep=False) & frame[ids[0]].notna()
        if dup.any():
            examples = ", ".join(map(str, frame.loc[dup, ids[0]].unique()[:3]))
            raise SchemaError(
                f"The id column '{ids[0]}' has {int(dup.sum())} rows with repeated ids (e.g. {examples}).",
                "Remove the duplicates or choose another id column.",
            )
    if not any(r in (Role.NUMERIC, Role.CATEGORICAL) for r in roles.values()):
        raise SchemaError("No usable feature column is left (all are ids, PII, dates, empty or constant).",
                          "Mark at least one numeric or categorical column as a feature.")
    return Validated(replace(schema, roles=roles), notes)
