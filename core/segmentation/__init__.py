"""Customer segmentation: preprocessing, clustering, the k sweep, profiles, names, links, reports.

The entry point is :func:`core.segmentation.service.run_segmentation`; the page calls the steps
one by one (prepare → sweep → segment) so that a change of k never recomputes the sweep.
"""
