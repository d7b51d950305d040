"""Every route × every role: enumerate app.url_map and check each route's declared policy
is what it enforces — staff pages for owner / manager / support / signed out, API routes
for manager and support keys and no key, public routes the same for everyone — and that
no route exists without a declared policy (a new route must say who may open it)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from core import credentials
from core.accounts import Role, allows
from core.models import OutboundWebhook, Shop, ShopCredential, StaffUser
from core.passwords import hash_password
from fulfillment.web.auth import policy_of
from tests.support.staff import sign_in_cookie

# What the issue says each role may do, for the pages that exist: the declarations must
# keep saying so (a page moved to a weaker role fails here, not only in review).
DECLARED = {
    "console.index": Role.SUPPORT, "console.say": Role.SUPPORT,
    "dashboard.index": Role.SUPPORT, "dashboard.kpis_csv": Role.MANAGER,
    "dashboard.export": Role.MANAGER,
    "settings.general": Role.MANAGER, "settings.keys": Role.MANAGER,
    "settings.create_api_key": Role.MANAGER, "settings.webhooks": Role.MANAGER,
    "settings.save_webhook": Role.MANAGER, "settings.team": Role.OWNER,
    "settings.invite": Role.OWNER, "settings.delete_shop": Role.OWNER,
    "backoffice.review_queue": Role.SUPPORT, "backoffice.decide": Role.MANAGER,
    "backoffice.referrals": Role.SUPPORT, "backoffice.referrals_csv": Role.MANAGER,
    "backoffice.customer": Role.SUPPORT, "backoffice.erase": Role.MANAGER,
}
ROLES = (Role.SUPPORT, Role.MANAGER, Role.OWNER)  # weakest first: nothing is lost early
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@pytest.fixture
def world(services, demo) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The demo shop with one staff member per role, a second shop, a spare key, a
    delivery, and a member the owner's requests may act on."""
    ids: dict[str, Any] = {}
    with services.db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.slug == "demo"))
        session.add(Shop(slug="other", name="Other", landing_url="https://other.example/"))
        for role in (*ROLES, "victim"):
            row = StaffUser(shop_id=shop.id, email=f"{role}@demo.example",
                            password_hash=hash_password("x" * 12),
                            role=role if role != "victim" else Role.SUPPORT.value,
                            email_verified_at=services.clock())
            session.add(row)
            session.flush()
            ids[role] = row.id
        spare = credentials.add_api_key(session, shop, label="spare")
        session.flush()
        ids["key_id"] = session.scalar(select(ShopCredential.id).where(
            ShopCredential.prefix == spare[:8]))
        hook = OutboundWebhook(shop_id=shop.id, event_type="reward.approved",
                               idempotency_key="matrix", payload={"type": "reward.approved"},
                               next_attempt_at=services.clock())
        session.add(hook)
        session.flush()
        ids["delivery_id"] = hook.id
    ids["code"] = demo["code"]
    return ids


def _samples(world: dict[str, Any], slug: str) -> dict[str, str]:
    return {"slug": slug, "shop": slug, "code": world["code"], "token": "not-a-token",
            "platform": "alexa", "fmt": "png", "external_id": "alex", "referral_id": "1",
            "filename": "site.css", "key_id": str(world["key_id"]),
            "staff_id": str(world["victim"]), "delivery_id": str(world["delivery_id"]),
            "delivery": "1", "assistant": "alexa"}


def _url(rule: Any, samples: dict[str, str]) -> str:
    missing = [arg for arg in rule.arguments if arg not in samples]
    assert not missing, f"{rule.rule}: add sample values for {missing} to this test"
    path = rule.rule
    for arg in rule.arguments:
        path = re.sub(rf"<(?:[^:<>]+:)?{arg}>", samples[arg], path)
    return f"{path}?shop={samples['slug']}"  # the console's API names its shop in the query


def _routes(app) -> list[tuple[str, str, Any]]:  # type: ignore[no-untyped-def]
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & set(METHODS)):
            found.append((rule.endpoint, method, rule))
    return sorted(found, key=lambda r: (r[2].rule, r[1]))


def _static(endpoint: str) -> bool:
    return endpoint == "static" or endpoint.endswith(".static")


# Routes that read their shop from a JSON body rather than the path or query.
JSON_BODIES = {"console.say": lambda slug: {"shop": slug, "text": "help"}}


