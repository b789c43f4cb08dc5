"""Credit explanation: a calibrated PD model, exact TreeSHAP, reason codes, what-if, counterfactuals, fairness, monitoring.

Entry points other pages and the CLI use: :func:`core.credit.store.train_or_load` and
:func:`core.credit.store.load_model` (also re-exported by :mod:`core.credit.service`); which model is
current for a dataset is :func:`core.resolver.credit_model`. Module map (one job each):

* ``params`` what defines a fit · ``features`` which columns are features (Regulation B, leakage) ·
  ``leakage`` the leakage scan · ``checks`` input checks · ``split`` train/valid/test · ``encoder`` the
  booster's input · ``booster`` XGBoost and the depth choice · ``calibration`` margin to PD ·
  ``benchmark`` the logistic benchmark · ``training`` the fit · ``metadata`` what a model knows about
  itself · ``model`` the fitted model · ``artifact`` on disk · ``store`` train-or-load through the lifecycle
* ``scores`` a dataset scored once · ``metrics`` AUC and friends (the one AUC) · ``drift`` PSI/CSI ·
  ``monitoring`` stability and champion/challenger · ``crossval`` k-fold validation
* ``explain`` exact SHAP · ``global_shap`` sample and full SHAP · ``reasons`` principal reasons ·
  ``reason_text`` their wording · ``catalogue`` the reason-code catalogue · ``reason_export`` reasons for many ·
  ``whatif`` edits · ``actionability`` what may change · ``counterfactual`` ways to approval ·
  ``trees`` the booster as arrays · ``interactions`` SHAP interaction values · ``pdp`` PDP/ICE ·
  ``lime_local`` LIME and agreement · ``scorecard`` points · ``cohorts`` cohort comparison ·
  ``fairness`` group outcomes · ``report`` / ``report_charts`` the HTML model report
"""
