"""Segment names that are true, unique within a run and stable across k.

A name is at most two adjectives and a noun ("Affluent cash-rich savers"). Every word comes from
the vocabulary (:mod:`core.segmentation.vocabulary`) and makes a claim about one column: "big
spenders" says the segment spends more than the book. A word enters an automatic name only when
the profile bears it out on the numbers the analyst sees: the segment's mean is above the book's
by at least 10 % (below, for a "low" word), its median is not on the other side, and the
deviation is clear on the modelling scale (z >= 0.4). Levels of a categorical column name a
segment when at least half of it has the level and 1.5x the book's share; product flags when at
least half holds the product and 1.3x the book's share.

:func:`check_name` reads any name (automatic or typed by the analyst) for the phrases of the
vocabulary and says which claims the profile contradicts, so a rename such as "Low-risk big
spenders" on a segment that spends less than the book is flagged.

Names are made unique by adding the word that sets a segment apart from the ones it collides
with. Segments that differ on one axis only (income bands) are then graded on the column that sets
them apart most: "Lowest-income", "Second-lowest-income", "Mid-income", ..., "Highest-income", their
rank among the run's segments (:mod:`core.segmentation.grades`; the check reads those words too).
A number follows only for segments that no labelled numeric feature tells apart. :func:`match_segments` pairs the
segments of two runs by overlap so that a group that stays the same across k keeps its name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.segmentation.claims import LEVEL_LIFT, LEVEL_SHARE, NOISE, SegmentFacts, claim, very
from core.segmentation.grades import grade_text, grading_column
from core.segmentation.name_check import NameFinding, check_name, name_is_true
from core.segmentation.vocabulary import HIGH, LOW, Meaning, Vocabulary, default_vocabulary, level_key

__all__ = ["NameFinding", "SegmentFacts", "build_names", "check_name", "match_segments", "name_is_true", "name_key"]

NAME_Z = 0.4  # modelling-scale deviation a column needs to name a segment
WEAK_Z = 0.2  # words that only tell colliding segments apart may be weaker
SAME_GROUP = 0.6  # Jaccard overlap above which two segments are the same group
NOISE_NAME = "Unassigned (outliers)"


@dataclass(frozen=True)
class Word:
    text: str
    part: str  # "adj" or "noun"
    concept: str
    column: str
    direction: str
    score: float


# ---- candidate words ------------------------------------------------------------------------------
def candidates(facts: SegmentFacts, segment: int, meanings: dict[str, Meaning], min_z: float = WEAK_Z) -> list[Word]:
    """The true words for one segment, strongest first, one per concept."""
    words: list[Word] = []
    for col in facts.features:
        m = meanings.get(col)
        if m is None:
            words += _generic_level_words(facts, segment, col)
            continue
        if m.concept.levels and col in facts.shares:
            tab = facts.shares[col]
            if segment not in tab.index:
                continue
            for level in tab.columns:
                spec = m.concept.levels.get(level_key(level))
                if not spec:
                    continue
                ok, _ = claim(facts, segment, m, level_key(level), strict=True)
                if not ok:
                    continue
                s, b = float(tab.loc[segment, level]), float(tab.loc["all", level])
                score = (s - b) / np.sqrt(max(b * (1 - b), 1e-3))
                for part in ("noun", "adj"):
                    if spec.get(part):
                        words.append(Word(spec[part], part, m.concept.key, col, level_key(level), score))
            continue
        if col not in facts.z.columns or segment not in facts.z.index:
            continue
        z = float(facts.z.loc[segment, col])
        if abs(z) < min_z:
            continue
        direction = HIGH if z > 0 else LOW
        spec = m.concept.words(direction)
        if not spec:
            continue
        ok, _ = claim(facts, segment, m, direction, strict=True)
        if not ok:
            continue
        for part in ("noun", "adj"):
            if spec.get(part):
                words.append(Word(m.fill(spec[part]), part, m.concept.key, col, direction, abs(z)))
    words.sort(key=lambda w: -w.score)
    best: dict[str, float] = {}
    for w in words:  # one direction/level per concept: the strongest
        best.setdefault(w.concept, w.score)
    return [w for w in words if w.score == best[w.concept]]


_NOT_A_WORD = {"unknown", "other", "missing", "none", "nan", "null", "yes", "no", "true", "false", "n/a", "na"}


def _generic_level_words(facts: SegmentFacts, segment: int, col: str) -> list[Word]:
    """Level words for a categorical column the vocabulary does not know.

    A level names a segment when it reads as a word ('Gold customers'); codes such as 'A14', 'may'
    or 'unknown' never do.
    """
    tab = facts.shares.get(col)
    if tab is None or segment not in tab.index:
        return []
    out = []
    for level in tab.columns:
        s, b = float(tab.loc[segment, level]), float(tab.loc["all", level])
        text = re.sub(r"[_\s]+", " ", str(level)).strip()
        if len(text) < 4 or text.lower() in _NOT_A_WORD or not re.fullmatch(r"[A-Za-z][A-Za-z \-]*", text) or \
                not (s >= LEVEL_SHARE and s >= LEVEL_LIFT * b):
            continue
        score = (s - b) / np.sqrt(max(b * (1 - b), 1e-3))
        out.append(Word(text[:1].upper() + text[1:], "adj", f"level:{col}", col, level_key(level), score))
    return out


def _compose(words: list[Word], n_adj: int, extra: list[Word], fallback_noun: str) -> tuple[str, list[Word]]:
    """Up to ``n_adj`` adjectives (plus ``extra``) and a noun, one word per concept."""
    noun = next((w for w in words if w.part == "noun"), None)
    adjs: list[Word] = []

    def fits(w: Word) -> bool:  # one word per concept, and no word twice ("Big-ticket big spenders")
        chosen = [*adjs, *([noun] if noun else [])]
        return all(a.concept != w.concept for a in chosen) and not any(_tokens(w) & _tokens(a) for a in chosen)

    for w in words:
        if len(adjs) == n_adj:
            break
        if w.part == "adj" and fits(w):
            adjs.append(w)
    for w in extra:
        if fits(w):
            adjs.append(w)
    used = [*adjs, *([noun] if noun else [])]
    texts = [a.text for a in adjs] + [noun.text if noun else fallback_noun]
    return _sentence(texts), used


_FILLER = frozenset({"very", "and", "of", "the", "a", "an", "with", "in", "on"})


def _tokens(w: Word) -> set[str]:
    """The content words of a vocabulary word ("Big-ticket" -> {"big", "ticket"})."""
    return {t for t in re.split(r"[\s\-/]+", w.text.lower()) if t and t not in _FILLER}


def _sentence(texts: list[str]) -> str:
    out = []
    for i, t in enumerate(texts):
        if i and t[:1].isupper() and not t[1:2].isupper():
            t = t[:1].lower() + t[1:]
        out.append(t)
    name = " ".join(out)
    return name[:1].upper() + name[1:]


# ---- names ----------------------------------------------------------------------------------------
def build_names(facts: SegmentFacts, vocab: Vocabulary | None = None, inherit: dict[int, str] | None = None,
                n_adj: int = 2) -> dict[int, str]:
    """A true, unique name per segment; ``inherit`` proposes names (kept only if still true)."""
    vocab = vocab or default_vocabulary()
    meanings = vocab.meanings(list(facts.means.columns) + list(facts.shares), facts.semantics)
    segs = facts.segments
    cands = {s: candidates(facts, s, meanings) for s in segs}
    names: dict[int, str] = {}
    used: dict[int, list[Word]] = {}
    for s, name in (inherit or {}).items():
        taken = {name_key(n) for n in names.values()}
        if s in cands and name_key(name) not in taken and name_is_true(name, facts, s, vocab, meanings):
            names[s] = name
    for s in segs:
        if s in names:
            continue
        strong = [w for w in cands[s] if w.score >= NAME_Z]
        names[s], used[s] = (_compose(strong, n_adj, [], vocab.fallback_noun) if strong
                             else (vocab.mainstream, []))
    _make_unique(names, used, cands, vocab, fixed=set(names) - set(used), n_adj=n_adj, facts=facts,
                 meanings=meanings)
    if NOISE in facts.z.index:
        names[NOISE] = NOISE_NAME
    return names


MAX_ADJ = 3


def _intensify(s: int, group: list[int], names: dict[int, str], used: dict[int, list[Word]],
               facts: SegmentFacts | None) -> bool:
    """'High-balance' -> 'Very high-balance' for the one colliding segment far beyond the book."""
    if facts is None:
        return False
    for i, w in enumerate(used.get(s, [])):
        if w.part != "adj" or w.direction not in (HIGH, LOW) or w.text.lower().startswith("very "):
            continue
        if not very(facts, s, w.column, w.direction):
            continue
        if any(very(facts, o, w.column, w.direction) for o in group if o != s):
            continue
        new = Word("Very " + w.text[:1].lower() + w.text[1:], w.part, w.concept, w.column, w.direction, w.score)
        words = [*used[s][:i], new, *used[s][i + 1:]]
        adjs = [x for x in words if x.part == "adj"]
        noun = [x for x in words if x.part == "noun"]
        names[s] = _sentence([a.text for a in adjs] + ([noun[0].text] if noun else [names[s].split()[-1]]))
        used[s] = words
        return True
    return False


def _extend(s: int, group: list[int], names: dict[int, str], used: dict[int, list[Word]],
            cands: dict[int, list[Word]], vocab: Vocabulary, facts: SegmentFacts | None = None) -> bool:
    """Add to segment ``s``'s name the true word that the segments it collides with do not share."""
    if _intensify(s, group, names, used, facts):
        return True
    adjs = [w for w in used.get(s, []) if w.part == "adj"]
    noun = [w for w in used.get(s, []) if w.part == "noun"]
    mine = {w.concept for w in used.get(s, [])}
    pool = sorted((w for w in cands.get(s, []) if w.concept not in mine), key=lambda w: (-w.score, w.part))
    theirs = {(w.concept, w.direction) for o in group if o != s for w in cands.get(o, [])[:4]}
    taken = {(w.concept, w.direction) for o in group if o != s for w in used.get(o, [])}
    for pool_filter in (theirs, taken):
        for w in pool:
            if (w.concept, w.direction) in pool_filter:
                continue
            if w.part == "noun" and not noun:
                new_noun, new_adjs = [w], adjs
            elif w.part == "adj" and len(adjs) < MAX_ADJ:
                new_noun, new_adjs = noun, [*adjs, w]
            else:
                continue
            name, words = _compose([*new_adjs, *new_noun], len(new_adjs), [], vocab.fallback_noun)
            if name_key(name) != name_key(names[s]):
                names[s], used[s] = name, words
                return True
    return False