def _as(client, services, staff_id: int | None, method: str,  # type: ignore[no-untyped-def]
        path: str, endpoint: str = ""):
    with client.session_transaction() as session:
        if staff_id is None:
            session.clear()
            session["csrf"] = "matrix-token"
        else:
            sign_in_cookie(session, services, staff_id, "matrix-token")
    body: dict[str, Any] = {"data": {"csrf_token": "matrix-token"}}
    if endpoint in JSON_BODIES:
        body = {"json": JSON_BODIES[endpoint](path.split("?shop=")[-1])}
    return client.open(path, method=method, headers={"X-CSRF-Token": "matrix-token"},
                       **body)


def _signed_out_answer(response) -> bool:  # type: ignore[no-untyped-def]
    if response.status_code == 401:
        return True
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")


def test_every_route_declares_who_may_open_it(app) -> None:
    undeclared = [f"{method} {rule.rule} ({endpoint})" for endpoint, method, rule in
                  _routes(app) if not _static(endpoint)
                  and policy_of(app.view_functions[endpoint]) is None]
    assert undeclared == [], ("routes without an access policy (use require_role / public "
                              f"/ api(role=...)): {undeclared}")


def test_the_pages_keep_the_roles_the_issue_gives_them(app) -> None:
    for endpoint, role in DECLARED.items():
        policy = policy_of(app.view_functions[endpoint])
        assert policy is not None and policy.kind == "role" and policy.role is role, endpoint


def _fresh_keys(services) -> dict[Role, str]:  # type: ignore[no-untyped-def]
    """New keys per route: POST /keys/rotate revokes every key the shop had."""
    with services.db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.slug == "demo"))
        return {role: credentials.add_api_key(session, shop, role=role)
                for role in (Role.SUPPORT, Role.MANAGER)}


def test_each_role_gets_exactly_what_its_policy_allows_on_every_route(app, world,
                                                                     services) -> None:
    client = app.test_client()
    checked = 0
    for endpoint, method, rule in _routes(app):
        policy = policy_of(app.view_functions[endpoint])
        if _static(endpoint) or policy is None:
            continue
        path = _url(rule, _samples(world, "demo"))
        where = f"{method} {path}"
        if policy.kind == "role":
            out = _as(client, services, None, method, path, endpoint)
            assert _signed_out_answer(out), f"{where} signed out: {out.status_code}"
            for role in ROLES:
                got = _as(client, services, world[role.value], method, path, endpoint)
                assert got.status_code < 500, f"{where} as {role}: {got.status_code}"
                if allows(role, policy.role):  # type: ignore[arg-type]
                    assert got.status_code != 403 and not _signed_out_answer(got), (
                        f"{where} as {role}: {got.status_code}")
                else:
                    assert got.status_code == 403, f"{where} as {role}: {got.status_code}"
            if "slug" in rule.arguments:  # another shop's page: nobody here may open it
                other = _url(rule, _samples(world, "other"))
                for role in ROLES:
                    got = _as(client, services, world[role.value], method, other, endpoint)
                    assert got.status_code == 403, f"{method} {other} as {role}"
        elif policy.kind == "api_key":
            assert _as(client, services, None, method, path).status_code == 401, where
            staff_cookie = _as(client, services, world["owner"], method, path)
            assert staff_cookie.status_code == 401, f"{where}: a staff cookie is no API key"
            for role, key in _fresh_keys(services).items():
                got = client.open(path, method=method, json={},
                                  headers={"Authorization": f"Bearer {key}"})
                assert got.status_code < 500, f"{where} with a {role} key: {got.status_code}"
                if allows(role, policy.role):  # type: ignore[arg-type]
                    assert got.status_code not in (401, 403), f"{where} {role} key"
                else:
                    assert got.status_code == 403, f"{where} {role} key: {got.status_code}"
                    assert got.get_json()["error"]["code"] == "key_role"
        else:
            assert policy.kind == "public" and policy.reason, where
            out = _as(client, services, None, method, path)
            signed_in = _as(client, services, world["support"], method, path)
            assert out.status_code < 500, f"{where}: {out.status_code}"
            assert signed_in.status_code != 403, f"{where}: public, yet 403 when signed in"
        checked += 1
    assert checked > 50  # the whole map, not a corner of it
