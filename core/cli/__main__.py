"""``python -m core.cli``: the same as the ``studio`` console script."""

import sys

from core.cli.main import main

sys.exit(main())