def name_key(name: str) -> frozenset[str]:
    """Names with the same words in any order are the same name."""
    return frozenset(w for w in re.split(r"[\s\-·,]+", name.lower()) if w)


def _make_unique(names: dict[int, str], used: dict[int, list[Word]], cands: dict[int, list[Word]], vocab: Vocabulary,
                 fixed: set[int], n_adj: int, facts: SegmentFacts | None = None,
                 meanings: dict[str, Meaning] | None = None) -> None:
    """Add the word that sets each colliding segment apart, then grade; number only exact ties."""
    for _ in range(8):
        clashes = _clashes(names)
        if not clashes:
            return
        changed = False
        for group in clashes:
            # one segment moves per round (the smallest number that may), then the clash is looked at again
            for s in [g for g in group if g not in fixed] or group[1:]:
                if _extend(s, group, names, used, cands, vocab, facts):
                    changed = True
                    break
        if not changed:
            break
    if facts is not None:
        _grade(names, used, fixed, facts, meanings or {}, vocab.fallback_noun)
    seen: dict[frozenset[str], int] = {}
    for s in sorted(names):
        key = name_key(names[s])
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            names[s] = f"{names[s]} ({seen[key]})"


def _clashes(names: dict[int, str]) -> list[list[int]]:
    groups: dict[frozenset[str], list[int]] = {}
    for s, n in names.items():
        groups.setdefault(name_key(n), []).append(s)
    return [g for g in groups.values() if len(g) > 1]


