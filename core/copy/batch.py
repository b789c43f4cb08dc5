"""The data of a copy batch: the request, its variants with their verdicts and review state, the audit events.

Every event (generated, edited, approved, rejected, reset, signed off, exported) records the
signed-in user (:class:`core.auth.User`): id, name and e-mail, and when.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from core.briefs import SegmentBrief
from core.copy.catalogue import Product
from core.errors import InputError

if TYPE_CHECKING:
    from core.auth import User

STATUSES = ("pending", "approved", "rejected")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class CopyRequest:
    """What the analyst asks for."""

    product_id: str
    channel: str
    segment: SegmentBrief | None
    tone: str = "friendly"
    language: str = "en"
    n: int = 5
    seed: int = 42

    def to_dict(self) -> dict:
        d = asdict(self)
        d["segment"] = self.segment.to_dict() if self.segment else None
        return d


@dataclass
class Variant:
    """One piece of copy with its verdict, score and review state."""

    id: str
    body: str  # the copy the analyst edits (after softening)
    final_text: str  # body + disclosures, as sent
    disclosures: list[dict]
    findings: list[dict]
    passed: bool  # nothing blocks
    length: int
    budget: int
    unit: str
    segments: int | None
    encoding: str | None
    score: float
    score_parts: dict[str, float]
    raw: str  # what the backend wrote
    candidate_index: int
    backend: str
    tokens: int = 0
    seconds: float = 0.0
    raw_passed: bool = False  # passed with no change at all
    auto_fixes: list[str] = field(default_factory=list)
    status: str = "pending"
    edits: list[dict] = field(default_factory=list)
    outcome: str = "pass"  # pass, review, block
    author_id: str = ""  # who generated the batch the variant came from
    editor_ids: list[str] = field(default_factory=list)  # everyone who edited it
    reviewer: dict = field(default_factory=dict)  # who approved or rejected it: id, name, email, at
    signoff: str = ""  # a reviewer's note accepting the findings of a "review" outcome
    plan: dict = field(default_factory=dict)  # what the planner asked this candidate to say
    usability: dict = field(default_factory=dict)  # the usability scorer's verdict

    @property
    def blocking(self) -> list[dict]:
        return [f for f in self.findings if f["action"] == "block"]

    @property
    def reviewing(self) -> list[dict]:
        return [f for f in self.findings if f["action"] == "review"]

    @property
    def authors(self) -> list[str]:
        return [a for a in [self.author_id, *self.editor_ids] if a]

    def to_dict(self) -> dict:
        return asdict(self)


def user_record(user: User | None) -> dict:
    if user is None:
        return {"id": "", "name": "", "email": ""}
    return {"id": user.id, "name": user.name, "email": user.email}


@dataclass
class CopyBatch:
    """A generation run: request, backend, ranked variants, blocked candidates, notes and statistics."""

    batch_id: str
    request: CopyRequest
    product: Product
    backend: dict[str, Any]
    variants: list[Variant]
    blocked: list[Variant]
    notes: list[str]
    stats: dict[str, Any]
    rules_version: str
    catalogue_fingerprint: str
    created_at: str = field(default_factory=now)
    events: list[dict] = field(default_factory=list)
    run_id: str | None = None
    author: dict = field(default_factory=dict)

    def variant(self, variant_id: str) -> Variant:
        for v in self.variants:
            if v.id == variant_id:
                return v
        raise InputError(f"There is no variant '{variant_id}' in this batch.")

    def approved(self) -> list[Variant]:
        """Variants a reviewer approved that nothing blocks ("review" outcomes only with a sign-off)."""
        return [v for v in self.variants if v.status == "approved" and v.passed
                and (v.outcome == "pass" or v.signoff)]

    def by_outcome(self, outcome: str | None) -> list[Variant]:
        return [v for v in self.variants if outcome in (None, "all") or v.outcome == outcome]

    def log(self, action: str, variant_id: str = "", detail: str = "", user: User | None = None) -> None:
        who = user_record(user)
        self.events.append({"at": now(), "action": action, "variant_id": variant_id, "detail": detail,
                            "user_id": who["id"], "user": who["name"], "email": who["email"]})
