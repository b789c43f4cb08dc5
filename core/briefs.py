"""A segment brief: what the segmentation page hands to the copy page.

Only aggregates travel: no customer's personal data ever reaches a prompt.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class SegmentBrief:
    """Aggregate description of one customer segment."""

    name: str
    size: int
    share: float  # of the whole book, 0..1
    description: str = ""
    traits: tuple[str, ...] = ()  # short readable facts, e.g. "income 2.1x the book"
    aggregates: dict[str, float] = field(default_factory=dict)  # feature -> segment mean
    products_held: dict[str, float] = field(default_factory=dict)  # product -> penetration 0..1
    next_best_product: str | None = None
    mean_pd: float | None = None
    source_run_id: str | None = None
    # additive (a target list from the next-best offer rather than a segment)
    kind: str = "segment"  # "segment" or "target_list"
    copy_product: str | None = None  # the marketing-copy catalogue's product the list was drawn for
    reasons: tuple[str, ...] = ()  # why these customers, in aggregate ("propensity 3.1x the book's take-up")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> SegmentBrief:
        d = dict(d)
        d["traits"] = tuple(d.get("traits", ()))
        d["reasons"] = tuple(d.get("reasons", ()))
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})
