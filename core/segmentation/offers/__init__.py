"""Per-customer next-best offer: propensity per product, suitability and risk filters, ranking, target lists.

:func:`core.segmentation.offers.nbo.next_best_offers` is the entry point the page and the CLI call.
"""
