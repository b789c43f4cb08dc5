import pytest

from core.auth import LOCAL_USER, PermissionDenied, Role, User, check_four_eyes, parse_roles, require
from core.progress import Cancelled, CancelToken, scaled


def test_scaled_progress_maps_into_the_parent_range():
    seen = []
    sub = scaled(lambda f, m: seen.append((round(f, 3), m)), 0.2, 0.6)
    sub(0.0, "a")
    sub(0.5, "b")
    sub(2.0, "c")
    assert seen == [(0.2, "a"), (0.4, "b"), (0.6, "c")]


def test_cancel_token():
    token = CancelToken()
    token.check()
    token.cancel()
    assert token.cancelled
    with pytest.raises(Cancelled):
        token.check()


def test_roles_and_four_eyes():
    author = User("ana@bank", "Ana", "ana@bank", frozenset({Role.ANALYST, Role.REVIEWER}))
    other = User("bo@bank", "Bo", "bo@bank", frozenset({Role.REVIEWER}))
    analyst = User("cy@bank", "Cy", "cy@bank", frozenset({Role.ANALYST}))
    check_four_eyes(["ana@bank"], other)
    with pytest.raises(PermissionDenied):
        check_four_eyes(["ana@bank"], author)
    with pytest.raises(PermissionDenied):
        check_four_eyes(["ana@bank"], analyst)
    with pytest.raises(PermissionDenied):
        require(analyst, Role.ADMIN, "delete datasets")
    require(LOCAL_USER, Role.ADMIN, "delete datasets")
    with pytest.raises(PermissionDenied):
        check_four_eyes([LOCAL_USER.id], LOCAL_USER)


def test_parse_roles():
    assert parse_roles("reviewer, admin") == {Role.REVIEWER, Role.ADMIN}
    assert parse_roles(["Analyst", "nobody"]) == {Role.ANALYST}
    assert parse_roles(None) == {Role.ANALYST}
