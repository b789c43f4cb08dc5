"""A stand-in for a real credit-card default file (no such file is held here): 30,000 card holders, six months.

The issue's held-back file is the public "default of credit card clients" layout (Yeh & Lien 2009):
LIMIT_BAL, SEX, EDUCATION, MARRIAGE, AGE, PAY_0, PAY_2..PAY_6, BILL_AMT1..6, PAY_AMT1..6 and
``default.payment.next.month``. This generator reproduces the habits that give generated rows away,
so the fidelity bench faces them; it is a synthetic stand-in, not that data, and its figures are not
the real file's:

* credit limits on round numbers (multiples of 10,000, with spikes at 50,000 and 20,000);
* payment-status codes per month (-2 no use, -1 paid in full, 0 revolving, 1..8 months behind)
  following a persistent Markov chain, so consecutive months agree;
* monthly bills that move as an AR(1) of utilisation (consecutive-month correlation about 0.95),
  zero when the card was not used, sometimes negative (a credit balance), and over the limit for
  some customers who are behind (fees and interest);
* payments that are zero-inflated (nothing paid when behind), equal to the previous bill when paid
  in full, and otherwise often a round amount (multiples of 1,000);
* a default flag next month (about 22%) from the latest status, utilisation and a hidden risk.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MONTHS = 6
STATUSES = np.array([-2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8])


def card_standin(n: int = 30_000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    risk = rng.standard_normal(n)
    common = np.array([20_000, 50_000, 80_000, 100_000, 200_000, 360_000, 500_000])
    limit = np.where(rng.random(n) < 0.45, rng.choice(common, n, p=[0.18, 0.3, 0.12, 0.12, 0.14, 0.08, 0.06]),
                     np.round(np.exp(11.6 - 0.35 * risk + 0.6 * rng.standard_normal(n)) / 10_000) * 10_000)
    limit = np.clip(limit, 10_000, 1_000_000).astype(np.int64)
    sex = rng.choice([1, 2], n, p=[0.4, 0.6])
    education = rng.choice([1, 2, 3, 4, 5, 6, 0], n, p=[0.35, 0.47, 0.164, 0.004, 0.009, 0.002, 0.001])
    marriage = rng.choice([1, 2, 3, 0], n, p=[0.455, 0.532, 0.011, 0.002])
    age = np.clip(np.round(22 + rng.gamma(3.0, 4.5, n)), 21, 79).astype(np.int64)
    # payment status, oldest month first: a persistent chain tilted by the hidden risk
    state = np.where(rng.random(n) < 0.13, -2, np.where(rng.random(n) < 0.2, -1, 0))
    status = np.zeros((n, MONTHS), dtype=np.int64)
    util = np.clip(rng.beta(1.2, 1.8, n) + 0.08 * risk, 0, 1.2)
    bills = np.zeros((n, MONTHS))
    pays = np.zeros((n, MONTHS))
    prev_bill = util * limit
    for t in range(MONTHS):
        u = rng.random(n)
        behind = state >= 1
        worsen = 1 / (1 + np.exp(-(-3.2 + 0.9 * risk + 0.9 * behind)))
        cure = 0.45 - 0.1 * risk
        new = state.copy()
        new = np.where(behind & (u < cure), np.where(rng.random(n) < 0.6, 0, -1), new)
        new = np.where(behind & (u >= cure) & (u < cure + worsen), np.minimum(state + 1, 8), new)
        new = np.where(~behind & (u < worsen * 0.6), np.where(state == -2, 0, 1 + (rng.random(n) < 0.15)), new)
        new = np.where(~behind & (u > 0.97), rng.choice([-2, -1, 0], n), new)
        state = new
        status[:, t] = state
        util = np.clip(0.95 * util + 0.05 * 0.4 + 0.04 * rng.standard_normal(n) + 0.03 * (state >= 1), -0.05, 1.3)
        bill = util * limit * np.where(state >= 2, 1.0 + 0.02 * state, 1.0)
        bill = np.where(state == -2, 0.0, bill)
        bill = np.where(rng.random(n) < 0.02, -rng.gamma(1.0, 800, n), bill)
        bill = np.where((state < 1) & (bill > limit), limit * rng.uniform(0.9, 1.0, n), bill)
        bills[:, t] = np.round(bill)
        full = state == -1
        round_pay = np.round(np.maximum(prev_bill, 0) * rng.uniform(0.03, 0.15, n) / 1000) * 1000
        some = np.where(rng.random(n) < 0.5, round_pay, np.round(np.maximum(prev_bill, 0) * rng.uniform(0.02, 0.2, n)))
        pay = np.where(full, np.maximum(prev_bill, 0), np.where(state >= 1, 0.0, some))
        pay = np.where((state >= 1) & (rng.random(n) < 0.25), np.round(rng.gamma(1.2, 1500, n)), pay)
        pays[:, t] = np.round(pay)
        prev_bill = bill
    latest = status[:, -1]
    z = -1.6 + 0.55 * np.clip(latest, 0, 4) + 0.8 * (latest >= 2) + 0.45 * risk + 0.5 * np.clip(util, 0, 1.2) \
        - 0.15 * (limit / 100_000)
    default = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(np.int64)
    frame = pd.DataFrame({"LIMIT_BAL": limit, "SEX": sex, "EDUCATION": education, "MARRIAGE": marriage, "AGE": age})
    # the file's month order: PAY_0 is the latest month, then PAY_2 .. PAY_6 going back
    for k, name in enumerate(["PAY_0", "PAY_2", "PAY_3", "PAY_4", "PAY_5", "PAY_6"]):
        frame[name] = status[:, MONTHS - 1 - k]
    for k in range(MONTHS):
        frame[f"BILL_AMT{k + 1}"] = bills[:, MONTHS - 1 - k].astype(np.int64)
    for k in range(MONTHS):
        frame[f"PAY_AMT{k + 1}"] = pays[:, MONTHS - 1 - k].astype(np.int64)
    frame["default.payment.next.month"] = default
    return frame


CATEGORICAL = ["SEX", "EDUCATION", "MARRIAGE", "PAY_0", "PAY_2", "PAY_3", "PAY_4", "PAY_5", "PAY_6",
               "default.payment.next.month"]
TARGET = "default.payment.next.month"
