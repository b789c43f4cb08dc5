"""``studio copy check``: JSON lines in, one verdict line per text out; bad input exits 2 with a message."""

import io
import json

from core.cli.main import main


def run(monkeypatch, capsys, stdin, *args):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["copy", "check", *args])
    return code, [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_copy_check_gives_one_verdict_per_line(monkeypatch, capsys, engine):
    stdin = "\n".join(json.dumps({"text": t}) for t in [
        "Earn 1.5% cash back on every purchase, with no annual fee.",
        "Earn a $1,000 bonus at your local convenience store.",
        "Guaranteed approval!",
    ])
    code, out = run(monkeypatch, capsys, stdin, "--product", "cash_rewards_card", "--channel", "email_body")
    assert code == 0 and len(out) == 3
    assert [o["verdict"] for o in out][0] == "pass"
    assert out[1]["verdict"] == "block" and any(f["rule"] == "G3" for f in out[1]["findings"])
    assert out[2]["verdict"] in ("review", "block")
    for o in out:
        assert set(o) >= {"text", "verdict", "findings", "final_text"}
        assert all(set(f) >= {"rule", "action", "message"} for f in o["findings"])


def test_copy_check_in_chinese(monkeypatch, capsys, engine):
    code, out = run(monkeypatch, capsys, json.dumps({"text": "不看信用记录，人人都能办。"}, ensure_ascii=False),
                    "--product", "personal_loan", "--channel", "push", "--language", "zh")
    assert code == 0 and out[0]["verdict"] in ("review", "block")


def test_bad_input_exits_2_with_a_plain_message(monkeypatch, capsys, engine):
    code, out = run(monkeypatch, capsys, "not json", "--product", "cash_rewards_card", "--channel", "sms")
    assert code == 2 and "Line 1 is not JSON" in out[0]["error"]
    code, out = run(monkeypatch, capsys, json.dumps({"text": "hi"}), "--product", "nope", "--channel", "sms")
    assert code == 2 and "not a product" in out[0]["error"]


def test_copy_generate_writes_checked_variants_and_saves_the_batch(capsys, engine):
    from core.workspace import get_workspace

    code = main(["copy", "generate", "--product", "high_yield_savings", "--channel", "sms", "--segment",
                 "Young families", "--traits", "high card spend;use the mobile app weekly", "--backend", "template",
                 "--n", "2", "--seed", "3"])
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert code == 0 and len(out) == 3
    assert all(o["outcome"] in ("pass", "review") and o["copy"].endswith("Reply STOP to opt out.") for o in out[:2])
    assert out[2]["stats"]["kept"] == 2 and out[2]["backend"]["backend"] == "template"
    assert list(get_workspace().runs(kind="copy_batch")["run_id"]) == [out[2]["run_id"]]
    code = main(["copy", "generate", "--product", "nope", "--channel", "sms", "--backend", "template"])
    assert code == 2 and "error" in json.loads(capsys.readouterr().out.splitlines()[-1])
