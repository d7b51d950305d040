"""Staff roles: who may do what inside one shop.

The shared contract other surfaces build on (the console, dashboard, settings, program
editor, connect pages, KPIs, the shop API):

- `Role` is stored on `StaffUser.role` (one shop per staff account; `shop_id` None means
  the operator's staff, who hold their role in every shop).
- Roles are ordered: OWNER ⊇ MANAGER ⊇ SUPPORT. `allows(have, need)` is the only check.
  * owner   — everything, including billing-like settings and deleting the shop;
  * manager — program, settings, API keys and webhook secrets, outbound webhooks, exports;
  * support — the console and read-only KPIs.
- API keys carry a role too (`ShopCredential.role`; keys made before roles existed act as
  MANAGER). A key can never be OWNER: deleting a shop is a signed-in owner's act.
- Web views declare their policy with `fulfillment.web.auth.require_role(Role.X)` or
  `public(reason)`; API routes with `api(..., role=Role.X)`. A route without one fails
  tests/test_role_matrix.py.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    SUPPORT = "support"


_RANK = {Role.SUPPORT: 1, Role.MANAGER: 2, Role.OWNER: 3}
API_KEY_ROLES = (Role.MANAGER, Role.SUPPORT)


def allows(have: Role | str | None, need: Role) -> bool:
    """True when a holder of `have` may do what needs `need` (unknown or None: never)."""
    try:
        return _RANK[Role(have)] >= _RANK[need] if have is not None else False
    except ValueError:
        return False


def parse_role(value: object) -> Role | None:
    """A role from a form or a database value; None for anything else."""
    try:
        return Role(str(value))
    except ValueError:
        return None
