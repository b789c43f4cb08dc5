"""The analyst's corrections to a schema: roles, tags and the positive label, applied to the data.

:func:`edit_schema` is what Home's column editor (and any script) calls: it checks the edit, converts
the values to the new roles (a percent-text column set to numeric holds numbers afterwards, so the
override reaches every model), validates, and says what changed. :func:`save_edit` stores the
edited dataset in the workspace in place of the old one, keeps the import notes, and logs the edit
with the user who made it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from core.auth import LOCAL_USER, User
from core.data.dataset import Dataset
from core.data.loaders import Prepared, prepare
from core.data.schema import Role, Schema, Tag
from core.data.targets import positive_label as guess_label
from core.errors import SchemaError, TargetError
from core.workspace import Workspace

TAG_OPTIONS = [t.value for t in Tag]
ROLE_OPTIONS = [r.value for r in Role]


def _roles(schema: Schema, roles: Mapping[str, Role | str]) -> dict[str, Role]:
    out = dict(schema.roles)
    for c, r in roles.items():
        if c not in out:
            raise SchemaError(f"There is no column '{c}' in this dataset.")
        try:
            out[c] = Role(r)
        except ValueError as exc:
            raise SchemaError(f"'{r}' is not a role.", f"Roles are: {', '.join(ROLE_OPTIONS)}.") from exc
    for role in (Role.TARGET, Role.ID):
        chosen = [c for c, r in out.items() if r == role]
        if len(chosen) > 1:
            raise SchemaError(f"Only one column can be the {role.value}; {', '.join(repr(c) for c in chosen)} are.",
                              "Set all but one of them to another role.")
    return out


def _tags(schema: Schema, tags: Mapping[str, Iterable[Tag | str]]) -> dict[str, frozenset[Tag]]:
    out = dict(schema.tags)
    for c, ts in tags.items():
        if c not in schema.roles:
            raise SchemaError(f"There is no column '{c}' in this dataset.")
        try:
            clean = frozenset(Tag(t) for t in ts)
        except ValueError as exc:
            raise SchemaError(f"Unknown tag for '{c}': {exc}.", f"Tags are: {', '.join(TAG_OPTIONS)}.") from exc
        if clean:
            out[c] = clean
        else:
            out.pop(c, None)
    return out


def _label(ds: Dataset, target: str | None, requested: object | None, old_target: str | None) -> object:
    if target is None:
        return ds.schema.positive_label
    values = list(ds.frame[target].dropna().unique())
    if requested is not None:
        match = [v for v in values if str(v) == str(requested)]
        if not match:
            shown = ", ".join(repr(str(v)) for v in values[:6])
            raise TargetError(f"'{requested}' is not a value of the target '{target}'.", f"Its values are {shown}.")
        v = match[0]
        return v.item() if hasattr(v, "item") else v
    if target == old_target:
        return ds.schema.positive_label
    return guess_label(ds.frame[target])[0]


def edit_schema(ds: Dataset, roles: Mapping[str, Role | str] | None = None,
                tags: Mapping[str, Iterable[Tag | str]] | None = None,
                positive_label: object | None = None) -> Prepared:
    """``ds`` with the analyst's roles, tags and positive label; values converted and validated.

    Returns the new dataset and the notes to show (conversions, values that became missing, a PII
    column turned into a feature, repairs made by validation). Raises a typed error for an edit
    that cannot stand (two targets, a label the target does not hold, a text column that is not
    numbers set to numeric).
    """
    new_roles = _roles(ds.schema, roles or {})
    target = next((c for c, r in new_roles.items() if r == Role.TARGET), None)
    schema = replace(ds.schema, roles=new_roles, tags=_tags(ds.schema, tags or {}),
                     positive_label=_label(ds, target, positive_label, ds.schema.target))
    notes = []
    for c, r in new_roles.items():
        if ds.schema.roles.get(c) == Role.PII and r in (Role.NUMERIC, Role.CATEGORICAL):
            notes.append(f"Warning: '{c}' was flagged as personal data and is now a {r.value} feature; models will "
                         "see it. Set it back to pii unless the flag was wrong.")
    p = prepare(ds.name, ds.frame, ds.source, schema=schema)
    return replace(p, notes=notes + p.notes)


def changes(before: Schema, after: Schema) -> dict:
    """What an edit changed, for the run log and the confirmation message."""
    roles = {c: [before.roles.get(c, Role.IGNORE).value, r.value] for c, r in after.roles.items()
             if before.roles.get(c) != r}
    tags = {c: [sorted(t.value for t in before.tags_of(c)), sorted(t.value for t in after.tags_of(c))]
            for c in after.roles if before.tags_of(c) != after.tags_of(c)}
    out: dict = {"roles": roles, "tags": tags}
    if before.positive_label != after.positive_label or before.target != after.target:
        out["positive_label"] = [before.positive_label, after.positive_label]
    return out


def save_edit(ws: Workspace, before: Dataset, after: Prepared, user: User = LOCAL_USER) -> str:
    """Store the edited dataset in place of the workspace one (keeping its import notes); log who edited it."""
    meta = ws.dataset_meta(before.name).get("meta") or {}
    ds = after.dataset
    meta = {**meta, "edit_notes": list(after.notes), "edited_by": user.id}
    name = ws.save_dataset(before.name, ds.frame, source=ds.source, schema=ds.schema.to_dict(),
                           fingerprint=ds.fingerprint, if_exists="replace", user=user, meta=meta)
    ws.record("dataset_edit", user, name=name, params=changes(before.schema, ds.schema),
              dataset_fingerprint=ds.fingerprint,
              result={"previous_fingerprint": before.fingerprint, "notes": list(after.notes)})
    return name
