"""Customer segmentation, from the schema's tags to the per-customer next-best offer.

Features come from the tags; then clustering, the k consensus, profiles, true and stable names,
links to products and risk, exports. The entry point is
:func:`core.segmentation.service.run_segmentation` (``studio segment``); the page calls the steps one
by one (prepare -> sweep -> segment) so that a change of k never recomputes the sweep. The
next-best offer lives in :mod:`core.segmentation.offers`.
"""
