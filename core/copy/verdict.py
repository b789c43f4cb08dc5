"""What the rule engine says about one variant: findings, disclosures and the three-way outcome.

Every finding names the rule, the action, why (reason and source) and, where the engine checked
claims, the claim it is about. The outcome is ``block`` when any finding blocks, ``review`` when
any finding needs a compliance reviewer's sign-off, else ``pass``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

PASS, REVIEW, BLOCK = "pass", "review", "block"
OUTCOMES = (PASS, REVIEW, BLOCK)


@dataclass(frozen=True)
class Finding:
    """One thing the engine did or objected to, with its reason and source."""

    rule_id: str
    action: str  # soften, block, review, append_disclosure
    title: str
    reason: str
    source: str
    matched: str = ""
    detail: str = ""
    claim: str = ""  # the claim (sentence or clause) the finding is about
    score: float | None = None  # the meaning classifier's probability, for meaning findings

    @property
    def blocks(self) -> bool:
        return self.action == BLOCK

    @property
    def needs_review(self) -> bool:
        return self.action == REVIEW

    def message(self) -> str:
        """One plain sentence: what was found and why."""
        about = f' "{self.claim}"' if self.claim else (f' "{self.matched}"' if self.matched else "")
        extra = f" ({self.detail})" if self.detail and self.action != "append_disclosure" else ""
        return f"{self.title}{':' if about else ''}{about}. {self.reason}{extra}".strip()

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Disclosure:
    text: str
    rule_ids: tuple[str, ...]
    position: str = "suffix"
    href: str | None = None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Verdict:
    """The engine's decision on one variant."""

    original: str
    body: str  # the copy after softening (what the analyst edits)
    disclosures: tuple[Disclosure, ...]
    findings: tuple[Finding, ...]
    final_text: str  # body plus disclosures, as it will be sent
    length: int  # characters, or SMS units
    budget: int  # characters, or SMS units allowed
    segments: int | None = None  # SMS only
    encoding: str | None = None  # SMS only
    max_segments: int | None = None
    unit: str = "chars"
    claims: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        if any(f.blocks for f in self.findings):
            return BLOCK
        if any(f.needs_review for f in self.findings):
            return REVIEW
        return PASS

    @property
    def passed(self) -> bool:
        """Nothing blocks (a ``review`` outcome still needs a reviewer's sign-off to be exported)."""
        return self.outcome != BLOCK

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocks]

    @property
    def reviewing(self) -> list[Finding]:
        return [f for f in self.findings if f.needs_review]

    @property
    def softened(self) -> list[Finding]:
        return [f for f in self.findings if f.action == "soften"]

    @property
    def over_budget(self) -> bool:
        return any(f.rule_id == "B1" for f in self.findings)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["passed"] = self.passed
        d["outcome"] = self.outcome
        return d
