"""``studio credit train`` and ``studio credit reasons`` on a file, as an analyst's script would call them."""

import json

import pytest

from core.cli.main import main
from core.data.synthetic import generate_frame

BANNED = {"age", "region", "regional_unemployment", "policy_rate", "house_price_change"}


@pytest.fixture
def portfolio_csv(tmp_path):
    frame, _ = generate_frame(2500, seed=21)
    path = tmp_path / "book.csv"
    frame.to_csv(path, index=False)
    return path


def _run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr().out.strip().splitlines()
    return code, [json.loads(line) for line in out]


def test_train_then_reasons(portfolio_csv, capsys):
    code, out = _run(capsys, "credit", "train", str(portfolio_csv), "--target", "default_12m", "--seed", "3",
                     "--max-depth", "3", "--trees", "80")
    assert code == 0 and len(out) == 1
    t = out[0]
    assert {"model", "test_auc", "benchmark_auc", "features", "excluded", "warnings"} <= set(t)
    assert t["test_auc"] > 0.75 and "age" not in t["features"] and "age" in t["excluded"]
    code, lines = _run(capsys, "credit", "reasons", str(portfolio_csv), "--model", t["model"], "--declined-only",
                       "--limit", "40")
    assert code == 0 and 0 < len(lines) <= 40
    for rec in lines:
        assert {"id", "pd", "decision", "reasons"} <= set(rec) and rec["decision"] == "declined"
        for r in rec["reasons"]:
            assert {"code", "feature", "text", "contribution"} <= set(r)
            assert r["feature"] not in BANNED and r["contribution"] > 0
    assert [r["pd"] for r in lines] == sorted((r["pd"] for r in lines), reverse=True)
    code, everyone = _run(capsys, "credit", "reasons", str(portfolio_csv), "--model", t["model"], "--limit", "5",
                          "--cutoff", "0.5", "--reference", "all")
    assert code == 0 and len(everyone) == 5


def test_protected_override_is_explicit_and_logged(portfolio_csv, capsys):
    code, out = _run(capsys, "credit", "train", str(portfolio_csv), "--max-depth", "2", "--trees", "40",
                     "--include-protected", "age=validated: no negative factor at 62+")
    assert code == 0 and "age" in out[0]["features"]
    assert out[0]["overrides"]["age"].endswith("validated: no negative factor at 62+")
    assert any("explicit override" in w for w in out[0]["warnings"])


@pytest.mark.parametrize("argv, message", [
    (["credit", "train", "/no/such/file.csv"], "There is no file"),
    (["credit", "reasons", "FILE", "--model", "0123456789abcdef"], "no stored credit model"),
    (["credit", "train", "FILE", "--include-protected", "age"], "COLUMN=REASON"),
    (["credit", "train", "FILE", "--target", "nope"], "no column 'nope'"),
    (["credit", "reasons", "FILE"], "--model"),
])
def test_bad_input_is_one_json_error_and_exit_2(portfolio_csv, capsys, argv, message):
    argv = [str(portfolio_csv) if a == "FILE" else a for a in argv]
    code, out = _run(capsys, *argv)
    assert code == 2 and len(out) == 1 and message in out[0]["error"]
