"""Only the shop's own Dialogflow agent gets an answer: a service-agent ID token for this
shop's audience, or the ES header secret. Every other token is refused with 401 and nothing
is processed."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from core.models import Message
from core.services import Services
from fulfillment.app import create_app
from tests.support.google_tokens import SERVICE_AGENT, GoogleKeys

LAUNCH = {"responseId": "r1", "session": "projects/p/agent/sessions/s1",
          "queryResult": {"queryText": "share the referral program", "languageCode": "en",
                          "intent": {"displayName": "ShareProgram"}, "parameters": {}},
          "originalDetectIntentRequest": {"payload": {"userId": "demo-google-user-alex"}}}


@pytest.fixture
def keys() -> GoogleKeys:
    return GoogleKeys()


@pytest.fixture
def google_client(services: Services, keys: GoogleKeys, demo):  # type: ignore[no-untyped-def]
    services.adapters.google_certs_fetcher = keys.fetch
    return create_app(services=services).test_client()


def post(client, token: str | None = None, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    hdrs = dict(headers or {})
    if token is not None:
        hdrs["Authorization"] = f"Bearer {token}"
    return client.post("/dialogflow/demo", data=json.dumps(LAUNCH), headers=hdrs,
                       content_type="application/json")


def nothing_sent(services: Services) -> bool:
    with services.db.session() as session:
        return session.scalar(select(func.count(Message.id))) == 0


def test_a_token_from_the_service_agent_for_this_audience_is_accepted(google_client, keys,
                                                                      demo, services):
    response = post(google_client, keys.token(audience=demo["dialogflow"]["audience"]))
    assert response.status_code == 200
    assert "Your code is" in response.get_json()["fulfillmentText"]
    post(google_client, keys.token(audience=demo["dialogflow"]["audience"]))
    assert keys.fetches == 1  # certificates cached, not fetched per request


@pytest.mark.parametrize("case", ["wrong_aud", "wrong_iss", "expired", "not_yet_valid",
                                  "wrong_email", "unverified_email", "unsigned", "garbage"])
def test_every_other_token_is_refused_and_nothing_is_processed(google_client, keys, demo,
                                                               services, case):
    audience = demo["dialogflow"]["audience"]
    now = time.time()
    token = {
        "wrong_aud": lambda: keys.token(audience="https://elsewhere.example/dialogflow/demo"),
        "wrong_iss": lambda: keys.token(audience=audience, iss="https://evil.example"),
        "expired": lambda: keys.token(audience=audience, issued=now - 7200),
        "not_yet_valid": lambda: keys.token(audience=audience, issued=now + 600),
        "wrong_email": lambda: keys.token(audience=audience, email="someone@example.com"),
        "unverified_email": lambda: keys.token(audience=audience, verified=False),
        "unsigned": lambda: _unsigned(audience),
        "garbage": lambda: "not.a.token",
    }[case]()
    response = post(google_client, token)
    assert response.status_code == 401, response.get_json()
    assert response.get_json()["error"]["code"] == "unauthenticated"
    assert nothing_sent(services)


def _unsigned(audience: str) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    now = int(time.time())
    return ".".join([part({"alg": "none", "typ": "JWT"}), part(
        {"iss": "https://accounts.google.com", "aud": audience, "email": SERVICE_AGENT,
         "email_verified": True, "iat": now, "exp": now + 3600}), ""])


def test_a_shop_without_an_audience_refuses_every_token(google_client, keys, demo, services,
                                                        database):
    from core.models import Shop

    with database.session() as session:
        shop = session.scalar(select(Shop).where(Shop.slug == "demo"))
        shop.settings = {k: v for k, v in shop.settings.items() if k != "dialogflow_audience"}
    response = post(google_client, keys.token(audience=demo["dialogflow"]["audience"]))
    assert response.status_code == 401
    assert "audience" in response.get_json()["error"]["message"]


def test_es_agents_authenticate_with_the_configured_header_secret(google_client, demo):
    good = post(google_client, headers={demo["dialogflow"]["es_header"]:
                                        demo["dialogflow"]["es_secret"]})
    bad = post(google_client, headers={demo["dialogflow"]["es_header"]: "guess"})
    none = post(google_client)
    assert (good.status_code, bad.status_code, none.status_code) == (200, 401, 401)


def test_an_unrecognized_shape_is_a_400_with_the_reason(google_client, demo):
    response = google_client.post("/dialogflow/demo", json={"hello": "world"},
                                  headers={demo["dialogflow"]["es_header"]:
                                           demo["dialogflow"]["es_secret"]})
    assert response.status_code == 400
    assert "queryResult" in response.get_json()["error"]["message"]


def test_when_googles_certificates_cannot_be_fetched_requests_are_refused_not_crashed(
        services, keys, demo):
    def offline(url: str) -> tuple[int, dict[str, str], bytes]:
        raise OSError("network unreachable")

    services.adapters.google_certs_fetcher = offline
    client = create_app(services=services).test_client()
    response = post(client, keys.token(audience=demo["dialogflow"]["audience"]))
    assert response.status_code == 401
    assert nothing_sent(services)


def test_basic_auth_with_a_non_ascii_user_is_a_401_not_a_500(google_client, demo, services):
    """A non-ASCII Basic-auth user on the Dialogflow webhook was a 500 (issue 26, item 6)."""
    from sqlalchemy import select as select_

    from core.hashing import token_hash
    from core.models import Shop

    with services.db.session() as session:
        shop = session.scalar(select_(Shop).where(Shop.slug == demo["shop"]))
        shop.settings = {**shop.settings, "dialogflow_basic_user": "agent",
                         "dialogflow_basic_password_hash": token_hash("right-password")}
    services.shops.forget(demo["shop"])
    for user, password in (("агент", "right-password"), ("agént", "x"), ("agent", "пароль"),
                           ("agent", "right-password")):
        basic = base64.b64encode(f"{user}:{password}".encode()).decode()
        answer = post(google_client, headers={"Authorization": f"Basic {basic}"})
        expected = 200 if (user, password) == ("agent", "right-password") else 401
        assert answer.status_code == expected, (user, password)
