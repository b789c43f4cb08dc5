"""Schema inference for any file, with a report of every decision and its evidence.

:func:`infer` reads each column (:mod:`core.data.columns`), sets aside what cannot be a feature
(empty, constant, duplicated columns, partly duplicated ids, row numbers, free text), flags PII,
finds the target (:mod:`core.data.targets`) and its positive label, finds the id
(:mod:`core.data.identifiers`), tags every column with its domain meaning, and converts the
frame so that each column holds what its role says (:mod:`core.data.conform`). Everything it
decided is in the :class:`InferenceReport`: Home shows it, ``studio infer`` prints it, and the
notes are stored with the dataset in the workspace.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from core.data.columns import ColumnRead, duplicates, read_column
from core.data.conform import conform
from core.data.identifiers import IdKind, check_id
from core.data.pii import detect_pii
from core.data.schema import Role, Schema, Tag, infer_semantics
from core.data.tags import infer_tags
from core.data.targets import TargetScore, positive_label, score_target
from core.data.validation import check_target
from core.errors import SchemaError, TargetError

_MAX_REFUSED_VALUES = 10  # a target-named column with 3..10 values is refused as a target, not made a feature
_FREE_TEXT_SHARE = 0.5  # a text column with more distinct values than this share of rows is set aside
# what a kind of personal data also says about a protected basis (it never reaches a model either way)
_PII_TAGS: dict[str, dict[Tag, str]] = {
    "person names": {Tag.PROXY: "person names are proxies for sex and national origin"},
    "postcodes": {Tag.PROXY: "postcodes are proxies for race and national origin",
                  Tag.GEOGRAPHIC: "a postcode says where the customer lives"},
    "date of birth": {Tag.PROTECTED: "a date of birth gives the age"},
}


@dataclass(frozen=True)
class Decision:
    """One thing inference decided about a column, and why."""

    column: str
    topic: str  # "target", "positive label", "id", "role", "numbers", "dates", "duplicate", "set aside", "pii", "tags"
    outcome: str
    evidence: str

    def to_dict(self) -> dict:
        return {"column": self.column, "topic": self.topic, "outcome": self.outcome, "evidence": self.evidence}


@dataclass(frozen=True)
class InferenceReport:
    """Every decision with its evidence, the notes the analyst must read, and why columns are left out."""

    decisions: tuple[Decision, ...] = ()
    notes: tuple[str, ...] = ()
    excluded: dict[str, str] = field(default_factory=dict)

    def for_column(self, column: str) -> list[Decision]:
        return [d for d in self.decisions if d.column == column]

    def evidence(self) -> dict[str, list[str]]:
        """Column -> the sentences that explain its role (``studio infer``'s ``evidence``)."""
        out: dict[str, list[str]] = {}
        for d in self.decisions:
            out.setdefault(d.column, []).append(f"{d.topic}: {d.outcome} — {d.evidence}" if d.evidence
                                                else f"{d.topic}: {d.outcome}")
        return out

    def to_dict(self) -> dict:
        return {"decisions": [d.to_dict() for d in self.decisions], "notes": list(self.notes),
                "excluded": dict(self.excluded)}

    @classmethod
    def from_dict(cls, d: dict) -> InferenceReport:
        return cls(tuple(Decision(**x) for x in d.get("decisions", [])), tuple(d.get("notes", [])),
                   dict(d.get("excluded", {})))


@dataclass(frozen=True)
class Inference:
    """The frame converted to its inferred schema, the schema, and the report."""

    frame: pd.DataFrame
    schema: Schema
    report: InferenceReport


class _Log:
    def __init__(self) -> None:
        self.decisions: list[Decision] = []
        self.notes: list[str] = []
        self.excluded: dict[str, str] = {}

    def decide(self, column: str, topic: str, outcome: str, evidence: str = "", note: str = "") -> None:
        self.decisions.append(Decision(column, topic, outcome, evidence))
        if note and note not in self.notes:
            self.notes.append(note)

    def set_aside(self, column: str, reason: str, note: str) -> None:
        self.excluded[column] = reason
        self.decide(column, "set aside", "ignore", reason, note)

    def report(self) -> InferenceReport:
        return InferenceReport(tuple(self.decisions), tuple(self.notes), dict(self.excluded))


def _column_names(columns: pd.Index) -> list[str]:
    """Column names as stripped text, unique (a repeated name gets ``.1``, ``.2``), never empty."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, c in enumerate(columns):
        name = str(c).strip() or f"unnamed_{i}"
        k = seen.get(name, 0)
        seen[name] = k + 1
        while k and f"{name}.{k}" in seen:
            k += 1
        out.append(name if k == 0 else f"{name}.{k}")
        if k:
            seen[out[-1]] = 1
    return out


def _check_forced(frame: pd.DataFrame, target: str | None, id_column: str | None) -> None:
    cols = [str(c) for c in frame.columns]
    for what, col in (("target", target), ("id", id_column)):
        if col is not None and col not in cols:
            shown = ", ".join(cols[:12]) + (" ..." if len(cols) > 12 else "")
            err = TargetError if what == "target" else SchemaError
            raise err(f"There is no column '{col}' to use as the {what}.", f"The columns are: {shown}.")
    if target is not None:
        check_target(frame[target], target)


def _pick_target(reads: dict[str, ColumnRead], free: list[str], log: _Log) -> tuple[str | None, dict[str, Role]]:
    """The best binary target-like column; target-like columns with 3+ values are refused with a note."""
    n_cols = len(reads)
    position = {c: i for i, c in enumerate(reads)}
    scores = [score_target(c, reads[c].values, position[c], n_cols, reads[c].distinct) for c in free]
    binary = sorted((s for s in scores if s.n_values == 2 and s.named_like_target),
                    key=lambda s: (-s.score, -position[s.column]))
    roles: dict[str, Role] = {}
    for s in scores:
        text_valued = not pd.api.types.is_numeric_dtype(reads[s.column].values)
        # exact outcome names ("response", "loan_status") or outcome words over text values; a count such
        # as "delinq.2yrs" (0, 1, 2) is a history feature, not a refused target
        if (s.score >= 3.0 or (s.score >= 2.5 and text_valued)) and 2 < s.n_values <= _MAX_REFUSED_VALUES:
            values = ", ".join(repr(str(v)) for v in sorted(map(str, pd.unique(reads[s.column].values.dropna())))[:6])
            reason = (f"looks like the outcome ({'; '.join(s.evidence[:1])}) but has {s.n_values} values ({values}); "
                      "a credit model needs two outcomes")
            roles[s.column] = Role.IGNORE
            log.set_aside(s.column, reason,
                          f"'{s.column}' was not used as the target: it has {s.n_values} values ({values}), and a "
                          "credit model needs exactly two. It is set aside, not used as a feature (an outcome column "
                          "would give the answer away). Map it to two outcomes in the file, or pick a binary target.")
    if not binary:
        return None, roles
    best = binary[0]
    log.decide(best.column, "target", "target", "; ".join(best.evidence))
    for other in binary[1:]:
        if other.score >= 3.0:
            log.decide(other.column, "target", "not the target", _runner_up(other, best),
                       f"'{other.column}' is also named like an outcome; '{best.column}' was chosen as the target "
                       f"({best.evidence[0]}). Change it on Home if '{other.column}' is the outcome.")
    return best.column, roles


def _runner_up(other: TargetScore, best: TargetScore) -> str:
    return f"{'; '.join(other.evidence)}; '{best.column}' scored higher ({best.score:.1f} vs {other.score:.1f})"


def _pick_id(reads: dict[str, ColumnRead], free: list[str], forced: str | None, log: _Log) -> tuple[str | None, dict[str, Role]]:
    roles: dict[str, Role] = {}
    checks = {c: check_id(c, reads[c].values, reads[c].distinct) for c in free}
    ids = [c for c, k in checks.items() if k.kind == IdKind.ID]
    ids.sort(key=lambda c: (not checks[c].named, list(reads).index(c)))
    chosen = forced if forced is not None else (ids[0] if ids else None)
    if chosen is not None and chosen in checks and checks[chosen].kind == IdKind.ID:
        log.decide(chosen, "id", "id", checks[chosen].evidence)
    for c, k in checks.items():
        if c == chosen:
            continue
        if k.kind == IdKind.ID and k.digits >= 9 and not k.named:
            roles[c] = Role.PII
            log.excluded[c] = "personal data: a second unique number per customer (an account or card number)"
            log.decide(c, "pii", "pii", f"{k.evidence}; the id is '{chosen}', so this is read as an account number",
                       f"'{c}' holds a unique {k.digits}-digit number per row besides the id '{chosen}': it is "
                       "treated as an account number (PII) and kept away from models and prompts.")
        elif k.kind == IdKind.ID:
            roles[c] = Role.IGNORE
            log.set_aside(c, f"a second identifier ({k.evidence})",
                          f"'{c}' is also unique per row ({k.evidence}); it is set aside, never a feature.")
        elif k.kind == IdKind.PARTIAL:
            roles[c] = Role.IGNORE
            log.set_aside(c, f"partly duplicated ids: {k.evidence}",
                          f"'{c}' is not used as the id: {k.evidence}. It is set aside, not used as a feature.")
        elif k.kind == IdKind.ROW_NUMBER:
            roles[c] = Role.IGNORE
            log.set_aside(c, f"a row number ({k.evidence})", f"'{c}' only numbers the rows; it is set aside.")
    return chosen, roles


def _base_role(c: str, r: ColumnRead, n_rows: int, log: _Log) -> Role:
    if r.kind == "date":
        log.excluded[c] = "a date: not a model feature"
        log.decide(c, "dates", "datetime", r.evidence or "the values are dates")
        return Role.DATETIME
    if r.kind == "number":
        if r.converted and r.evidence and r.evidence != "Numbers stored as text.":
            log.decide(c, "numbers", "numeric", r.evidence)
        return Role.NUMERIC
    if r.kind in ("text", "code") and n_rows > 50 and r.distinct > _FREE_TEXT_SHARE * r.values.notna().sum():
        log.set_aside(c, f"free text or codes with {r.distinct:,} distinct values in {n_rows:,} rows",
                      f"'{c}' has {r.distinct:,} distinct values in {n_rows:,} rows (free text or a code); "
                      "it is set aside.")
        return Role.IGNORE
    if r.evidence:
        log.decide(c, "role", "categorical", r.evidence)
    return Role.CATEGORICAL


def infer(frame: pd.DataFrame, target: str | None = None, id_column: str | None = None) -> Inference:
    """Infer the schema of ``frame``; ``target`` / ``id_column`` force those roles when given."""
    frame = frame.set_axis(_column_names(frame.columns), axis=1)
    _check_forced(frame, target, id_column)
    n_rows = len(frame)
    log = _Log()
    reads = {c: read_column(c, frame[c]) for c in frame.columns}
    roles: dict[str, Role] = {}
    for c, r in reads.items():
        if c in (target, id_column):
            continue
        if r.kind in ("empty", "constant"):
            # the role stays what the dtype says; validation sets the column aside with the note
            # (so a caller forcing roles on the raw schema still gets validation's message)
            roles[c] = (Role.DATETIME if pd.api.types.is_datetime64_any_dtype(r.values) else
                        Role.NUMERIC if pd.api.types.is_numeric_dtype(r.values) else Role.CATEGORICAL)
            log.excluded[c] = r.evidence
            log.decide(c, "set aside", "ignore", r.evidence)
    pii_tags: dict[str, dict[Tag, str]] = {}
    for c, r in reads.items():
        if c in roles or c in (target, id_column):
            continue
        found = detect_pii(c, r)
        if found is not None:
            roles[c] = Role.PII
            pii_tags[c] = _PII_TAGS.get(found.kind, {})
            log.excluded[c] = f"personal data: {found.kind}"
            log.decide(c, "pii", "pii", found.evidence)
    for copy, (original, how) in duplicates({c: r for c, r in reads.items() if c not in roles}).items():
        if copy in (target, id_column):
            continue
        keep, drop = (copy, original) if original in (target, id_column) else (original, copy)
        if drop in (target, id_column):
            continue
        roles[drop] = Role.IGNORE
        log.set_aside(drop, f"{how} '{keep}'", f"'{drop}' {how} '{keep}'; '{keep}' was kept and '{drop}' set aside.")
    free = [c for c in reads if c not in roles and c not in (target, id_column)]
    if target is None:
        target, refused = _pick_target(reads, free, log)
        roles.update(refused)
    else:
        log.decide(target, "target", "target", "chosen by the analyst")
    if target is not None:
        roles[target] = Role.TARGET
    free = [c for c in reads if c not in roles and c != id_column]
    id_col, id_roles = _pick_id(reads, free, id_column, log)
    if id_column is not None:
        log.decide(id_column, "id", "id", "chosen by the analyst")
    roles.update(id_roles)
    if id_col is not None:
        roles[id_col] = Role.ID
        log.excluded.setdefault(id_col, "the identifier")
    for c, r in reads.items():
        if c not in roles:
            roles[c] = _base_role(c, r, n_rows, log)
    roles = {c: roles[c] for c in frame.columns}
    # how values were read matters only for columns that keep those values (not PII, ids or set-aside ones)
    read_notes = [r.note for c, r in reads.items() if r.note and roles[c] in (Role.NUMERIC, Role.DATETIME,
                                                                               Role.CATEGORICAL)]
    log.notes[:0] = read_notes
    schema = Schema(roles, infer_semantics(list(roles)))
    if target is not None:
        label, why = positive_label(frame[target])
        schema = replace(schema, positive_label=label)
        log.decide(target, "positive label", repr(label), why)
    done = {c: r.values for c, r in reads.items() if r.converted and roles[c] in (Role.NUMERIC, Role.DATETIME)}
    conformed = conform(frame, schema, done=done)
    log.notes += [n for n in conformed.notes if n not in log.notes]
    units = {c: r.numbers.unit for c, r in reads.items() if r.numbers is not None and r.numbers.unit
             and roles[c] == Role.NUMERIC}
    schema = replace(conformed.schema, units={**conformed.schema.units, **units})
    schema, tag_decisions = infer_tags(conformed.frame, schema, pii_tags)
    for column, outcome, evidence in tag_decisions:
        log.decide(column, "tags", outcome, evidence)
    return Inference(conformed.frame, schema, log.report())


def infer_schema(frame: pd.DataFrame, target: str | None = None, id_column: str | None = None) -> Schema:
    """Infer every column's role and tags; ``target`` and ``id_column`` force those roles when given.

    The roles describe the frame *after* conversion (a column of ``83.70%`` is numeric once read as
    numbers): use :func:`core.data.loaders.prepare`, which also converts the values and validates, to
    build a dataset. The decisions and their evidence are in :func:`infer`.
    """
    return infer(frame, target=target, id_column=id_column).schema
