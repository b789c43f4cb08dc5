"""Reading any segment name against its profile: which words hold, which are contradicted.

:func:`check_name` finds the vocabulary's phrases in a name (longest first, so "low-savings" is not
read as "savings"), resolves each to the column its concept reads in this dataset, and reads the
claim against the segment (:func:`core.segmentation.claims.claim`). A rename such as "Low-risk big
spenders" on a segment that spends less than the book is reported as a contradiction. Graded words
("Second-highest-income", :mod:`core.segmentation.grades`) are read first and checked against the
segment's rank among the run's segments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.segmentation.claims import SegmentFacts, claim, very
from core.segmentation.grades import check_grade, find_grades
from core.segmentation.vocabulary import HIGH, LOW, Meaning, Phrase, Vocabulary, default_vocabulary, phrase_pattern


@dataclass(frozen=True)
class NameFinding:
    """One phrase of a name read against the profile."""

    phrase: str
    concept: str
    column: str | None
    verdict: str  # "ok", "contradicts", "unchecked"
    message: str


def read_name(name: str, vocab: Vocabulary, meanings: dict[str, Meaning],
              skip: tuple[tuple[int, int], ...] = ()) -> list[tuple[str, Phrase]]:
    """The claim-carrying phrases in a name, as (phrase as written, Phrase), left to right.

    A phrase written after "very" is returned with it ("very high-balance"); ``skip`` holds spans
    already read (graded words).
    """
    text = str(name)
    taken = np.zeros(len(text), dtype=bool)
    for a, b in skip:
        taken[a:b] = True
    found: list[tuple[int, str, Phrase]] = []
    for p in vocab.phrases(meanings):
        for m in phrase_pattern(p.text, p.noun).finditer(text):
            if taken[m.start():m.end()].any():
                continue
            taken[m.start():m.end()] = True
            before = text[max(0, m.start() - 5):m.start()]
            written = (before + m.group(0)) if before.lower() == "very " else m.group(0)
            found.append((m.start(), written, p))
    return [(t, p) for _, t, p in sorted(found, key=lambda x: x[0])]


def check_name(name: str, facts: SegmentFacts, segment: int, vocab: Vocabulary | None = None,
               meanings: dict[str, Meaning] | None = None, strict: bool = False) -> list[NameFinding]:
    """Read every claim in ``name`` against the segment's profile."""
    vocab = vocab or default_vocabulary()
    meanings = meanings if meanings is not None else vocab.meanings(list(facts.means.columns) + list(facts.shares),
                                                                    facts.semantics)
    by_column = {m.column: m for m in meanings.values()}
    grades = find_grades(name, facts, meanings)
    out = []
    for g in grades:
        ok, why = check_grade(facts, segment, g)
        verdict = "unchecked" if ok is None else ("ok" if ok else "contradicts")
        say = (f"“{g.written}”: {_label(g.column)} {why}." if ok else
               f"“{g.written}” cannot be checked: {why}." if ok is None else
               f"“{g.written}” says the segment ranks {g.word.replace('-', ' ')} on {_label(g.column)}, but {why}.")
        out.append(NameFinding(g.written, "grade", g.column, verdict, say))
    for written, p in read_name(name, vocab, meanings, tuple((g.start, g.end) for g in grades)):
        if p.column is None:
            out.append(NameFinding(written, p.concept, None, "unchecked",
                                   f"“{written}” cannot be checked: this data has no column it describes."))
            continue
        column = _primary(facts, segment, p.column, p.others, by_column)
        target = "pd" if column == "pd" else by_column.get(column)
        if target is None:
            continue
        ok, why = claim(facts, segment, target, p.direction, strict=strict)
        label = "predicted PD" if column == "pd" else _label(column)
        if ok and written.lower().startswith("very ") and column != "pd" and p.direction in (HIGH, LOW) \
                and not very(facts, segment, column, p.direction):
            side = "2.5 times" if p.direction == HIGH else "under 1/2.5 of"
            out.append(NameFinding(written, p.concept, column, "contradicts",
                                   f"“{written}” says {label} is {side} the book's, but it is {why}."))
            continue
        if ok is None:
            out.append(NameFinding(written, p.concept, column, "unchecked", f"“{written}” cannot be checked: {why}."))
        elif ok:
            out.append(NameFinding(written, p.concept, column, "ok", f"“{written}”: {label} {why}."))
        else:
            side = {HIGH: "above", LOW: "below"}.get(p.direction)
            claim_text = (f"says {label} is {side} the book's" if side else f"says most of the segment is '{p.direction}'")
            out.append(NameFinding(written, p.concept, column, "contradicts",
                                   f"“{written}” {claim_text}, but it is {why}."))
    return out


def name_is_true(name: str, facts: SegmentFacts, segment: int, vocab: Vocabulary | None = None,
                 meanings: dict[str, Meaning] | None = None) -> bool:
    """Every claim of the name holds at the automatic bar (nothing unchecked or contradicted)."""
    findings = check_name(name, facts, segment, vocab, meanings, strict=True)
    return all(f.verdict == "ok" for f in findings)


def _primary(facts: SegmentFacts, segment: int, column: str, others: tuple[str, ...],
             by_column: dict[str, Meaning]) -> str:
    """Of the columns a concept reads, the one that sets this segment apart most (as the names use)."""
    cols = [c for c in (column, *others) if c == "pd" or c in by_column]
    scored = [c for c in cols if c in facts.z.columns and segment in facts.z.index]
    if len(scored) < 2:
        return cols[0] if cols else column
    return max(scored, key=lambda c: abs(float(facts.z.loc[segment, c])))


def _label(column: str) -> str:
    return column.replace("_", " ").strip().lower()
