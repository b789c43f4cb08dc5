"""The frame every page shares: page config, theme, sidebar, error boundary.

Each page starts with ``ds = page_setup("Title")``. That works both under the navigation of
``streamlit_app.py`` and when a page file is run on its own (``streamlit run pages/credit.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import streamlit as st

from core.data import Dataset
from core.errors import StudioError
from core.formatting import plain
from core.runtime.threads import configure_threads
from dashboard import auth, loaders, sidebar

ASSETS = Path(__file__).resolve().parent.parent / "assets"
logger = logging.getLogger(__name__)


def _leave_legacy_page_discovery() -> None:
    """Route a first request that Streamlit served through its legacy ``pages/`` discovery.

    Until the first ``st.navigation`` call of a server process, Streamlit runs a URL such as
    ``/segmentation`` straight from ``pages/segmentation.py`` with an automatic navigation of raw
    file names. Switching the flag off and rerunning sends the request through
    ``streamlit_app.py``'s navigation instead, so a direct link shows the app's own menu.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the legacy mechanism
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()


def page_setup(title: str, icon: str = ":material/insights:") -> Dataset:
    """Configure the page, sign the user in, draw the shared sidebar and return the current dataset.

    Stops the page (after a plain message) when nobody is signed in, or when the workspace cannot
    be opened, say because another Studio server holds it.
    """
    _leave_legacy_page_discovery()
    configure_threads()  # once per process; a no-op after the first page
    st.set_page_config(page_title=f"{title} · Retail AIGC Studio", page_icon=icon, layout="wide")
    css = ASSETS / "studio.css"
    if css.exists():
        st.html(f"<style>{css.read_text()}</style>")
    user = auth.current_user()
    try:
        loaders.workspace()
    except StudioError as exc:
        show_error(exc, "The workspace could not be opened")
        st.stop()
    return sidebar.render(user)


def show_error(exc: Exception, what: str = "") -> None:
    """Show an error as sentences the analyst can act on; never a traceback, never markdown from user text."""
    prefix = f"{what}: " if what else ""
    if isinstance(exc, StudioError):
        st.error(plain(prefix + exc.message), icon=":material/error:")
        if exc.hint:
            st.caption(plain(exc.hint))
    else:
        logger.exception("Unexpected error%s", f" while {what}" if what else "")
        st.error(plain(f"{prefix}something went wrong ({type(exc).__name__}). Nothing was saved; the details "
                       "are in the server log."), icon=":material/error:")


@contextmanager
def guarded(what: str) -> Iterator[None]:
    """Run a block; show any error as a message and stop the script cleanly."""
    try:
        yield
    except StudioError as exc:
        show_error(exc, what)
        st.stop()
    except Exception as exc:  # the boundary: nothing below may take the page down
        show_error(exc, what)
        st.stop()
