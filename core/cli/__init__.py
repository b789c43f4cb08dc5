"""The headless ``studio`` command: the same core calls as the pages, JSON out (see :mod:`core.cli.main`)."""
