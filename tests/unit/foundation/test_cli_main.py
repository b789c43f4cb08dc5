import json
import subprocess
import sys

from core.cli import main as cli

ROOT = __import__("pathlib").Path(__file__).resolve().parents[3]


def _run(*args, stdin=""):
    proc = subprocess.run([sys.executable, "-m", "core.cli", *args], cwd=ROOT, input=stdin, capture_output=True,
                          text=True, timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


def test_bad_arguments_exit_2_with_one_json_error_and_no_traceback():
    rc, out, err = _run("no-such-command")
    assert rc == 2
    lines = out.strip().splitlines()
    assert len(lines) == 1 and "error" in json.loads(lines[0])
    assert "Traceback" not in out + err


def test_help_exits_0():
    rc, out, _ = _run("--help")
    assert rc == 0 and "studio" in out


def test_clean_makes_json_safe():
    import numpy as np

    obj = {"a": np.float32(1.5), "b": float("nan"), "c": np.arange(3), "d": {1: np.int64(2)}, "e": float("inf")}
    text = json.dumps(cli.clean(obj), allow_nan=False)
    assert json.loads(text) == {"a": 1.5, "b": None, "c": [0, 1, 2], "d": {"1": 2}, "e": None}


def test_unexpected_errors_exit_1_without_traceback(monkeypatch, capsys):
    def boom(_args):
        raise RuntimeError("kaput")

    parser = cli.build_parser

    def fake_parser():
        p = parser()
        sub = p._subparsers._group_actions[0]  # the command list
        cmd = sub.add_parser("boom")
        cmd.set_defaults(func=boom)
        return p

    monkeypatch.setattr(cli, "build_parser", fake_parser)
    assert cli.main(["boom"]) == 1
    out = capsys.readouterr().out
    assert "kaput" in json.loads(out)["error"] and "Traceback" not in out
