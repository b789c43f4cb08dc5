"""The deterministic template backend: jinja2 structures filled from phrase banks and the catalogue.

Always available (no model, no network), fast (thousands of variants a second), and grounded by
construction: every number comes from the product's facts. It supports English and Simplified
Chinese. Used when no model can load, when the analyst picks it, and in fast tests.
"""

from __future__ import annotations

import json
import random
import threading
import time
from functools import cached_property
from pathlib import Path

from core.copy.backends.base import Backend, Candidate, Prompt, StopCheck, StreamCallback
from core.copy.catalogue import ASSETS_DIR, Product
from core.errors import StudioError
from core.templates import text_template


class PhraseBank:
    """The phrase banks and compiled structures of ``assets/copy/phrases.json``."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path else ASSETS_DIR / "phrases.json"
        try:
            self.raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StudioError(f"The template phrase bank {self.path} cannot be read: {exc}",
                              "Check assets/copy/phrases.json.") from exc
        self.structures = {
            lang: {ch: [text_template(s) for s in items] for ch, items in bank["structures"].items()}
            for lang, bank in self.raw.items() if isinstance(bank, dict) and "structures" in bank
        }
        self.theme_keywords: dict[str, list[str]] = self.raw.get("theme_keywords", {})

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self.structures)

    def theme(self, text: str) -> str:
        """The segment theme whose keywords occur most often in ``text`` (``general`` if none)."""
        low = (text or "").lower()
        scores = {t: sum(low.count(k) for k in kws) for t, kws in self.theme_keywords.items()}
        best = max(scores.items(), key=lambda kv: kv[1], default=("general", 0))
        return best[0] if best[1] > 0 else "general"

    def pick(self, language: str, kind: str, key: str, rng: random.Random) -> str:
        items = self.raw[language][kind].get(key) or self.raw[language][kind].get("general") or [""]
        return rng.choice(items)


_banks: dict[str, PhraseBank] = {}
_banks_lock = threading.Lock()


def phrase_bank(path: Path | str | None = None) -> PhraseBank:
    """The phrase bank of a file, parsed and compiled once per process."""
    key = str(Path(path or ASSETS_DIR / "phrases.json").resolve())
    with _banks_lock:
        if key not in _banks:
            _banks[key] = PhraseBank(key)
        return _banks[key]


class TemplateBackend(Backend):
    name = "template"
    label = "Templates (deterministic)"
    max_variants = 500

    def __init__(self, phrases_path: Path | str | None = None) -> None:
        self._phrases_path = phrases_path
        self._lock = threading.Lock()

    @cached_property
    def bank(self) -> PhraseBank:
        return phrase_bank(self._phrases_path)

    @property
    def languages(self) -> frozenset[str]:  # type: ignore[override]
        return self.bank.languages

    def fingerprint(self) -> str:
        import hashlib

        return "template-" + hashlib.sha256(self.bank.path.read_bytes()).hexdigest()[:12]

    def render_one(self, ctx: dict, index: int, seed: int) -> str:
        """Candidate ``index`` for a context; the same (context, index, seed) always gives the same text."""
        product: Product = ctx["product"]
        lang = ctx.get("language", "en")
        if lang not in self.bank.structures:
            lang = "en"
        channel, tone = ctx["channel"], ctx.get("tone", "friendly")
        theme = ctx.get("theme") or "general"
        rng = random.Random(seed * 1_000_003 + index)
        benefits = product.benefit_texts(lang)
        order = rng.sample(benefits, len(benefits)) if benefits else [product.headline_fact.get(lang, "")]
        plans = ctx.get("plans") or []
        if plans:  # plan, then write: the planned claims lead, in the planner's order
            planned = list(plans[index % len(plans)].claims)
            order = planned + [b for b in order if b not in planned]
        while len(order) < 3:
            order.append(order[-1])
        structures = self.bank.structures[lang][channel]
        bank = self.bank
        values = {
            "hook": bank.pick(lang, "hooks", theme, rng),
            "short_hook": bank.pick(lang, "short_hooks", theme, rng),
            "audience": bank.pick(lang, "audiences", theme, rng),
            "cta": bank.pick(lang, "ctas", tone, rng),
            "greeting": bank.pick(lang, "greetings", tone, rng),
            "product": product.in_sentence(lang),
            "product_name": product.label(lang),
            "short_name": product.short(lang),
            "headline": product.headline_fact.get(lang) or product.headline_fact.get("en", ""),
            "benefit": order[0], "benefit2": order[1], "benefit3": order[2],
        }
        template = structures[(index + rng.randrange(len(structures))) % len(structures)]
        return template.render(**values).strip()

    def generate(self, prompt: Prompt, n: int, seed: int, max_new_tokens: int = 0,
                 stream: StreamCallback | None = None, should_stop: StopCheck | None = None) -> list[Candidate]:
        ctx = prompt.context
        out = []
        for i in range(n):
            if should_stop is not None and should_stop():
                break
            start = time.perf_counter()
            text = self.render_one(ctx, i, seed)
            if stream is not None:
                stream(i, text)
            out.append(Candidate(text=text, index=i, backend=self.name, seed=seed, tokens=0,
                                 seconds=time.perf_counter() - start, finish_reason="template"))
        return out
