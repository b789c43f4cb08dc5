"""The one interface every generation backend implements.

``generate(prompt, n, seed, max_new_tokens, stream)`` returns ``n`` raw candidates. ``stream`` (if
given) is called with ``(candidate index, text delta)`` as text is produced, so the page can show
tokens as they arrive; ``should_stop`` lets a caller cancel between candidates. Backends do not
apply compliance rules: :mod:`core.copy.generate` post-processes every candidate and runs the rule
engine on it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

StreamCallback = Callable[[int, str], None]
StopCheck = Callable[[], bool]


@dataclass(frozen=True)
class Prompt:
    """What a backend receives: the rendered few-shot prompt and the structured context behind it.

    Language-model backends complete ``text``; the template backend composes from ``context``
    (product facts, segment theme, tone, channel, language). Neither holds customer data.
    """

    text: str
    context: dict[str, Any]
    stop: tuple[str, ...] = ("\n",)


@dataclass
class Candidate:
    """One raw generation, before post-processing and rules."""

    text: str
    index: int
    backend: str
    seed: int
    tokens: int = 0
    seconds: float = 0.0
    finish_reason: str = ""  # "stop", "length", "template", "error"
    meta: dict[str, Any] = field(default_factory=dict)


class Backend(ABC):
    """A copy generator."""

    name: str = "backend"
    label: str = "Backend"
    languages: frozenset[str] = frozenset({"en"})
    max_variants: int = 50  # most candidates one request may ask of this backend
    prompt_style: str = "few_shot"  # how prompts are rendered for it: "few_shot" (examples) or "tuned" (the plan alone)
    # its copy is held to the team's approved copy (core.copy.approved): the small embedded model invents claims
    approved_check: bool = False

    def supports(self, language: str) -> bool:
        return language in self.languages

    @abstractmethod
    def fingerprint(self) -> str:
        """A stable id of the model and its settings, recorded with every batch."""

    def describe(self) -> dict[str, Any]:
        """What the UI and the audit record show about this backend."""
        return {"backend": self.name, "label": self.label, "fingerprint": self.fingerprint(),
                "languages": sorted(self.languages)}

    @abstractmethod
    def generate(self, prompt: Prompt, n: int, seed: int, max_new_tokens: int,
                 stream: StreamCallback | None = None, should_stop: StopCheck | None = None) -> list[Candidate]:
        """``n`` candidates for ``prompt``; deterministic for a given ``seed`` where the backend allows."""
