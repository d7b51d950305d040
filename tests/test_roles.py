"""Roles are ordered owner ⊇ manager ⊇ support; anything else allows nothing."""

from core.accounts import Role, allows, parse_role


def test_each_role_allows_itself_and_the_roles_below_it() -> None:
    assert allows(Role.OWNER, Role.MANAGER) and allows(Role.OWNER, Role.SUPPORT)
    assert allows(Role.MANAGER, Role.SUPPORT) and allows(Role.MANAGER, Role.MANAGER)
    assert not allows(Role.MANAGER, Role.OWNER)
    assert not allows(Role.SUPPORT, Role.MANAGER)


def test_an_unknown_or_missing_role_allows_nothing() -> None:
    assert not allows(None, Role.SUPPORT)
    assert not allows("admin", Role.SUPPORT)
    assert parse_role("admin") is None and parse_role("owner") is Role.OWNER
