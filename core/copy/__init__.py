"""Marketing copy: planned, grounded generation, compliance checks claim by claim, four-eyes review, campaigns.

- :mod:`core.copy.catalogue`: product terms, the only source of numbers in copy.
- :mod:`core.copy.rulefile`: the compliance rule file (``assets/copy/rules.json``), parsed and validated.
- :mod:`core.copy.engine`: the rule engine, a pipeline of steps (soften, sanity, block, ground, meaning,
  disclose, budget) with three outcomes: pass, review, block (:mod:`core.copy.verdict`).
- :mod:`core.copy.claims`: copy split into claims (EN and ZH).
- :mod:`core.copy.grounding`: numbers bound to the catalogue fact they are attached to; unsupported features.
- :mod:`core.copy.meaning`: meaning classifiers for paraphrased violations (MiniLM features + softmax).
- :mod:`core.copy.disclose`: required disclosures in the channel's form; :mod:`core.copy.textops`: text helpers.
- :mod:`core.copy.corpus`: the labelled corpus (train / held-out) and its evaluation.
- :mod:`core.copy.sms`: GSM-7 / UCS-2 segment counting.
- :mod:`core.copy.backends`: template, local language model (through the lifecycle), OpenAI-compatible endpoint.
- :mod:`core.copy.prompts`: segment brief cleaning (no personal data) and few-shot prompts.
- :mod:`core.copy.plan`: plan, then write: the grounded claims and trait each candidate carries.
- :mod:`core.copy.usability`: rejects first-person, off-product, incoherent and trait-blind candidates.
- :mod:`core.copy.postprocess`, :mod:`core.copy.ranking`: clean-up, ranking, near-duplicates, diversity.
- :mod:`core.copy.generate`: the orchestrator; :mod:`core.copy.batch`: the batch, its variants and events.
- :mod:`core.copy.review`: edits, four-eyes approvals, sign-off, bulk actions.
- :mod:`core.copy.export` and :mod:`core.copy.audit.service`: exports and the workspace audit trail.
- :mod:`core.copy.campaign`: campaign results (Wilson, Holm), the simulator, winners fed back.
- :mod:`core.copy.check`: checking copy written elsewhere (the page's tool and ``studio copy check``).
"""
