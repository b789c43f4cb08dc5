"""Checking copy written elsewhere: the same engine as the page, one result per text.

Used by the page's "Check copy" tab and by ``studio copy check``. Each result:
``{"text", "verdict": "pass"|"review"|"block", "findings": [{"rule", "action", "message", "claim",
"title", "source", "matched", "score"}], "final_text", "claims", "disclosures"}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from core.copy.engine import RuleEngine, get_engine
from core.copy.verdict import Verdict
from core.errors import InputError

MAX_TEXT = 5000


def result(text: str, verdict: Verdict) -> dict:
    """The JSON-ready result of one check."""
    return {
        "text": text, "verdict": verdict.outcome,
        "findings": [{"rule": f.rule_id, "action": f.action, "message": f.message(), "claim": f.claim,
                      "title": f.title, "source": f.source, "matched": f.matched, "score": f.score}
                     for f in verdict.findings],
        "final_text": verdict.final_text, "claims": list(verdict.claims),
        "disclosures": [d.text for d in verdict.disclosures],
    }


def check_texts(texts: list[str], product_id: str, channel: str, language: str = "en",
                engine: RuleEngine | None = None) -> list[dict]:
    """Verdicts on ``texts`` for one product, channel and language (batched meaning step)."""
    engine = engine or get_engine()
    product = engine.catalogue.product(product_id)
    engine.catalogue.channel(channel)
    if language not in engine.catalogue.languages:
        raise InputError(f"Copy in '{language}' is not supported.", "Use en or zh.")
    for i, t in enumerate(texts, 1):
        if len(t) > MAX_TEXT:
            raise InputError(f"Text {i} is {len(t):,} characters long; the check takes at most {MAX_TEXT:,}.",
                             "Split it into the pieces that are sent separately.")
    verdicts = engine.check_many([(t, product, channel, language) for t in texts])
    return [result(t, v) for t, v in zip(texts, verdicts, strict=True)]


def parse_lines(lines: Iterable[str]) -> list[str]:
    """Texts from JSON lines ``{"text": ...}`` (blank lines skipped)."""
    texts = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            raise InputError(f"Line {n} is not JSON.", 'Give one JSON object per line: {"text": "..."}.') from None
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            raise InputError(f'Line {n} has no "text" string.', 'Give one JSON object per line: {"text": "..."}.')
        texts.append(obj["text"])
    return texts
