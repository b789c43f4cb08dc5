"""The labelled copy corpus (``assets/copy/corpus/``): compliant and violating sentences, EN and ZH.

``train.jsonl`` trains and tunes the meaning classifiers; ``heldout.jsonl`` was written first and is
used only to measure the finished engine (never for training or tuning). Each line: ``id``,
``label`` (``compliant`` or a violation class), ``product``, ``channel``, ``language``, ``text``.

:func:`evaluate` runs the whole engine (rules, grounding, meaning) on a split and reports, per
violation class, precision and recall of "flagged" (review or block), and the flag rates of
compliant and violating sentences.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from core.copy.catalogue import ASSETS_DIR

COMPLIANT = "compliant"
SPLITS = ("train", "heldout")
MEANING_CLASSES = ("no_credit_check", "guaranteed_approval", "free_credit", "superlative", "pressure",
                   "guaranteed_returns", "debt_relief", "housing_steering", "earn_product")
GROUNDING_CLASSES = ("number_mismatch", "unsupported_feature")


@dataclass(frozen=True)
class Example:
    id: str
    label: str
    product: str
    channel: str
    language: str
    text: str

    @property
    def violating(self) -> bool:
        return self.label != COMPLIANT


def corpus_path(split: str):
    return ASSETS_DIR / "corpus" / f"{split}.jsonl"


def load_corpus(split: str) -> list[Example]:
    """The examples of one split."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}")
    rows = []
    for line in corpus_path(split).read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            rows.append(Example(d["id"], d["label"], d["product"], d["channel"], d["language"], d["text"]))
    return rows


def corpus_fingerprint(split: str = "train") -> str:
    return hashlib.sha256(corpus_path(split).read_bytes()).hexdigest()[:16]


def evaluate(engine: Any, examples: list[Example]) -> dict:
    """Flag rates and per-class precision/recall of the engine on ``examples``.

    A sentence is flagged when its verdict is ``review`` or ``block``. For a violation class,
    recall is the share of its sentences flagged; precision is the share of flagged sentences
    *attributed to that class* (a finding of one of the class's rules) that truly belong to it.
    """
    verdicts = engine.check_many([(e.text, e.product, e.channel, e.language) for e in examples])
    flagged = [v.outcome != "pass" for v in verdicts]
    per_class: dict[str, dict] = {}
    classes = sorted({e.label for e in examples if e.violating})
    for cls in classes:
        rule_ids = engine.rule_ids_for_class(cls)
        attributed = [any(f.rule_id in rule_ids for f in v.findings if f.action in ("review", "block"))
                      for v in verdicts]
        tp = sum(1 for e, a in zip(examples, attributed, strict=True) if a and e.label == cls)
        fp = sum(1 for e, a in zip(examples, attributed, strict=True) if a and e.label != cls)
        n = sum(1 for e in examples if e.label == cls)
        caught = sum(1 for e, f in zip(examples, flagged, strict=True) if f and e.label == cls)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall_attr = tp / n if n else 0.0
        f1 = 2 * precision * recall_attr / (precision + recall_attr) if precision + recall_attr else 0.0
        per_class[cls] = {"n": n, "flagged_recall": round(caught / n, 4) if n else 0.0,
                          "precision": round(precision, 4), "recall": round(recall_attr, 4), "f1": round(f1, 4)}
    viol = [f for e, f in zip(examples, flagged, strict=True) if e.violating]
    comp = [f for e, f in zip(examples, flagged, strict=True) if not e.violating]
    missed = [e.id for e, f in zip(examples, flagged, strict=True) if e.violating and not f]
    false_flags = [e.id for e, f in zip(examples, flagged, strict=True) if not e.violating and f]
    return {"n": len(examples), "labels": dict(Counter(e.label for e in examples)),
            "violating_flagged": round(sum(viol) / len(viol), 4) if viol else 0.0,
            "compliant_flagged": round(sum(comp) / len(comp), 4) if comp else 0.0,
            "per_class": per_class, "missed": missed, "false_flags": false_flags}
