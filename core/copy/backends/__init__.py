"""Generation backends behind one interface (:class:`core.copy.backends.base.Backend`)."""
