"""Which column is the outcome, and which of its values is the event.

Real targets are named in many habits (``class``, ``y``, ``default.payment.next.month``,
``SeriousDlqin2yrs``, ``Attrition_Flag``, ``loan_status``, ``bad``) and hold their outcome as
numbers or words (``Charged Off`` / ``Fully Paid``, ``Attrited Customer`` / ``Existing Customer``).
:func:`score_target` gives every column a score from its name and its values with the reasons;
the inference picks the best binary one, and refuses a target-like column with three or more
values (``yes/no/maybe``) with a plain message instead of letting it become a feature.
:func:`positive_label` picks the value that means the event (bad, default, churn, yes, 1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.data.naming import matches, snake, tokens

# whole names that say "this is the outcome" (after snake-casing)
_GENERIC = re.compile(r"^(target|label|y|class|outcome|response|result|flag|target_flag|target_flg|target_ind|label_flag)$")
_DOMAIN = re.compile(
    r"^(bad|is_bad|bad_flag|bad_flg|bad_ind|bad_loan|good_bad|gb|gb_flag|risk|credit_risk|default|defaulted|is_default|"
    r"default_flag|default_flg|default_ind|default_indicator|def|def_flag|def_flg|def_ind|dflt|dflt_flag|dflt_flg|"
    r"dflt_ind|is_dflt|dft|dft_flag|dlq_flag|dlq_flg|delinq_flag|churn|churned|is_churn|exited|attrition|attrition_flag|attrited|fraud|is_fraud|"
    r"fraud_flag|loan_status|status|delinquent|is_delinquent|charged_off|chargeoff|write_off|written_off|"
    r"not_fully_paid|repaid|approved|approval|is_repaid|loan_repaid|is_approved|fully_paid|is_fully_paid|paid_off|"
    r"good|is_good|good_flag|good_loan|performing|is_performing)$")  # the good-outcome names (_GOOD_NAME) too
# words inside a longer name that point at the outcome
_OUTCOME_WORD = re.compile(
    r"(^|_)(default|defaulted|dflt|dlq|dlqin|delinq\w*|bad|churn\w*|attrit\w*|fraud|charged|chargeoff|writeoff|"
    r"written|exited|target|label|outcome|"
    r"ausfall|ausgefallen|zahlungsausfall|defaut|impago|incumplimiento|wanbetaling|inadempienza)(_|$)")  # EU exports
# words that make it a history feature, not the outcome ("num_defaults_prev", "times_delinquent")
_HISTORY_WORD = re.compile(
    r"(^|_)(num|n|no|count|cnt|times|number|total|prev|previous|prior|past|ever|history|hist|last|days|months|"
    r"amount|amt|rate|ratio|score|since|pct|percent|share)(_|$)")
# names that say the target is the good outcome: its "yes" / 1 is not the event
_GOOD_NAME = re.compile(r"^(repaid|is_repaid|loan_repaid|approved|is_approved|approval|fully_paid|is_fully_paid|paid_off|"
                        r"good|is_good|good_flag|good_loan|performing|is_performing)$")
_STATUS = re.compile(r"(^|_)(status|stat|state|flag|flg|indicator|ind)$")

# value words, as lower-case phrases; strong words decide which column is the target, weak ones ("yes", "1")
# only which value of a chosen target is the event. A word after "non", "not" or "no" means the opposite.
_STRONG_POSITIVE = ("bad", "default", "defaulted", "charged off", "chargedoff", "charge off", "charged-off",
                    "attrited", "delinquent", "delinquency", "churned", "written off", "write off", "write-off",
                    "fraud", "fraudulent", "impaired", "in arrears", "arrears", "past due", "npl")
_STRONG_NEGATIVE = ("good", "fully paid", "paid off", "existing customer", "performing", "repaid")
_WEAK_POSITIVE = ("churn", "unpaid", "exited", "closed", "lost", "late", "yes", "y", "true", "t", "1", "1.0",
                  "positive", "event", "risky", "high risk", "fail", "failed", "failure")
_WEAK_NEGATIVE = ("paid", "current", "existing", "retained", "active", "stayed", "no", "n", "false", "f", "0",
                  "0.0", "negative", "low risk", "legit", "genuine", "ok", "pass", "passed", "success")
_STRONG = _STRONG_POSITIVE + _STRONG_NEGATIVE
_NEGATION = re.compile(r"(^|[^a-z0-9])(non|not|no|never)[- ]?$")


@dataclass(frozen=True)
class TargetScore:
    """How much a column looks like the target, and why."""

    column: str
    score: float
    n_values: int
    evidence: list[str] = field(default_factory=list)

    @property
    def named_like_target(self) -> bool:
        return self.score >= 2.0


def _phrase(v: object) -> str:
    return re.sub(r"\s+", " ", str(v).strip().lower())


def _find(value: str, words: tuple[str, ...]) -> tuple[str, bool] | None:
    """The first of ``words`` in ``value`` and whether it is negated ("non-default", "not paid")."""
    for w in words:
        for m in re.finditer(rf"(^|[^a-z0-9]){re.escape(w)}($|[^a-z0-9])", value):
            start = m.start() + len(m.group(1))
            return w, bool(_NEGATION.search(value[:start]))
    return None


def _has_word(value: str, words: tuple[str, ...]) -> str | None:
    found = _find(value, words)
    return found[0] if found else None


def _polarity(value: str) -> tuple[int, str]:
    """+3/+2 for a (strong/weak) event word, -3/-2 for a no-event word, negation flipping the sign; and the word."""
    for words, weight in ((_STRONG_POSITIVE, 3), (_STRONG_NEGATIVE, -3), (_WEAK_POSITIVE, 2), (_WEAK_NEGATIVE, -2)):
        found = _find(value, words)
        if found:
            word, negated = found
            return (-weight if negated else weight), (f"not {word}" if negated else word)
    return 0, ""


def score_target(name: str, s: pd.Series, position: int, n_columns: int, n_values: int | None = None) -> TargetScore:
    """Score one column as the target from its name and values (see the module docstring).

    ``n_values`` is the column's count of distinct values when the caller knows it.
    """
    values = s.dropna()
    n_values = int(values.nunique()) if n_values is None else n_values
    snake_name = snake(name)
    evidence: list[str] = []
    score = 0.0
    if _GENERIC.match(snake_name):
        score += 3.5
        evidence.append(f"the name '{name}' is a usual name for the outcome")
    elif _DOMAIN.match(snake_name) or _DOMAIN.match(snake_name.replace("_", "")):
        score += 3.0
        evidence.append(f"the name '{name}' names a credit or churn outcome")
    elif matches(_OUTCOME_WORD, name) and not matches(_HISTORY_WORD, name):
        score += 2.5
        word = next((t for t in tokens(name) if _OUTCOME_WORD.search(t)), name)
        evidence.append(f"the name '{name}' carries the outcome word '{word}'")
    elif _STATUS.search(snake_name) and n_values == 2 and not pd.api.types.is_numeric_dtype(s):
        score += 2.5
        evidence.append(f"'{name}' is a status column with two text values")
    if n_values == 2:
        uniq = list(pd.unique(values.head(10_000))) if len(values) > 10_000 else list(pd.unique(values))
        if len(uniq) < 2:
            uniq = list(pd.unique(values))
        strong = [v for v in uniq if _has_word(_phrase(v), _STRONG)]
        if strong:
            score += 1.5
            evidence.append("its two values " + " / ".join(repr(str(v)) for v in uniq) + " name an outcome")
        if score and position == n_columns - 1:
            score += 0.5
            evidence.append("it is the last column, where files usually keep the outcome")
    elif n_values > 2 and score:
        evidence.append(f"it has {n_values} distinct values, not two")
    return TargetScore(name, score, n_values, evidence)


def positive_label(s: pd.Series) -> tuple[object, str]:
    """The value of a binary target that means the event (the bad outcome), and the reason for the choice.

    A target whose name says the good outcome ("repaid", "approved", "is_good") is read the other way
    round: its "yes" / 1 is the good outcome, so the event is the other value. Values that name an
    outcome themselves ("default" / "paid") decide whatever the name.
    """
    label, why = _event_by_values(s)
    values = list(pd.unique(s.dropna()))
    name = snake(str(s.name)) if s.name is not None else ""
    if len(values) == 2 and _GOOD_NAME.match(name) and not any(_has_word(_phrase(v), _STRONG) for v in values):
        other = next(v for v in values if _py(v) != label)
        return _py(other), (f"the name '{s.name}' names the good outcome, so {str(label)!r} means it and "
                            f"{str(_py(other))!r} is the event")
    return label, why


def _event_by_values(s: pd.Series) -> tuple[object, str]:
    values = list(pd.unique(s.dropna()))
    if not values:
        return 1, "the column is empty; 1 was assumed"
    numbers = pd.to_numeric(pd.Series([str(v) for v in values]), errors="coerce")
    if len(values) == 2 and numbers.notna().all():
        if set(numbers) == {0.0, 1.0}:
            one = values[int(numbers.idxmax())]
            return _py(one), f"a 0/1 flag: {_py(one)!r} is the event"
        biggest = values[int(numbers.idxmax())]
        return _py(biggest), f"no value names the event; the larger value {_py(biggest)!r} was taken"
    scored = sorted(((*_polarity(_phrase(v)), i) for i, v in enumerate(values)), key=lambda t: -t[0])
    top, word, i = scored[0]
    runner = scored[1][0] if len(scored) > 1 else None
    if top > 0 and (runner is None or top > runner):
        return _py(values[i]), f"{str(values[i])!r} names the event ('{word}')"
    bottom, word, j = scored[-1]
    if len(values) == 2 and bottom < 0 and top > bottom:
        other = values[1 - j]
        return _py(other), f"{str(values[j])!r} means no event ('{word}'), so {str(other)!r} is the event"
    counts = s.value_counts()
    rare = counts.index[-1]
    return _py(rare), (f"no value names the event; the rarer value {str(rare)!r} "
                       f"({int(counts.iloc[-1]):,} of {int(counts.sum()):,} rows) was taken")


def _py(v: object) -> object:
    return v.item() if isinstance(v, np.generic) else v
