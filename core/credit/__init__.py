"""Credit explanation: a calibrated PD model, exact TreeSHAP, reason codes, what-if, counterfactuals, fairness.

The entry points other pages use are :func:`core.credit.service.train_or_load` and
:func:`core.credit.service.latest_model`; both return a :class:`core.credit.service.CreditModel`.
"""
