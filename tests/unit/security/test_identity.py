"""Roles from the identity provider's claims or from the roles file."""

from __future__ import annotations

import json
import os

import pytest

from core.auth import Role
from core.identity import AuthConfigError, load_roles_file, role_names, roles_for, user_from_claims
from core.settings import get_settings


@pytest.fixture
def settings(monkeypatch):
    def make(**env):
        for k, v in env.items():
            monkeypatch.setenv(f"STUDIO_{k.upper()}", v)
        get_settings.cache_clear()
        return get_settings()
    return make


def test_role_names_accept_lists_strings_prefixes_and_aliases():
    assert role_names(["analyst", "Studio-Reviewer", "studio.admin", "marketing"]) == set(Role)
    assert role_names("analyst, compliance_reviewer") == {Role.ANALYST, Role.REVIEWER}
    assert role_names(None) == frozenset() and role_names(42) == frozenset()


def test_roles_from_the_default_claim_and_a_nested_claim(settings):
    s = settings()
    assert roles_for({"email": "a@b.example", "roles": ["reviewer"]}, s) == {Role.REVIEWER}
    keycloak = settings(auth_roles_claim="realm_access.roles")
    assert roles_for({"email": "a@b.example", "realm_access": {"roles": ["admin", "offline"]}}, keycloak) == {Role.ADMIN}
    okta = settings(auth_roles_claim="groups")
    assert roles_for({"email": "a@b.example", "groups": ["Everyone", "studio-analyst"]}, okta) == {Role.ANALYST}


def test_default_roles_when_nothing_names_the_user(settings):
    assert roles_for({"email": "x@b.example"}, settings()) == {Role.ANALYST}
    assert roles_for({"email": "x@b.example"}, settings(auth_default_roles="")) == frozenset()


@pytest.mark.parametrize("suffix", [".yaml", ".json", ".toml"])
def test_the_roles_file_wins_over_the_claim(tmp_path, settings, suffix):
    path = tmp_path / f"roles{suffix}"
    users = {"ana@bank.example": ["analyst"], "rui@bank.example": "analyst, reviewer"}
    if suffix == ".yaml":
        path.write_text("users:\n  ana@bank.example: [analyst]\n  Rui@Bank.example: analyst, reviewer\n")
    elif suffix == ".json":
        path.write_text(json.dumps(users))
    else:
        path.write_text('[users]\n"ana@bank.example" = ["analyst"]\n"rui@bank.example" = "analyst, reviewer"\n')
    s = settings(auth_roles_file=str(path))
    assert roles_for({"email": "ana@bank.example", "roles": ["admin"]}, s) == {Role.ANALYST}
    assert roles_for({"email": "RUI@bank.example"}, s) == {Role.ANALYST, Role.REVIEWER}
    assert roles_for({"email": "other@bank.example", "roles": ["admin"]}, s) == {Role.ADMIN}  # not listed: claim


def test_the_roles_file_is_reread_when_it_changes(tmp_path):
    path = tmp_path / "roles.json"
    path.write_text(json.dumps({"a@b.example": ["analyst"]}))
    assert load_roles_file(path)["a@b.example"] == {Role.ANALYST}
    path.write_text(json.dumps({"a@b.example": ["admin"]}))
    os.utime(path, (1, 2_000_000_000))
    assert load_roles_file(path)["a@b.example"] == {Role.ADMIN}


def test_bad_roles_files_say_what_is_wrong(tmp_path):
    with pytest.raises(AuthConfigError, match="cannot be read"):
        load_roles_file(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(AuthConfigError, match="not valid JSON"):
        load_roles_file(bad)
    listy = tmp_path / "list.yaml"
    listy.write_text("- a\n- b\n")
    with pytest.raises(AuthConfigError, match="not a mapping"):
        load_roles_file(listy)


def test_user_from_claims(settings):
    user = user_from_claims({"sub": "0001", "email": "Ana@Bank.example", "name": "Ana", "roles": "reviewer"}, settings())
    assert user.id == "ana@bank.example" and user.name == "Ana" and not user.local
    assert user.can(Role.REVIEWER) and not user.can(Role.ADMIN)
    assert user_from_claims({"sub": "0002"}, settings()).id == "sub:0002"
    with pytest.raises(AuthConfigError):
        user_from_claims({}, settings())
