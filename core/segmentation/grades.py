"""Graded words for segments that differ on one axis only: "Lowest-income", "Mid-income", "Highest-income".

When segments share every other true word (k-means on income alone cuts the book into income
bands), a name says where the segment *ranks among the run's segments* on the column that sets
them apart most: ``lowest``, ``second-lowest``, ..., ``mid`` (the middle segment of an odd
number), ..., ``second-highest``, ``highest``, joined to the column's label ("income", "loan",
"rate": the vocabulary's concept label; a column without one is never graded). Ranks are read on the
segments' means, the numbers the profile table shows, so every graded word can be checked:
:func:`find_grades` reads them in any name (automatic or typed by the analyst) and
:func:`check_grade` says whether the segment holds that rank.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from core.formatting import humanize, number
from core.segmentation.claims import SegmentFacts
from core.segmentation.vocabulary import Meaning

_ORDINALS = ("", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh",
             "twelfth")
_ORDINAL_NUMBER = {w: i for i, w in enumerate(_ORDINALS) if w}
MIN_GAP = 0.1  # modelling-scale distance two graded segments must keep on the grading column


def _ordinal(i: int) -> str:
    """0 -> '', 1 -> 'second-', ... (past twelfth: '13th-')."""
    if i < len(_ORDINALS):
        return f"{_ORDINALS[i]}-" if i else ""
    n = i + 1
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}-"


def label(column: str, meanings: dict[str, Meaning]) -> str:
    """The word a grade is joined to: the concept's label ('income'), else (in a rename) the humanised column name."""
    m = meanings.get(column)
    text = m.concept.label if m is not None and m.concept.label else humanize(column).lower()
    return re.sub(r"[\s_]+", "-", text.strip().rstrip("."))


def rank_word(facts: SegmentFacts, segment: int, column: str) -> str | None:
    """Where the segment's mean of ``column`` ranks among the run's segments ('second-highest'); None on a tie."""
    segs = facts.segments
    if column not in facts.means.columns or segment not in segs or len(segs) < 2:
        return None
    values = facts.means.loc[segs, column].astype(float)
    if not np.all(np.isfinite(values.to_numpy())) or values.nunique() < len(values):
        return None
    order = list(values.sort_values(kind="mergesort").index)
    low = order.index(segment)
    high = len(order) - 1 - low
    if low == high:
        return "mid"
    return f"{_ordinal(low)}lowest" if low < high else f"{_ordinal(high)}highest"


def grade_text(facts: SegmentFacts, segment: int, column: str, meanings: dict[str, Meaning]) -> str | None:
    """The graded adjective for a segment ('Second-highest-income'), or None when the ranks tie."""
    word = rank_word(facts, segment, column)
    if word is None:
        return None
    text = f"{word}-{label(column, meanings)}"
    return text[:1].upper() + text[1:]


def grading_column(facts: SegmentFacts, group: list[int], meanings: dict[str, Meaning]) -> str | None:
    """The numeric feature on which the segments of ``group`` are furthest apart (modelling scale).

    Every two of them must be at least :data:`MIN_GAP` apart on it (segments alike on every column
    are not told apart by a rank that noise decides), and the vocabulary must label it ("income"):
    a rank joined to a raw column name ("Mid-total-ct-chng-q4-q1") reads as a column, not a segment.
    """
    ranked: list[tuple[float, str]] = []
    for c in facts.z.columns:
        if c not in facts.means.columns:
            continue
        z = np.sort(facts.z.loc[[s for s in group if s in facts.z.index], c].astype(float).to_numpy())
        if len(z) < 2 or not np.all(np.isfinite(z)) or float(np.diff(z).min()) < MIN_GAP:
            continue
        m = meanings.get(c)
        if m is not None and m.concept.label and all(rank_word(facts, s, c) for s in group):
            ranked.append((float(z[-1] - z[0]), c))
    return max(ranked)[1] if ranked else None


@dataclass(frozen=True)
class Grade:
    """A graded phrase found in a name."""

    start: int
    end: int
    written: str
    column: str
    word: str  # 'lowest', 'second-highest', 'mid', ...


def _rank_pattern() -> str:
    ords = "|".join([*(w for w in _ORDINALS if w), r"\d+(?:st|nd|rd|th)"])
    return rf"(?:(?:{ords})[\s\-]+)?(?:lowest|highest)|mid"


def find_grades(name: str, facts: SegmentFacts, meanings: dict[str, Meaning]) -> list[Grade]:
    """Every graded phrase in ``name`` ('Second-highest-income', 'mid rate'), for the columns of the profile."""
    out: list[Grade] = []
    text = str(name)
    labels = {label(c, meanings): c for c in facts.means.columns}
    for lab in sorted(labels, key=len, reverse=True):
        body = r"[\s\-]+".join(re.escape(p) for p in re.split(r"[\s\-]+", lab) if p)
        rx = re.compile(rf"(?<![\w\-])({_rank_pattern()})[\s\-]+{body}(?![\w\-])", re.I)
        for m in rx.finditer(text):
            if any(g.start < m.end() and m.start() < g.end for g in out):
                continue
            word = re.sub(r"[\s\-]+", "-", m.group(1).lower())
            out.append(Grade(m.start(), m.end(), m.group(0), labels[lab], word))
    return sorted(out, key=lambda g: g.start)


def check_grade(facts: SegmentFacts, segment: int, grade: Grade) -> tuple[bool | None, str]:
    """Whether the segment holds the rank the phrase says, and why (the rank it does hold)."""
    actual = rank_word(facts, segment, grade.column)
    if actual is None:
        return None, "its rank among the segments cannot be read (a tie or a missing value)"
    n = len(facts.segments)
    mean = float(facts.means.loc[segment, grade.column])
    why = f"its mean {number(mean, 0 if abs(mean) >= 100 else 2)} ranks {actual.replace('-', ' ')} of the {n} segments"
    return _same_rank(grade.word, actual), why


def _same_rank(written: str, actual: str) -> bool:
    def canon(w: str) -> str:
        head, _, tail = w.rpartition("-")
        m = re.fullmatch(r"(\d+)(?:st|nd|rd|th)", head)
        if m:
            i = int(m.group(1)) - 1
            head = _ordinal(i).rstrip("-")
        elif head in _ORDINAL_NUMBER:
            head = _ordinal(_ORDINAL_NUMBER[head]).rstrip("-")
        return f"{head}-{tail}" if head else tail

    return canon(written) == canon(actual)
