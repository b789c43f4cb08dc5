import numpy as np

from core.credit.global_shap import FullShapJob, full_shap_job, sample_explanation
from core.credit.params import CreditParams
from core.credit.report import render_report
from core.credit.store import train_or_load
from core.data import Dataset
from core.data.synthetic import generate_portfolio

from .conftest import FAST


def test_sample_explanation_is_stratified_and_exact(model, portfolio):
    y = portfolio.target_vector()
    s = sample_explanation(model, portfolio.frame, y, 1000)
    assert len(s.rows) == 1000 and abs(s.y.mean() - y.mean()) < 0.01
    assert s.explanation.additivity_residual(model.predict_margin(portfolio.frame.iloc[s.rows])) < 1e-4


def test_full_job_runs_in_background_and_caches_on_disk():
    ds = generate_portfolio(3000, seed=2)
    m = train_or_load(ds, CreditParams(**FAST))
    job = full_shap_job(m, ds.frame, ds.fingerprint)
    assert job is full_shap_job(m, ds.frame, ds.fingerprint, start=False)  # one job per (model, data)
    job.wait(120)
    assert job.status == "done" and job.progress == 1.0 and job.path.exists()
    e = job.result()
    assert e.values.shape == (3000, len(m.feature_names))
    assert e.additivity_residual(m.predict_margin(ds.frame)) < 1e-4
    again = FullShapJob(m, ds.frame, job.path)  # a restart finds the cache
    assert again.status == "done" and np.allclose(again.result().values, e.values)


def test_full_job_reports_failure_instead_of_raising(tmp_path, model, portfolio):
    job = FullShapJob(model, portfolio.frame.drop(columns=["credit_score"]), tmp_path / "x.npz").start().wait(30)
    assert job.status == "failed" and "credit_score" in job.error and job.result() is None


def test_html_report_has_every_section_charts_and_no_script(model, portfolio):
    html = render_report(model, portfolio, cutoff=0.15)
    for section in ("1. Data", "2. Method", "3. Performance", "4. Stability", "5. Explanations", "6. Fairness",
                    "7. Limitations"):
        assert section in html
    assert "Logistic regression" in html and "age band" in html and model.fingerprint in html
    assert html.count("<svg") >= 5 and "<script" not in html
    assert "Regulation B" in html  # age kept out, with its reason
    assert "e-0" not in html and "e+0" not in html  # no scientific notation


def test_report_escapes_hostile_names(portfolio):
    hostile = "<script>alert(1)</script>"
    frame = portfolio.frame.rename(columns={"annual_income": hostile})
    roles = {(hostile if c == "annual_income" else c): r for c, r in portfolio.schema.roles.items()}
    tags = {(hostile if c == "annual_income" else c): t for c, t in portfolio.schema.tags.items()}
    schema = portfolio.schema.__class__(roles, {k: v for k, v in portfolio.schema.semantics.items() if v != "annual_income"},
                                        1, tags)
    ds = Dataset.build("<img src=x onerror=alert(1)>", frame, schema, "test")
    from core.credit.training import fit_credit_model

    m = fit_credit_model(ds, CreditParams(**FAST))
    html = render_report(m, ds, cutoff=0.15)
    assert hostile not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html
