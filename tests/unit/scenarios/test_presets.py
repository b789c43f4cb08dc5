import pytest

from core.errors import InputError
from core.scenarios.presets import load_presets


def test_presets_are_data_with_sources():
    p = load_presets()
    assert {"baseline", "adverse", "severely_adverse", "stagflation"} <= set(p.scenarios)
    sev = p.scenario("severely_adverse")
    assert 3 <= sev.shocks["unemployment"] <= 5 and sev.shocks["house_prices"] <= -30
    assert [s.key for s in p.by_severity()] == ["baseline", "adverse", "stagflation", "severely_adverse"]
    assert sum(s.ifrs9_weight for s in p.scenarios.values()) == pytest.approx(1.0)
    assert p.drivers["policy_rate"].floor == 0.0 and p.drivers["house_prices"].adverse == -1
    assert p.match(dict(sev.shocks), sev.lgd_downturn_addon).key == "severely_adverse"
    assert p.match({"unemployment": 1.0}, 0.0) is None
    assert any("Federal Reserve" in s["title"] for s in sev.sources)
    assert p.scenario("baseline").is_baseline()
    assert all(d.overlay_note for d in p.drivers.values())


def test_custom_scenarios_are_checked():
    p = load_presets()
    s = p.custom({"unemployment": 5, "income": -15, "policy_rate": 300, "house_prices": -30, "utilisation": 10})
    assert s.shocks["policy_rate"] == 300 and "Unemployment +5 pp" in s.description
    with pytest.raises(InputError, match="outside"):
        p.custom({"unemployment": 50})
    with pytest.raises(InputError, match="Unknown driver"):
        p.custom({"weather": 1})
    with pytest.raises(InputError):
        p.scenario("armageddon")
