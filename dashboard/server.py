"""Start the app: ``python -m dashboard.server [streamlit options]``.

Equivalent to ``streamlit run streamlit_app.py`` except that Streamlit's legacy discovery of
``pages/`` is switched off before the first request. Without this, the first request of a server
process for a deep link such as ``/credit`` is served by that legacy mechanism (a "Page not found"
pop-up, or a menu of raw file names) instead of the app's own ``st.navigation``.
"""

from __future__ import annotations

import sys
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "streamlit_app.py"


def main() -> None:
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(APP), *sys.argv[1:]]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
