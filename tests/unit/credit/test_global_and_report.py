import numpy as np

from core.credit.global_shap import FullShapJob, full_shap_job, sample_explanation
from core.credit.model import CreditParams
from core.credit.report import render_report
from core.credit.service import train_or_load
from core.data.synthetic import generate_portfolio

from .conftest import FAST


def test_sample_explanation_is_stratified_and_exact(model, portfolio):
    y = portfolio.target_vector()
    s = sample_explanation(model, portfolio.frame, y, 1000)
    assert len(s.rows) == 1000 and abs(s.y.mean() - y.mean()) < 0.01
    assert s.explanation.additivity_residual(model.predict_margin(portfolio.frame.iloc[s.rows])) < 1e-4


def test_full_job_runs_in_background_and_caches_on_disk(isolated_workspace):
    ds = generate_portfolio(3000, seed=2)
    m = train_or_load(ds, CreditParams(**FAST))
    job = full_shap_job(m, ds.frame, ds.fingerprint)
    assert job is full_shap_job(m, ds.frame, ds.fingerprint, start=False)  # one job per (model, data)
    job.wait(60)
    assert job.status == "done" and job.progress == 1.0 and job.path.exists()
    e = job.result()
    assert e.values.shape == (3000, len(m.feature_names))
    assert e.additivity_residual(m.predict_margin(ds.frame)) < 1e-4
    again = FullShapJob(m, ds.frame, job.path)  # a restart finds the cache
    assert again.status == "done" and np.allclose(again.result().values, e.values)


def test_full_job_reports_failure_instead_of_raising(tmp_path, model, portfolio):
    job = FullShapJob(model, portfolio.frame.drop(columns=["credit_score"]), tmp_path / "x.npz").start().wait(30)
    assert job.status == "failed" and "credit_score" in job.error and job.result() is None


def test_html_report_has_every_section(model, portfolio):
    html = render_report(model, portfolio, cutoff=0.15)
    for section in ("1. Data", "2. Method", "3. Performance", "4. Explanations", "5. Fairness", "6. Limitations"):
        assert section in html
    assert "Logistic regression" in html and "age band" in html and model.fingerprint in html
    assert "<script" not in html  # self-contained, readable without the app
