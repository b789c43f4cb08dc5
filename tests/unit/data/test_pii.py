"""PII by value in innocuously named columns; amounts, codes and dates are not flagged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data.columns import read_column
from core.data.inference import infer
from core.data.pii import contains_pii, detect_pii, iban_ok, luhn_ok
from core.data.schema import Role, Tag

RNG = np.random.default_rng(11)
N = 120


def _luhn(prefix: str) -> str:
    for d in range(10):
        if luhn_ok(prefix + str(d)):
            return prefix + str(d)
    raise AssertionError


def _iban(bban: str) -> str:
    raw = bban + "GB00"
    number = int("".join(str(int(ch, 36)) for ch in raw))
    return f"GB{98 - number % 97:02d}{bban}"


def _kind(name: str, values) -> str | None:
    found = detect_pii(name, read_column(name, pd.Series(values)))
    return None if found is None else found.kind


def test_checksums():
    assert iban_ok("DE89 3704 0044 0532 0130 00") and iban_ok("GB82WEST12345698765432")
    assert not iban_ok("DE89 3704 0044 0532 0130 01")
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")


@pytest.mark.parametrize(
    ("name", "values", "kind"),
    [
        ("col_7", [f"{a} {b}" for a, b in zip(RNG.choice(["James", "Mary", "Wei", "Fatima", "Olga"], N),
                                              RNG.choice(["Smith", "Chen", "Khan", "Garcia", "Nowak"], N), strict=True)],
         "person names"),
        ("ref", [_iban("WEST" + "".join(map(str, RNG.integers(0, 10, 14)))) for _ in range(N)], "IBANs"),
        ("col_3", [_luhn("4" + "".join(map(str, RNG.integers(0, 10, 14)))) for _ in range(N)], "card numbers"),
        ("x1", [f"{RNG.integers(100, 899)}-{RNG.integers(10, 99)}-{RNG.integers(1000, 9999)}" for _ in range(N)],
         "social security numbers"),
        ("c", [f"user{i}@example.org" for i in range(N)], "email addresses"),
        ("c", [f"+44 20 7946 {RNG.integers(1000, 9999)}" for _ in range(N)], "phone numbers"),
        ("c", [f"({RNG.integers(200, 999)}) {RNG.integers(200, 999)}-{RNG.integers(1000, 9999)}" for _ in range(N)],
         "phone numbers"),
        ("area", [f"SW{RNG.integers(1, 20)} {RNG.integers(1, 9)}AB" for _ in range(N)], "postcodes"),
        ("loc", [f"{RNG.integers(10000, 99999)}-{RNG.integers(1000, 9999)}" for _ in range(N)], "postcodes"),
        ("code", [f"{x:05d}" for x in RNG.integers(500, 99999, N)], "postcodes"),
        ("zip", RNG.integers(10000, 99999, N), "postcodes"),
        ("addr1", [f"{RNG.integers(1, 300)} {RNG.choice(['High', 'Park', 'Mill'])} Street" for _ in range(N)],
         "street addresses"),
        ("notes", [f"please call back, wrote to a{i}@mail.example.com" if i % 4 == 0 else "no contact" for i in range(N)],
         "emails in free text"),
        ("d1", (pd.Timestamp("1950-01-01") + pd.to_timedelta(RNG.integers(0, 365 * 50, N), unit="D")).strftime("%Y-%m-%d"),
         "date of birth"),
        ("born", ["2001-05-06", "1999-01-02"] * 60, "date of birth"),
    ],
)
def test_pii_by_value_in_innocent_names(name, values, kind):
    assert _kind(name, values) == kind


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("balance", RNG.uniform(0, 1e6, N).round(2)),
        ("income", RNG.integers(10_000, 99_999, N)),  # 5-digit integers are amounts, not ZIP codes
        ("loan_amnt", RNG.integers(1_000_000_000_000, 9_999_999_999_999, N)),  # 13 digits but no Luhn pattern
        ("segment", RNG.choice(["Premier", "Retail", "Business"], N)),
        ("city", RNG.choice(["London", "Paris", "Austin", "Berlin", "Madrid", "Rome"], N)),
        ("opened", (pd.Timestamp("2015-01-01") + pd.to_timedelta(RNG.integers(0, 3000, N), unit="D")).strftime("%Y-%m-%d")),
        ("grade", RNG.choice(list("ABCDEFG"), N)),
        ("product_name", RNG.choice(["Gold Card", "Easy Saver"], N)),
        ("time_at_address", [f"{x} yrs" for x in RNG.integers(0, 30, N)]),
        ("comment", ["called about card limit increase"] * N),
    ],
)
def test_not_pii(name, values):
    assert _kind(name, values) is None


def test_planted_pii_never_reaches_the_features_and_carries_proxy_tags():
    frame = pd.DataFrame({
        "customer_id": np.arange(N),
        "col_7": [f"{a} {b}" for a, b in zip(RNG.choice(["Maria", "Ahmed", "John"], N), RNG.choice(["Silva", "Patel", "Jones"], N),
                                             strict=True)],
        "area": [f"EC{RNG.integers(1, 9)} {RNG.integers(1, 9)}QR" for _ in range(N)],
        "balance": RNG.uniform(0, 5_000, N), "bad": RNG.choice([0, 1], N),
    })
    s = infer(frame).schema
    assert s.roles["col_7"] == Role.PII and s.roles["area"] == Role.PII
    assert set(s.features()) == {"balance"}
    assert s.has("col_7", Tag.PROXY) and s.has("area", Tag.GEOGRAPHIC)


def test_contains_pii_in_a_sentence():
    assert contains_pii("Write to jane.doe@bank.example or call +1 415 555 0134") == ["emails", "phone numbers"]
    assert contains_pii("IBAN DE89 3704 0044 0532 0130 00 on file") == ["IBANs"]
    assert contains_pii("Young savers in the north") == []
