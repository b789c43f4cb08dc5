"""``studio segment``: the page's segmentation on the command line, JSON out, plain errors."""

import io
import json
from contextlib import redirect_stdout

import pandas as pd
import pytest

from core.cli.main import main


def _run(argv):
    buf = io.StringIO()
    with redirect_stdout(buf):
        code = main(argv)
    return code, [json.loads(line) for line in buf.getvalue().splitlines() if line.strip()]


@pytest.fixture
def book_csv(tmp_path, small_portfolio):
    path = tmp_path / "book.csv"
    small_portfolio.frame.to_csv(path, index=False)
    return path


def test_segment_prints_the_contract_and_additive_fields(book_csv):
    code, out = _run(["segment", str(book_csv), "--k", "4", "--seed", "3"])
    assert code == 0 and len(out) == 1
    res = out[0]
    assert {"k", "reason", "features", "segments"} <= set(res)
    assert res["k"] == 4 and len(res["segments"]) == 4 and res["reason"].startswith("k = ")
    for s in res["segments"]:
        assert {"id", "name", "size", "share"} <= set(s) and s["name_check"] == []
    assert abs(sum(s["share"] for s in res["segments"]) - 1) < 1e-9
    assert "customer_id" not in res["features"] and "age" not in res["features"]
    assert [r["k"] for r in res["sweep"]] == list(range(2, 13))
    # a k set by hand is said to be so: the evidence's sentence argues for the sweep's k, not for this one
    assert isinstance(res["suggested_k"], int)
    if res["suggested_k"] != 4:
        assert res["reason"].startswith(f"k = 4 was set by hand; the evidence suggests k = {res['suggested_k']}: ")


def test_segment_with_offers_and_a_target_list(book_csv, tmp_path):
    out_file = tmp_path / "targets.csv"
    code, out = _run(["segment", str(book_csv), "--k", "3", "--offers", "--targets", "savings", "--share", "0.05",
                      "--out", str(out_file)])
    assert code == 0, out
    ev = out[0]["offers"]["evaluation"]
    assert {"model_auc", "logistic_auc", "segment_rule_auc"} <= set(ev[0])
    lst = pd.read_csv(out_file, encoding="utf-8-sig")
    assert len(lst) > 0 and lst["customer_id"].str.match(r"^P[0-9a-f]{16}$").all()


@pytest.mark.parametrize("argv, says", [
    (["segment", "/nowhere/file.csv"], "There is no file"),
    (["segment", "BOOK", "--k", "1"], "--k must be between 2 and 50"),
    (["segment", "BOOK", "--targets", "savings"], "--targets needs --out"),
    (["segment", "BOOK", "--k", "3", "--offers", "--response-product", "yacht"], "not in the offer catalogue"),
    (["segment", "BOOK", "--method", "magic"], "invalid choice"),
])
def test_bad_input_exits_2_with_a_plain_message(book_csv, argv, says):
    code, out = _run([str(book_csv) if a == "BOOK" else a for a in argv])
    assert code == 2 and says in out[-1]["error"] and "Traceback" not in out[-1]["error"]


@pytest.mark.parametrize("seed", ["-5", "99999999999999999999", "abc"])
def test_a_seed_out_of_range_is_refused_plainly_before_any_work(book_csv, seed):
    # numpy and scikit-learn take 0 .. 2**32 - 1: a negative seed reached them as "Unexpected error (ValueError)"
    code, out = _run(["segment", str(book_csv), "--k", "3", "--seed", seed])
    assert code == 2 and "a seed is a whole number from 0 to 4,294,967,295" in out[0]["error"]
    assert "Unexpected" not in out[0]["error"]


def test_an_unknown_feature_is_named_in_the_refusal(book_csv):
    code, out = _run(["segment", str(book_csv), "--features", "NOPE", "--k", "3"])
    assert code != 0 and "'NOPE' was left out because it is not in the data" in out[0]["error"]
