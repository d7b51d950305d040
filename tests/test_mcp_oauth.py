"""The MCP server's OAuth 2.1 side against a served instance, over plain HTTP as any client
sends it: each forged or stale credential is refused with the status the specifications
give (RFC 6750 401 invalid_token with WWW-Authenticate for the resource; RFC 6749 400
invalid_grant at the token endpoint; no redirect to an unregistered redirect URI), and
nothing is written by a refused call.

Sources: MCP specification 2025-11-25 "Authorization" (401 + resource_metadata, PKCE S256,
RFC 8707 resource), RFC 6749 4.1.2/5.2, RFC 6750 3.1, RFC 7636 4.6, RFC 7591 3, RFC 7009 2,
Amazon's Alexa+ MCP authentication page (client_credentials in grant_types_supported)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from sqlalchemy import func, select

from core import demo as demo_seed
from core import oauth_grants
from core.models import Message, OAuthToken, Share, Shop
from tests.support.mcp_host import REDIRECT, Customer, Served, served

INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                   "clientInfo": {"name": "test", "version": "1"}}}
HEADERS = {"Accept": "application/json, text/event-stream",
           "Content-Type": "application/json"}


@dataclass
class World:
    instance: Served
    seeded: dict[str, Any]
    clock: Any

    @property
    def base(self) -> str:
        return self.instance.base

    @property
    def mcp_url(self) -> str:
        return f"{self.base}/mcp/{self.seeded['shop']}"

    def counts(self) -> tuple[int, int, int]:
        with self.instance.services.db.session() as uow:
            return (uow.scalar(select(func.count(Message.id))) or 0,
                    uow.scalar(select(func.count(Share.id))) or 0,
                    uow.scalar(select(func.count(OAuthToken.id))) or 0)


@pytest.fixture
def world(database, clock) -> Iterator[World]:  # type: ignore[no-untyped-def]
    with served(database, clock) as instance:
        yield World(instance, demo_seed.seed(instance.services), clock)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def register(world: World, redirect: str = REDIRECT) -> str:
    answer = requests.post(f"{world.base}/oauth/register", json={
        "client_name": "Claude", "redirect_uris": [redirect],
        "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
        "token_endpoint_auth_method": "none"}, timeout=10)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert "client_secret" not in body  # a public client gets none
    return str(body["client_id"])


def authorize_url(world: World, client_id: str, challenge: str, **extra: str) -> str:
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT,
             "state": "s1", "code_challenge": challenge, "code_challenge_method": "S256",
             "resource": world.mcp_url, "scope": "referrals", **extra}
    return f"{world.base}/oauth/authorize?{urlencode(query)}"


def code_for(world: World, client_id: str, challenge: str) -> str:
    customer = Customer(world.instance.services, world.seeded["customer"]["email"])
    return customer.sign_in(authorize_url(world, client_id, challenge)).code


def exchange(world: World, client_id: str, code: str, verifier: str) -> requests.Response:
    return requests.post(f"{world.base}/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "client_id": client_id, "code_verifier": verifier}, timeout=10)


def signed_in(world: World) -> tuple[str, dict[str, Any]]:
    client_id = register(world)
    verifier, challenge = pkce()
    answer = exchange(world, client_id, code_for(world, client_id, challenge), verifier)
    assert answer.status_code == 200, answer.text
    return client_id, answer.json()


def call(world: World, token: str | None, url: str | None = None,
         body: dict[str, Any] | None = None) -> requests.Response:
    headers = dict(HEADERS)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.post(url or world.mcp_url, json=body or INIT, headers=headers, timeout=10)


def share_call(call_id: int = 7) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": call_id, "method": "tools/call",
            "params": {"name": "share_referral_program", "arguments": {}}}


def assert_refused_401(answer: requests.Response, world: World, *, invalid: bool) -> None:
    assert answer.status_code == 401, answer.text
    challenge = answer.headers["WWW-Authenticate"]
    metadata = f"{world.base}/.well-known/oauth-protected-resource/mcp/{world.seeded['shop']}"
    assert challenge.startswith("Bearer ") and f'resource_metadata="{metadata}"' in challenge
    assert ('error="invalid_token"' in challenge) is invalid


# --- discovery ------------------------------------------------------------------------


def test_discovery_documents_name_the_shop_resource_and_the_grants(world: World) -> None:
    resource = requests.get(f"{world.base}/.well-known/oauth-protected-resource/mcp/"
                            f"{world.seeded['shop']}", timeout=10).json()
    assert resource["resource"] == world.mcp_url
    assert resource["authorization_servers"] == [world.base]
    server = requests.get(f"{world.base}/.well-known/oauth-authorization-server",
                          timeout=10).json()
    assert server["issuer"] == world.base
    assert server["code_challenge_methods_supported"] == ["S256"]
    assert server["response_types_supported"] == ["code"]
    assert {"authorization_code", "refresh_token", "client_credentials"} == set(
        server["grant_types_supported"])  # Alexa+ asks for client_credentials here
    assert server["registration_endpoint"] == f"{world.base}/oauth/register"
    unknown = requests.get(f"{world.base}/.well-known/oauth-protected-resource/mcp/nope",
                           timeout=10)
    assert unknown.status_code == 404


# --- the resource refuses ----------------------------------------------------------------


def test_a_call_without_a_token_is_refused_with_the_metadata_pointer(world: World) -> None:
    before = world.counts()
    assert_refused_401(call(world, None), world, invalid=False)
    assert_refused_401(call(world, None, body=share_call()), world, invalid=False)
    assert world.counts() == before


def test_an_expired_token_is_refused(world: World) -> None:
    _, tokens = signed_in(world)
    assert call(world, tokens["access_token"]).status_code == 200
    world.clock.advance(seconds=oauth_grants.ACCESS_TTL.total_seconds() + 1)
    before = world.counts()
    answer = call(world, tokens["access_token"], body=share_call())
    assert_refused_401(answer, world, invalid=True)
    assert "expired" in answer.json()["error_description"]
    assert world.counts() == before


def test_a_token_of_another_shop_is_refused(world: World) -> None:
    with world.instance.services.db.session() as uow:
        uow.add(Shop(slug="other", name="Other Shop", landing_url=""))
    _, tokens = signed_in(world)
    before = world.counts()
    answer = call(world, tokens["access_token"], url=f"{world.base}/mcp/other",
                  body=share_call())
    assert answer.status_code == 401
    assert "another shop" in answer.json()["error_description"]
    assert 'resource_metadata="' + world.base + \
        '/.well-known/oauth-protected-resource/mcp/other"' in answer.headers["WWW-Authenticate"]
    assert world.counts() == before


def test_a_tampered_token_is_refused(world: World) -> None:
    _, tokens = signed_in(world)
    token = tokens["access_token"]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    before = world.counts()
    assert_refused_401(call(world, tampered, body=share_call()), world, invalid=True)
    assert world.counts() == before


def test_a_revoked_token_is_refused(world: World) -> None:
    client_id, tokens = signed_in(world)
    revoked = requests.post(f"{world.base}/oauth/revoke", data={
        "token": tokens["access_token"], "client_id": client_id}, timeout=10)
    assert revoked.status_code == 200
    assert_refused_401(call(world, tokens["access_token"]), world, invalid=True)


# --- the authorization server refuses ---------------------------------------------------


def test_a_wrong_pkce_verifier_gets_no_token(world: World) -> None:
    client_id = register(world)
    _, challenge = pkce()
    code = code_for(world, client_id, challenge)
    before = world.counts()
    answer = exchange(world, client_id, code, secrets.token_urlsafe(48))
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
    assert world.counts() == before


def test_a_reused_code_gets_nothing_and_revokes_the_first_tokens(world: World) -> None:
    client_id = register(world)
    verifier, challenge = pkce()
    code = code_for(world, client_id, challenge)
    first = exchange(world, client_id, code, verifier)
    assert first.status_code == 200
    before = world.counts()
    again = exchange(world, client_id, code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert world.counts() == before  # no new token
    assert_refused_401(call(world, first.json()["access_token"]), world, invalid=True)


def test_an_unregistered_redirect_uri_is_refused_without_a_redirect(world: World) -> None:
    client_id = register(world)
    _, challenge = pkce()
    url = authorize_url(world, client_id, challenge, redirect_uri="https://evil.test/cb")
    answer = requests.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code == 400 and "Location" not in answer.headers
    assert "redirect" in answer.text.lower()


def test_plain_or_missing_pkce_is_refused(world: World) -> None:
    client_id = register(world)
    verifier, _ = pkce()
    plain = authorize_url(world, client_id, verifier, code_challenge_method="plain")
    assert requests.get(plain, allow_redirects=False, timeout=10).status_code == 400
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT,
             "state": "s", "resource": world.mcp_url}
    missing = f"{world.base}/oauth/authorize?{urlencode(query)}"
    assert requests.get(missing, allow_redirects=False, timeout=10).status_code == 400


def test_a_wrong_one_time_code_issues_no_authorization_code(world: World) -> None:
    client_id = register(world)
    _, challenge = pkce()
    url = authorize_url(world, client_id, challenge)
    browser = requests.Session()
    page = browser.get(url, timeout=10).text
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    browser.post(url, data={"csrf_token": csrf, "step": "contact",
                            "contact": world.seeded["customer"]["email"]}, timeout=10)
    wrong = browser.post(url, data={"csrf_token": csrf, "step": "code", "code": "000000"},
                         allow_redirects=False, timeout=10)
    if wrong.status_code == 302:  # the one in a million: the code was 000000
        pytest.skip("drew the code under test")
    assert wrong.status_code == 400 and "Location" not in wrong.headers


def test_refresh_rotates_and_the_old_refresh_token_is_refused(world: World) -> None:
    client_id, tokens = signed_in(world)
    data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
            "client_id": client_id}
    fresh = requests.post(f"{world.base}/oauth/token", data=data, timeout=10)
    assert fresh.status_code == 200, fresh.text
    assert call(world, fresh.json()["access_token"]).status_code == 200
    replay = requests.post(f"{world.base}/oauth/token", data=data, timeout=10)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"


# --- Alexa+: a pre-registered client with client credentials ------------------------------


def test_a_service_token_lists_tools_but_a_tool_needs_the_customer(world: World) -> None:
    with world.instance.services.db.session() as uow:
        shop = uow.scalar(select(Shop).where(Shop.slug == world.seeded["shop"]))
        client, secret = oauth_grants.register_client(
            uow, name="Alexa+", host="alexa-plus", shop_id=shop.id,
            redirect_uris=["https://pitangui.amazon.com/api/skill/link/M2AAAAAAAAAAAA"],
            grant_types=["authorization_code", "refresh_token", "client_credentials"],
            auth_method="client_secret_basic")
        client_id = client.client_id
    answer = requests.post(f"{world.base}/oauth/token", data={
        "grant_type": "client_credentials"}, auth=(client_id, secret or ""), timeout=10)
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    assert "refresh_token" not in answer.json()
    # Amazon's lifecycle page: Alexa+ initializes with protocolVersion 2025-03-26
    alexa_init = {"jsonrpc": "2.0", "method": "initialize", "id": "4e3bdaee-0",
                  "params": {"protocolVersion": "2025-03-26",
                             "capabilities": {"roots": {"listChanged": True}},
                             "clientInfo": {"name": "Alexa+ MCP Client", "version": "1.0.0"}}}
    init = call(world, token, body=alexa_init)
    assert init.status_code == 200 and init.json()["result"]["protocolVersion"] == "2025-03-26"
    listed = call(world, token, body={"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    assert len(listed.json()["result"]["tools"]) == 7
    before = world.counts()
    shared = call(world, token, body=share_call()).json()["result"]
    assert shared["isError"] is True and "Sign in" in shared["content"][0]["text"]
    assert world.counts() == before
    explain = {"jsonrpc": "2.0", "id": 8, "method": "tools/call",
               "params": {"name": "explain_program", "arguments": {}}}
    terms = call(world, token, body=explain).json()["result"]  # no customer needed
    assert terms["isError"] is False and terms["structuredContent"]["running"] is True
    wrong = requests.post(f"{world.base}/oauth/token", data={
        "grant_type": "client_credentials"}, auth=(client_id, "not-the-secret"), timeout=10)
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"


def test_a_dynamically_registered_client_cannot_use_client_credentials(world: World) -> None:
    client_id = register(world)
    answer = requests.post(f"{world.base}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": client_id}, timeout=10)
    assert answer.status_code in (400, 401) and "access_token" not in answer.json()


def test_the_redirect_carries_the_state_back(world: World) -> None:
    client_id = register(world)
    _, challenge = pkce()
    customer = Customer(world.instance.services, world.seeded["customer"]["email"])
    result = customer.sign_in(authorize_url(world, client_id, challenge))
    assert result.state == "s1"
    assert parse_qs(urlsplit(REDIRECT).query) == {}


def test_erasing_a_new_customer_ends_their_token(world: World) -> None:
    """Someone the shop never named signs in with a new address; delete_my_data (asked, then
    confirmed) erases them at once, and the token that did it is refused afterwards."""
    client_id = register(world)
    verifier, challenge = pkce()
    customer = Customer(world.instance.services, "new.person@example.org")
    code = customer.sign_in(authorize_url(world, client_id, challenge)).code
    token = exchange(world, client_id, code, verifier).json()["access_token"]

    def erase(arguments: dict[str, Any]) -> dict[str, Any]:
        body = {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                "params": {"name": "delete_my_data", "arguments": arguments}}
        result: dict[str, Any] = call(world, token, body=body).json()["result"]
        return result

    asked = erase({})["structuredContent"]
    assert asked["status"] == "confirm"
    done = erase({"confirmation": asked["confirmation"]})["structuredContent"]
    assert done["status"] == "completed"
    answer = call(world, token)
    assert_refused_401(answer, world, invalid=True)
    assert "no longer exists" in answer.json()["error_description"]


@pytest.mark.parametrize(("language", "title"), [("de-DE,de;q=0.9", "Bei Demo Shop anmelden"),
                                                 ("ru", "Вход в Demo Shop"),
                                                 ("en-GB", "Sign in to Demo Shop")])
def test_the_sign_in_page_speaks_the_customers_language(world: World, language: str,
                                                        title: str) -> None:
    client_id = register(world)
    _, challenge = pkce()
    page = requests.get(authorize_url(world, client_id, challenge),
                        headers={"Accept-Language": language}, timeout=10)
    assert page.status_code == 200 and f"<h1>{title}</h1>" in page.text
    policy = page.headers["Content-Security-Policy"]
    assert "form-action 'self' https://claude.ai;" in policy  # the callback's origin only


def test_the_sandbox_shows_the_one_time_code_and_production_does_not(
        world: World, settings, database, clock) -> None:  # type: ignore[no-untyped-def]
    from core.services import bootstrap
    from fulfillment.app import create_app

    client_id = register(world)
    _, challenge = pkce()
    url = authorize_url(world, client_id, challenge)
    browser = requests.Session()
    csrf = browser.get(url, timeout=10).text.split('name="csrf_token" value="')[1].split('"')[0]
    sent = browser.post(url, data={"csrf_token": csrf, "step": "contact",
                                   "contact": "new.person@example.org"}, timeout=10)
    assert "/sandbox/codes" in sent.text
    page = requests.get(f"{world.base}/sandbox/codes", timeout=10).text
    from tests.support.mcp_host import last_pin
    assert f"<code>{last_pin(world.instance.services, 'new.person@example.org')}</code>" in page
    production = bootstrap(settings.with_(sandbox=False), db=database, clock=clock,
                           background_clicks=False)
    try:
        answer = create_app(services=production).test_client().get("/sandbox/codes")
        assert answer.status_code == 404
    finally:
        production.clicks.close()


@pytest.mark.parametrize("redirect", ["javascript:alert(1)", "http://evil.test/cb",
                                      "https://ok.test/cb#frag", "https://user:pw@ok.test/cb"])
def test_registration_refuses_a_redirect_uri_oauth_forbids(world: World, redirect: str) -> None:
    before = world.counts()
    answer = requests.post(f"{world.base}/oauth/register", json={
        "client_name": "x", "redirect_uris": [redirect], "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code"], "response_types": ["code"]}, timeout=10)
    assert answer.status_code == 400  # RFC 7591 3.2.2
    assert answer.json()["error"] in ("invalid_redirect_uri", "invalid_client_metadata")
    assert world.counts() == before


def test_a_loopback_http_redirect_uri_is_allowed(world: World) -> None:
    assert register(world, "http://localhost:6274/oauth/callback")  # the MCP Inspector's


def test_a_foreign_origin_is_refused_before_the_token_is_read(world: World) -> None:
    """The transport spec: Origin validated on every request, 403 when present and not
    allowed (DNS rebinding); a host's own web origin and ours pass."""
    _, tokens = signed_in(world)
    before = world.counts()
    headers = {**HEADERS, "Authorization": f"Bearer {tokens['access_token']}"}
    foreign = requests.post(world.mcp_url, json=share_call(), timeout=10,
                            headers={**headers, "Origin": "https://evil.test"})
    assert foreign.status_code == 403 and world.counts() == before
    for origin in (world.base, "https://claude.ai"):
        assert requests.post(world.mcp_url, json=INIT, timeout=10,
                             headers={**headers, "Origin": origin}).status_code == 200
