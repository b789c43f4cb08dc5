"""``studio scenario run|fidelity`` and the scenario report (escaping, sections, charts)."""

import json

import numpy as np
import pytest

from core.cli.main import main


def _run(capsys, *argv):
    code = main(list(argv))
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    return code, out


@pytest.mark.slow
def test_scenario_run_on_the_embedded_default(capsys):
    code, out = _run(capsys, "scenario", "run", "--preset", "adverse", "--shock", "unemployment=4", "--seed", "3",
                     "--draws", "1000", "--epochs", "2")
    assert code == 0, out
    r = out[0]
    keys = {"default_rate", "expected_loss", "var_99", "var_99_9", "es_99"}
    assert keys <= set(r) and keys <= set(r["baseline"]) and isinstance(r["warnings"], list)
    assert r["preset"] == "custom" and r["expected_loss"] > r["baseline"]["expected_loss"]
    assert r["var_99_9"] >= r["var_99"] and 0 < r["default_rate"] < 1
    again = _run(capsys, "scenario", "run", "--preset", "adverse", "--shock", "unemployment=4", "--seed", "3",
                 "--draws", "1000")[1][0]
    assert again["expected_loss"] == pytest.approx(r["expected_loss"])  # same generator and model: same figures


def test_scenario_run_refuses_bad_shocks_with_a_plain_message(capsys):
    code, out = _run(capsys, "scenario", "run", "--shock", "unemployment=lots")
    assert code == 2 and "DRIVER=VALUE" in out[0]["error"]
    code, out = _run(capsys, "scenario", "run", "--preset", "armageddon")
    assert code == 2 and "no scenario preset" in out[0]["error"]
    code, out = _run(capsys, "scenario", "fidelity", "/no/such/file.csv")
    assert code == 2 and "no file" in out[0]["error"]


@pytest.mark.parametrize(("argv", "says"), [
    (["run", "--draws", "200"], "--draws: use a whole number from 1,000 to 1,000,000, not 200"),
    (["run", "--draws", "1e4"], "not '1e4'"),
    (["run", "--epochs", "0"], "--epochs: use a whole number from 1 to 1,000, not 0"),
    (["fidelity", "x.csv", "--epochs", "-1"], "not -1"),
])
def test_draws_and_epochs_out_of_range_are_refused_before_any_work(capsys, argv, says):
    # --draws 200 was refused only after 22 s of training; --epochs 0 silently meant "automatic"
    code, out = _run(capsys, "scenario", *argv)
    assert code == 2 and says in out[0]["error"]


def test_generator_params_refuse_epochs_out_of_range():
    from core.errors import InputError
    from core.scenarios.generator import VAEParams

    with pytest.raises(InputError, match="between 1 and 1,000"):
        VAEParams(epochs=0)
    assert VAEParams(epochs=3).epochs == 3


@pytest.mark.slow
def test_scenario_fidelity_on_a_file(capsys, tmp_path):
    from core.data.synthetic import generate_frame

    frame, _ = generate_frame(1500, seed=4)
    path = tmp_path / "book.csv"
    frame.drop(columns=["full_name", "email"]).to_csv(path, index=False)
    code, out = _run(capsys, "scenario", "fidelity", str(path), "--epochs", "2", "--seed", "1")
    assert code == 0, out
    r = out[0]
    assert {"quality_report", "detection_auc", "tstr_auc", "train_seconds", "rows"} <= set(r)
    assert 0 < r["quality_report"] <= 1 and 0.5 <= r["detection_auc"] <= 1 and r["rows"] == 1500


def test_report_escapes_names_and_carries_every_section(tmp_path):
    from core.scenarios.presets import Scenario
    from core.scenarios.report import render_report
    from tests.unit.scenarios.test_report_fixture import fake_result

    r = fake_result(Scenario("custom", "<script>alert(1)</script>", {"unemployment": 2.0}, description="**bold** <b>x</b>"))
    html = render_report(r, "Book <img src=x onerror=alert(1)>", "html", comparison=[r], run_id="abc123",
                         fingerprints={"dataset": "d1", "generator": "g1", "scorer": "s1", "satellite": "t1"})
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<img src=x" not in html
    for part in ("abc123", "g1", "IFRS 9", "Staging as it stands", "All presets compared", "<svg"):
        assert part in html, part
    assert html.count("reaches 10.2,") == 1  # each warning once
    assert "e+0" not in html
    md = render_report(r, "Book", "md", comparison=[r])
    assert "## IFRS 9" in md and "| Stage" not in md.split("## IFRS 9")[0][-5:] and np.isfinite(len(md))
