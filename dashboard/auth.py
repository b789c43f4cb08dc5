"""Sign-in glue: who is using this session, as a :class:`core.auth.User`.

With an identity provider configured (an ``[auth]`` section in Streamlit's secrets, written by
``dashboard.server`` from ``STUDIO_OIDC_*`` or kept by the operator in ``.streamlit/secrets.toml``)
every page asks for sign-in through Streamlit's native ``st.login`` (OIDC) and reads the roles with
:func:`core.identity.user_from_claims`. Without one the studio is single-user local mode: the
local user holds every role, the sidebar shows a badge saying so, and a browser that reaches the
server from another machine is turned away (the server binds to 127.0.0.1; this is the second
lock for a ``streamlit run`` started by hand).
"""

from __future__ import annotations

import ipaddress

import streamlit as st

from core.auth import LOCAL_USER, Role, User
from core.errors import StudioError
from core.formatting import plain
from core.identity import user_from_claims
from dashboard.server import auth_is_configured


def auth_section() -> dict:
    """Streamlit's ``[auth]`` secrets section, or ``{}`` (read through ``st.secrets`` so AppTest can set it)."""
    secrets = st.secrets
    try:
        if not secrets.load_if_toml_exists():
            return {}
        section = secrets.get("auth")
    except Exception:  # an unreadable secrets file is no provider; Streamlit logs the parse error
        return {}
    if section is None:
        return {}
    return section.to_dict() if hasattr(section, "to_dict") else dict(section)


def sign_in_enabled() -> bool:
    """True when an identity provider is configured."""
    return auth_is_configured(auth_section())


def _remote_is_local() -> bool:
    ip = st.context.ip_address  # None for loopback connections; not a string under AppTest's mock
    if not isinstance(ip, str) or not ip:
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def _sign_in_page() -> None:
    st.title("Retail AIGC Studio")
    st.info("Sign in with your organisation's account to open the studio.", icon=":material/lock:")
    if st.button("Sign in", key="auth_sign_in", type="primary", icon=":material/login:"):
        st.login()
    st.stop()


def current_user() -> User:
    """The signed-in user of this session (the local user in single-user local mode); stops the page otherwise."""
    if not sign_in_enabled():
        if not _remote_is_local():
            st.error("This studio runs in single-user local mode (no sign-in is configured), so it serves only "
                     "the machine it runs on.", icon=":material/lock:")
            st.caption("Ask the administrator to configure sign-in (see 'Deploying for a team' in the README).")
            st.stop()
        return LOCAL_USER
    if not st.user.is_logged_in:
        _sign_in_page()
    try:
        user = user_from_claims(st.user.to_dict())
    except StudioError as exc:
        st.error(plain(exc.message), icon=":material/error:")
        st.caption(plain(exc.hint))
        st.stop()
    if not user.roles:
        st.error(f"You are signed in as {plain(user.label)}, but you hold no role in the studio.",
                 icon=":material/block:")
        st.caption("Ask an administrator for the analyst, reviewer or admin role.")
        if st.button("Sign out", key="auth_sign_out_norole"):
            st.logout()
        st.stop()
    return user


def user_panel(user: User) -> None:
    """The sidebar's who-am-I: the local-mode badge, or the signed-in user, roles and a sign-out button."""
    if user.local:
        st.markdown(":orange-badge[:material/person: Single-user local mode]")
        st.caption("No sign-in configured: served on this machine only, as the local user with every role.")
        return
    roles = ", ".join(r.value for r in Role if r in user.roles)
    st.markdown(f":blue-badge[:material/verified_user: {plain(user.name)}]")
    st.caption(f"{plain(user.email or user.id)} · {roles}")
    if st.button("Sign out", key="auth_sign_out", icon=":material/logout:"):
        st.logout()
