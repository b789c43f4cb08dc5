import math

import pytest

from core import formatting as F


@pytest.mark.parametrize("value, text", [
    (0.0854, "8.5%"), (0.0, "0.0%"), (0.00001, "<0.1%"), (1.0, "100.0%"), (None, "–"), (math.nan, "–"),
])
def test_pct(value, text):
    assert F.pct(value) == text


def test_money_and_count_never_scientific():
    assert F.money(1_234_567.4) == "$1,234,567"
    assert F.money(-50) == "-$50"
    assert F.money(2.5e12) == "$2,500,000,000,000"
    assert F.count(50000) == "50,000"
    assert "e" not in F.number(1.23e-9, 4) and F.number(1.23e-9, 4) == "<0.0001"
    assert F.number(12345678.9, 1) == "12,345,678.9"


def test_signed_pp_ratio():
    assert F.signed(0.209) == "+0.21"
    assert F.signed(-1.5) == "-1.50"
    assert F.pp(0.005) == "+0.5 pp"
    assert F.pp(-0.0123) == "-1.2 pp"
    assert F.ratio(1.8) == "1.80×"


@pytest.mark.parametrize("name, label", [
    ("txn_amount_90d", "Txn amount 90d"), ("CREDIT_LIMIT", "Credit limit"), ("SeriousDlqin2yrs", "Serious dlqin2yrs"),
    ("default.payment.next.month", "Default payment next month"), ("ead", "EAD"), ("Attrition_Flag", "Attrition flag"),
])
def test_humanize(name, label):
    assert F.humanize(name) == label


def test_plain_neutralises_markdown_and_html():
    hostile = "![x](http://evil.example/x.png) <img src=x onerror=alert(1)> **bold** :red[alarm] $x$"
    out = F.plain(hostile)
    import re

    for special in "![]()<>*:$":
        assert not re.search(r"(?<!\\)" + re.escape(special), out), special  # every special is escaped
    # every original character is still there, only escaped
    assert out.replace("\\", "") == hostile
