import numpy as np
import pandas as pd
import pytest
import torch

from core.scenarios.errors import NotEnoughDataError, PinError, TrainingDivergedError
from core.scenarios.generator import WEIGHTS, TabularVAE, VAEParams

from .conftest import TINY


def test_sample_has_the_columns_types_and_seen_categories(tiny_vae, frame):
    s = tiny_vae.sample(500, seed=1)
    assert list(s.columns) == list(frame.columns) and len(s) == 500
    assert set(s["region"].astype(str)) <= set(frame["region"].astype(str))
    assert s["annual_income"].between(frame["annual_income"].min(), frame["annual_income"].max()).all()
    assert s.notna().all().all()


def test_pinned_columns_equal_pinned_values_exactly(tiny_vae, frame):
    pins = {"regional_unemployment": 9.25, "region": "West", "annual_income": 123_456.78, "delinquencies_24m": 3}
    s = tiny_vae.sample_conditional(pins, n=300, seed=2)
    assert (s["regional_unemployment"] == 9.25).all()
    assert (s["region"].astype(str) == "West").all()
    assert (s["annual_income"] == 123_456.78).all()
    assert (s["delinquencies_24m"] == 3).all()
    per_row = frame[["credit_score", "product_type"]].head(200)
    s2 = tiny_vae.sample_conditional(per_row, seed=2)
    assert np.array_equal(s2["credit_score"].to_numpy(), per_row["credit_score"].to_numpy())
    assert (s2["product_type"].astype(str).to_numpy() == per_row["product_type"].astype(str).to_numpy()).all()


def test_rare_pins_are_drawn_without_rejection(tiny_vae, frame, monkeypatch):
    """Conditioning never throws rows away: the decoder sees exactly n rows whatever the pins."""
    seen = []
    real = tiny_vae.model_.decode_flat

    def counting(z, *args, **kwargs):
        seen.append(z.shape[0])
        return real(z, *args, **kwargs)

    monkeypatch.setattr(tiny_vae.model_, "decode_flat", counting)
    common = {"credit_score": float(frame["credit_score"].median())}
    rare = {"credit_score": 300.0, "regional_unemployment": 25.0}
    for pins in (common, rare):
        seen.clear()
        out = tiny_vae.sample_conditional(pins, n=20_000, seed=0)
        assert len(out) == 20_000 and sum(seen) == 20_000
    assert (out["credit_score"] == 300).all()


def test_same_seed_same_rows_other_seed_other_rows(tiny_vae):
    a, b, c = tiny_vae.sample(400, seed=5), tiny_vae.sample(400, seed=5), tiny_vae.sample(400, seed=6)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_training_is_reproducible_from_the_seed(frame):
    cats = ["region", "employment_status", "product_type"]
    v1 = TabularVAE(VAEParams(**{**TINY, "epochs": 2})).fit(frame, cats)
    v2 = TabularVAE(VAEParams(**{**TINY, "epochs": 2})).fit(frame, cats)
    pd.testing.assert_frame_equal(v1.sample(200, seed=1), v2.sample(200, seed=1))
    assert v1.history_.train_loss == v2.history_.train_loss


