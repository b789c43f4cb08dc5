"""Marketing copy: grounded generation, compliance guardrails, review, export and audit.

- :mod:`core.copy.catalogue`: product terms, the only source of numbers in copy.
- :mod:`core.copy.rules`: the rule engine over ``assets/copy/rules.json``.
- :mod:`core.copy.sms`: GSM-7 / UCS-2 segment counting.
- :mod:`core.copy.backends`: template, local language model, OpenAI-compatible endpoint.
- :mod:`core.copy.prompts`: segment brief cleaning and few-shot prompts.
- :mod:`core.copy.generate`: over-generate, check, dedupe, rank; edits and approvals.
- :mod:`core.copy.export` and :mod:`core.copy.audit.service`: exports and the workspace audit trail.
"""
