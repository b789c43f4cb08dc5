from decimal import Decimal

import pytest

from core.copy.catalogue import extract_numbers, load_catalogue
from core.errors import InputError

KINDS = {"credit_card", "personal_loan", "auto_loan", "mortgage", "heloc", "savings", "cd", "checking"}


def test_catalogue_holds_every_required_product_kind(catalogue):
    assert KINDS <= {p.kind for p in catalogue.products.values()}
    assert catalogue.bank.postal_address and catalogue.bank.nmls_id


def test_unknown_product_is_an_input_error(catalogue):
    with pytest.raises(InputError, match="not a product"):
        catalogue.product("crypto_wallet")


@pytest.mark.parametrize(("text", "expected"), [
    ("4.10% APY", [("percent", Decimal("4.1"))]),
    ("$1,000 minimum", [("money", Decimal("1000"))]),
    ("$40k", [("money", Decimal("40000"))]),
    ("15 months", [("plain", Decimal("15"))]),
    ("前15个月0%", [("plain", Decimal("15")), ("percent", Decimal("0"))]),
    ("9.99 percent", [("percent", Decimal("9.99"))]),
    ("2x points", [("multiplier", Decimal("2"))]),
    ("no digits here", []),
])
def test_extract_numbers(text, expected):
    assert [n.key for n in extract_numbers(text)] == expected


def test_allowed_numbers_come_from_the_product_and_bank(catalogue):
    savings = catalogue.product("high_yield_savings")
    allowed = savings.allowed_numbers()
    assert ("percent", Decimal("4.1")) in allowed
    assert ("percent", Decimal("4.5")) not in allowed  # the CD's APY is not the savings account's


def test_every_product_has_the_disclosures_its_rules_need_in_every_language(catalogue, engine):
    missing = []
    for product in catalogue.products.values():
        for channel in catalogue.channels:
            for rule in engine.rules:
                if rule.action != "append_disclosure" or not rule.applies(product, channel):
                    continue
                spec = rule.disclosure or {}
                for lang in ("en", "zh"):
                    if "product_key" in spec and not product.disclosure(spec["product_key"], lang):
                        missing.append((product.id, rule.id, spec["product_key"], lang))
                    if "text" in spec and lang not in spec["text"]:
                        missing.append((product.id, rule.id, "text", lang))
            for lang in ("en", "zh"):
                if not product.disclosure("link", lang):
                    missing.append((product.id, "link", lang))
    assert missing == []


def test_broken_catalogue_file_is_reported(tmp_path):
    (tmp_path / "products.json").write_text("{not json")
    (tmp_path / "channels.json").write_text("{}")
    with pytest.raises(Exception, match="cannot be read"):
        load_catalogue(tmp_path)
