"""The copy area as batch jobs see it: one request per (segment, product, channel), the backend made once per worker."""

from __future__ import annotations

import threading
from typing import Any

_backends: dict[str, tuple[Any, list[str]]] = {}
_lock = threading.Lock()


def backend(choice: str | None) -> tuple[Any, list[str]]:
    """The copy backend of this process (created once per worker and reused by every task)."""
    from core.copy.generate import make_backend

    key = choice or ""
    with _lock:
        if key not in _backends:
            _backends[key] = make_backend(choice or None)
        return _backends[key]


def products() -> list[str]:
    from core.copy.catalogue import get_catalogue

    return list(get_catalogue().products)


def brief_from_dict(d: dict) -> Any:
    from core.briefs import SegmentBrief

    return SegmentBrief.from_dict(d)


def generate(brief: dict, product: str, channel: str, *, n: int, tone: str, language: str, seed: int,
             choice: str | None) -> dict:
    """One copy batch through the area's ``generate_copy``; returns plain rows and statistics."""
    from core.copy.generate import CopyRequest, generate_copy

    be, notes = backend(choice)
    seg = brief_from_dict(brief)
    batch = generate_copy(CopyRequest(product, channel, seg, tone, language, n, seed), be, backend_notes=notes)
    rows = [{"segment": seg.name, "product": product, "channel": channel, "variant": v.id, "text": v.body,
             "final_text": v.final_text, "passed": bool(v.passed), "score": float(v.score),
             "findings": "; ".join(f"{f['rule_id']}: {f['action']}" for f in v.findings if "rule_id" in f),
             "backend": v.backend} for v in batch.variants]
    return {"rows": rows, "stats": dict(batch.stats), "notes": list(batch.notes), "backend": batch.backend.get("name", ""),
            "rules_version": batch.rules_version, "blocked": len(batch.blocked)}
