"""Risk scenarios: a conditional tabular VAE, stress transmission, a loss engine and reports.

Entry points: :mod:`core.scenarios.service` (``train_or_load_vae``, ``ScenarioEngine``,
``save_run``/``reproduce_run``), :class:`core.scenarios.generator.TabularVAE`,
:mod:`core.scenarios.loss`, :mod:`core.scenarios.fidelity`, :mod:`core.scenarios.early_warning`,
:mod:`core.scenarios.report`. Importing this package loads no torch until a submodule needs it.
"""