def test_save_load_round_trip_gives_identical_samples(tiny_vae, tmp_path):
    import json

    meta = tiny_vae.save(tmp_path)
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    state = torch.load(tmp_path / WEIGHTS, weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    loaded = TabularVAE.load(tmp_path)
    pd.testing.assert_frame_equal(tiny_vae.sample(300, seed=9), loaded.sample(300, seed=9))
    pins = {"regional_unemployment": 7.0}
    pd.testing.assert_frame_equal(tiny_vae.sample_conditional(pins, 100, seed=3), loaded.sample_conditional(pins, 100, seed=3))


def test_too_little_data_is_a_typed_error(frame):
    with pytest.raises(NotEnoughDataError, match="at least 500 rows"):
        TabularVAE(VAEParams(**TINY)).fit(frame.head(499))


def test_pinning_every_column_is_refused_with_a_message(tiny_vae, frame):
    with pytest.raises(PinError, match="Every column is pinned"):
        tiny_vae.sample_conditional(frame.head(10))
    # a stress that redraws nothing is allowed: the shifted rows come back as given
    shifted = {"regional_unemployment": frame["regional_unemployment"].head(50).to_numpy() + 2}
    out = tiny_vae.stress(frame.head(50), shifted, resample=[], seed=0)
    assert np.array_equal(out["regional_unemployment"].to_numpy(), shifted["regional_unemployment"])
    assert np.array_equal(out["credit_score"].to_numpy(), frame["credit_score"].head(50).to_numpy())


def test_unknown_pinned_column_is_a_typed_error(tiny_vae):
    with pytest.raises(PinError, match="not in the generator"):
        tiny_vae.sample_conditional({"shoe_size": 44}, n=5)


def test_out_of_range_pins_are_allowed_and_flagged(tiny_vae, frame):
    hi = float(frame["regional_unemployment"].max())
    pinned = pd.DataFrame({"regional_unemployment": [hi + 5.0] * 10, "credit_score": [700] * 10})
    flags = tiny_vae.check_pins(pinned)
    assert [f.column for f in flags] == ["regional_unemployment"]
    assert "above the highest value seen in training" in flags[0].message and flags[0].share_outside == 1.0
    assert flags[0].step_outside == pytest.approx(5.0)
    out = tiny_vae.sample_conditional(pinned, seed=0)
    assert (out["regional_unemployment"] == hi + 5.0).all()


def test_stress_keeps_the_rest_and_redraws_only_dependents(tiny_vae, frame):
    base = frame.head(100)
    shifted = {"regional_unemployment": base["regional_unemployment"].to_numpy() + 3}
    out = tiny_vae.stress(base, shifted, resample=["credit_score", "debt_to_income"], seed=1)
    kept = [c for c in frame.columns if c not in ("credit_score", "debt_to_income", "regional_unemployment")]
    for c in kept:
        assert (out[c].astype(str).to_numpy() == base[c].astype(str).to_numpy()).all(), c
    assert np.array_equal(out["regional_unemployment"].to_numpy(), shifted["regional_unemployment"])


def test_nan_loss_stops_training_with_a_message(frame):
    with pytest.raises(TrainingDivergedError, match="Training diverged"):
        TabularVAE(VAEParams(**{**TINY, "lr": 1e30, "epochs": 5})).fit(frame)


def test_anomaly_scores_rank_an_odd_row_first(tiny_vae, frame):
    odd = frame.head(1).copy()
    odd["age"] = 18
    odd["annual_income"] = frame["annual_income"].max()
    odd["credit_score"] = frame["credit_score"].min()
    odd["card_utilisation"] = 0.99
    rows = pd.concat([frame.iloc[1:200], odd], ignore_index=True)
    a = tiny_vae.anomaly_scores(rows)
    assert np.allclose(a.score, a.recon + a.kl, rtol=1e-5)
    assert a.score[-1] > np.quantile(a.score[:-1], 0.9)
    assert a.column_excess.shape == (len(rows), len(tiny_vae.columns))


def test_learning_rate_decays_to_its_floor_after_an_optional_warm_up():
    from core.scenarios.trainer import learning_rate

    warm = [learning_rate(s, 1000, 4e-3, warmup=0.03) for s in range(1000)]
    assert warm[0] < warm[29] == pytest.approx(4e-3)  # a 3% warm-up when asked for
    rates = [learning_rate(s, 1000, 4e-3) for s in range(1000)]
    assert rates[0] == pytest.approx(4e-3)  # none by default
    assert all(b <= a for a, b in zip(rates, rates[1:], strict=False))
    assert rates[-1] == pytest.approx(4e-3 * 0.05, rel=1e-3)
    assert learning_rate(500, 1000, 4e-3, "constant") == 4e-3


def test_snap_moves_rows_to_the_nearest_observed_combination():
    """Against a direct computation: squared scaled numeric gaps plus 4 per categorical mismatch."""
    from core.scenarios.structure import Structure

    rng = np.random.default_rng(0)
    combos = [[float(u), str(r)] for u, r in zip(rng.normal(5, 1, 12).round(1), rng.choice(list("abc"), 12), strict=True)]
    s = Structure(groups=[["u", "r"]], group_levels=[combos])
    rows = pd.DataFrame({"u": rng.normal(5, 1.5, 300), "r": pd.Categorical(rng.choice(list("abcd"), 300))})
    out = s.snap(rows.copy(), set())
    ref = np.array([c[0] for c in combos])
    scale = ref.std()
    for i in range(len(rows)):
        d = [((rows.u[i] - c[0]) / scale) ** 2 + 4.0 * (str(rows.r[i]) != c[1]) for c in combos]
        best = combos[int(np.argmin(d))]
        assert (out.u[i], str(out.r[i])) == (best[0], best[1])
    kept = s.snap(rows.copy(), {"r"})  # a pinned member stays as given
    assert kept.r.equals(rows.r)


def test_a_level_that_fixes_a_column_is_found_and_enforced():
    """A card product always has the card flag and no loan amount: generated rows follow, pinned ones stay."""
    from core.scenarios.structure import Structure

    rng = np.random.default_rng(1)
    n = 2000
    product = rng.choice(["card", "loan", "auto"], n)
    flag = np.where(product == "card", 1, rng.integers(0, 2, n)).astype(np.int8)
    amount = np.where(product == "card", 0.0, rng.lognormal(9, 0.5, n).round())
    real = pd.DataFrame({"product": pd.Categorical(product), "flag": flag, "amount": amount, "x": rng.normal(size=n)})
    s = Structure.discover(real, {"product"})
    rules = {r["target"]: r["rules"] for r in s.implies}
    assert rules.get("flag") == {"card": 1}
    assert "x" not in rules  # the amount may be held by this rule or by a per-level equality: enforced either way
    assert Structure.from_dict(s.to_dict()).implies == s.implies
    broken = real.copy()
    broken["flag"] = np.int8(0)
    broken["amount"] = 5.0
    fixed = s.enforce(broken.copy())
    card = product == "card"
    assert (fixed.flag[card] == 1).all() and (fixed.amount[card] == 0).all() and (fixed.amount[~card] == 5.0).all()
    assert fixed.flag.dtype == np.int8
    pinned = s.enforce(broken.copy(), keep={"flag"})
    assert (pinned.flag == 0).all()


@pytest.mark.parametrize("fused", [True, None])
def test_functional_adam_makes_torch_adams_updates(fused):
    """The trainer's optimiser against torch.optim.Adam on the same model, data and per-step learning rates: equal weights."""
    from core.scenarios.trainer import FunctionalAdam

    def run(ours: bool) -> torch.Tensor:
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(6, 12), torch.nn.SiLU(), torch.nn.Linear(12, 2), torch.nn.Linear(2, 2))
        net[2].weight.requires_grad_(False)  # a frozen parameter is skipped by both
        x = torch.randn((64, 6), generator=torch.Generator().manual_seed(1))
        opt = FunctionalAdam(list(net.parameters()), 1e-2, fused) if ours else torch.optim.Adam(net.parameters(), 1e-2, fused=fused)
        for step in range(25):
            rate = 1e-2 * (1 - step / 30)
            if ours:
                opt.lr = rate
            else:
                for group in opt.param_groups:
                    group["lr"] = rate
            loss = (net(x) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        return torch.cat([p.detach().ravel() for p in net.parameters()])

    before = torch.cat([p.detach().ravel() for p in torch.nn.Sequential(torch.nn.Linear(6, 12)).parameters()])
    mine, theirs = run(True), run(False)
    assert torch.equal(mine, theirs)
    assert not torch.equal(mine[:before.numel()], before)  # the weights moved


def test_decode_places_logits_as_the_padded_gather_does(tiny_vae):
    """decode's placement matmul against the direct gather: same logits per (category, column), -inf in the pads."""
    model = tiny_vae.model_
    c = model.config
    g = torch.Generator().manual_seed(0)
    z = torch.randn((50, c.latent_dim), generator=g)
    x = torch.randn((50, c.n_dims), generator=g)
    m = (torch.rand((50, c.n_columns), generator=g) < 0.5).float()
    with torch.no_grad():
        mean, logits = model.decode(z, x * model.dim_mask(m), m)
        out = model.decoder(torch.cat([z, x * model.dim_mask(m), m], dim=1))
    padded = torch.cat([out, out.new_full((50, 1), float("-inf"))], dim=1)[:, model.cat_index.T]
    assert logits.shape == padded.shape == (50, max(c.cardinalities), c.n_categorical)
    assert torch.equal(torch.isinf(logits), torch.isinf(padded))
    assert torch.allclose(logits[~torch.isinf(logits)], padded[~torch.isinf(padded)], atol=1e-5)
    assert torch.allclose(mean, out[:, :c.n_numeric], atol=1e-5)


def test_latent_mixture_em_agrees_with_sklearn():
    """The prior's own EM against sklearn's GaussianMixture (full covariances, same k-means start, tolerance and regularisation)."""
    from sklearn.mixture import GaussianMixture

    from core.scenarios.latent_prior import full_mixture

    rng = np.random.default_rng(4)
    centres = rng.normal(0, 4, (4, 3))
    parts = []
    for c, n in zip(centres, [900, 600, 300, 200], strict=True):
        a = rng.normal(0, 0.6, (3, 3))  # correlated within each component
        parts.append(c + rng.normal(0, 1, (n, 3)) @ a)
    x = np.concatenate(parts)
    weights, means, cov = full_mixture(x, 4, seed=0)
    ref = GaussianMixture(4, covariance_type="full", random_state=0, max_iter=100, reg_covar=1e-4).fit(x)
    order, ref_order = np.argsort(means[:, 0]), np.argsort(ref.means_[:, 0])
    assert np.allclose(weights[order], ref.weights_[ref_order], atol=1e-3)
    assert np.allclose(means[order], ref.means_[ref_order], atol=1e-2)
    assert np.allclose(cov[order], ref.covariances_[ref_order], rtol=1e-2, atol=1e-3)
    assert weights.sum() == pytest.approx(1.0)


def test_the_latent_prior_draws_from_each_components_full_covariance():
    """Draws of one component have its covariance (the correlation too); a diagonal prior saved before still loads."""
    import torch

    from core.scenarios.latent_prior import LatentMixture

    cov = np.array([[[1.0, 0.8], [0.8, 1.0]], [[0.25, 0.0], [0.0, 4.0]]])
    mix = LatentMixture(np.array([0.5, 0.5]), np.array([[0.0, 0.0], [10.0, -10.0]]), np.linalg.cholesky(cov))
    g = torch.Generator().manual_seed(0)
    z = mix.draw(torch.rand(40_000, generator=g), torch.randn((40_000, 2), generator=g), 1.0, "cpu").numpy()
    first = z[:, 0] < 5
    assert abs(first.mean() - 0.5) < 0.02
    assert np.allclose(np.cov(z[first].T), cov[0], atol=0.05)
    assert np.allclose(np.cov(z[~first].T), cov[1], atol=0.1)
    assert np.allclose(mix.variances, [[1.0, 1.0], [0.25, 4.0]])
    old = LatentMixture.from_dict({"weights": [1.0], "means": [[0.0, 1.0]], "variances": [[4.0, 9.0]]})
    assert np.allclose(old.chol[0], np.diag([2.0, 3.0]))
    again = LatentMixture.from_dict(mix.to_dict())
    assert np.allclose(again.chol, mix.chol) and np.allclose(again.means, mix.means)