def _grade(names: dict[int, str], used: dict[int, list[Word]], fixed: set[int], facts: SegmentFacts,
           meanings: dict[str, Meaning], fallback_noun: str) -> None:
    """Rank each colliding segment on the column that sets its group apart most ("Second-highest-income")."""
    for _ in range(3):  # a group whose members still tie after one column is graded on the next
        changed = False
        for group in _clashes(names):
            movers = [s for s in group if s not in fixed]
            col = grading_column(facts, group, meanings)
            if col is None or not movers:
                continue
            concept = meanings[col].concept.key if col in meanings else f"column:{col}"
            for s in movers:
                text = grade_text(facts, s, col, meanings)
                if text is None:
                    continue
                keep = [w for w in used.get(s, []) if w.concept != concept and w.column != col]
                grade = Word(text, "adj", f"grade:{col}", col, "grade", float("inf"))
                adjs = [grade, *(w for w in keep if w.part == "adj")]
                noun = [w for w in keep if w.part == "noun"]
                names[s] = _sentence([a.text for a in adjs] + [noun[0].text if noun else fallback_noun])
                used[s] = [*adjs, *noun]
                changed = True
        if not changed:
            return


# ---- the same group across runs -------------------------------------------------------------------
def match_segments(previous: np.ndarray, current: np.ndarray, min_jaccard: float = SAME_GROUP) -> dict[int, int]:
    """Current segment -> previous segment, for pairs whose members overlap by ``min_jaccard``.

    Both label arrays are over the same rows. Each previous segment pairs with at most one.
    """
    prev, cur = np.asarray(previous), np.asarray(current)
    tab = pd.crosstab(cur, prev)
    size_c = tab.sum(axis=1)
    size_p = tab.sum(axis=0)
    pairs = []
    for c in tab.index:
        for p in tab.columns:
            inter = tab.loc[c, p]
            if inter == 0 or c == NOISE or p == NOISE:
                continue
            j = inter / (size_c[c] + size_p[p] - inter)
            if j >= min_jaccard:
                pairs.append((j, int(c), int(p)))
    out: dict[int, int] = {}
    taken: set[int] = set()
    for _j, c, p in sorted(pairs, reverse=True):
        if c not in out and p not in taken:
            out[c] = p
            taken.add(p)
    return out
