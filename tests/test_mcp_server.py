"""The MCP server end to end: the official `mcp` SDK's client over real Streamable HTTP
against a served instance, signing in with OAuth 2.1 (discovery, registration, PKCE, the
one-time code) and calling the referral tools."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import requests

from core import demo as demo_seed
from core.models import Click, ErasureRequest, Message, Share
from tests.support.mcp_host import Customer, mcp_session, served
from tests.support.qr_decode import decode_png


@pytest.fixture
def host(database, clock):  # type: ignore[no-untyped-def]
    with served(database, clock) as instance:
        seeded = demo_seed.seed(instance.services)
        yield instance, seeded


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_sdk_client_signs_in_and_shares_the_program(host) -> None:  # type: ignore[no-untyped-def]
    instance, seeded = host
    url = f"{instance.base}/mcp/{seeded['shop']}"
    customer = Customer(instance.services, seeded["customer"]["email"])

    async def scenario() -> Any:
        async with mcp_session(url, customer) as session:
            listed = await session.list_tools()
            shared = await session.call_tool("share_referral_program", {})
            return listed, shared

    listed, shared = run(scenario())
    names = {t.name for t in listed.tools}
    assert {"share_referral_program", "invite_friend", "explain_program", "referral_status",
            "set_reminder", "stop_reminders", "delete_my_data"} <= names
    assert not shared.is_error, shared.content
    data = shared.structured_content
    assert data["code"] == seeded["code"]
    assert data["link"].split("?")[0] == seeded["link"].split("?")[0]
    assert data["sent_to"] == {"channel": data["sent_to"]["channel"],
                               "address": data["sent_to"]["address"]} and data["status"] == "queued"
    images = [c for c in shared.content if c.type == "image"]
    import base64
    assert decode_png(base64.b64decode(images[0].data)) == [data["link"]]
    with instance.services.db.session() as uow:
        sent = uow.query(Message).filter(Message.kind == "invite_self").count()
        shares = [s.assistant for s in uow.query(Share)]
    assert sent == 1
    # KPIs name the host: the share, the link's `a=` and the friend's click say "claude"
    assert shares == ["claude"] and "a=claude" in data["link"]
    assert requests.get(data["link"], allow_redirects=False, timeout=10).status_code in (302, 303)
    instance.services.clicks.flush()
    with instance.services.db.session() as uow:
        assert [c.assistant for c in uow.query(Click)] == ["claude"]


def _messages(instance: Any, kind: str) -> list[Message]:
    with instance.services.db.session() as uow:
        rows = list(uow.query(Message).filter(Message.kind == kind))
        uow.expunge_all()
        return rows


def test_each_tool_is_the_voice_use_case_with_structured_results(host) -> None:  # type: ignore[no-untyped-def]
    instance, seeded = host
    url = f"{instance.base}/mcp/{seeded['shop']}"
    customer = Customer(instance.services, seeded["customer"]["email"])

    async def scenario() -> dict[str, Any]:
        out: dict[str, Any] = {}
        async with mcp_session(url, customer) as session:
            out["unconfirmed"] = await session.call_tool(
                "invite_friend", {"contact": "friend@example.org"})
            out["friend"] = await session.call_tool(
                "invite_friend", {"contact": "friend@example.org", "customer_confirmed": True})
            out["again"] = await session.call_tool(
                "invite_friend", {"contact": "friend@example.org", "customer_confirmed": True})
            out["bad"] = await session.call_tool(
                "invite_friend", {"contact": "not an address", "customer_confirmed": True})
            out["explain"] = await session.call_tool("explain_program", {})
            out["status"] = await session.call_tool("referral_status", {})
            out["remind"] = await session.call_tool("set_reminder", {"weekday": "friday"})
            out["stop"] = await session.call_tool("stop_reminders", {})
            out["ask"] = await session.call_tool("delete_my_data", {})
            out["forged"] = await session.call_tool("delete_my_data",
                                                    {"confirmation": "0" * 24})
            token = out["ask"].structured_content["confirmation"]
            out["erase"] = await session.call_tool("delete_my_data", {"confirmation": token})
            out["after"] = await session.call_tool("explain_program", {})
        return out

    out = run(scenario())
    unconfirmed = out["unconfirmed"]
    assert unconfirmed.is_error and "customer_confirmed" in unconfirmed.content[0].text
    assert out["friend"].structured_content["status"] == "queued"
    assert out["again"].structured_content["status"] == "recently_invited"
    assert out["bad"].is_error and "phone number" in out["bad"].content[0].text
    assert len(_messages(instance, "invite_friend")) == 1
    explain = out["explain"].structured_content
    assert explain["running"] is True and explain["terms"]
    assert out["explain"].content[0].text == explain["terms"]
    status = out["status"].structured_content
    assert status["friends_joined"] == 0 and status["currency"]
    assert status["approved"]["amount_minor"] == 0
    assert out["remind"].structured_content["status"] == "created"
    assert out["remind"].structured_content["weekday"] == "friday"
    assert out["stop"].structured_content == {"stopped": 1}
    assert out["ask"].structured_content["status"] == "confirm"
    assert out["forged"].is_error
    # the demo customer is the shop's (an external id): the shop completes the erasure
    assert out["erase"].structured_content["status"] == "requested"
    with instance.services.db.session() as uow:
        assert [r.source for r in uow.query(ErasureRequest)] == ["voice"]


def test_a_retried_call_sends_the_message_once(host) -> None:  # type: ignore[no-untyped-def]
    """The same tools/call twice (a host retrying after a timeout, same JSON-RPC id) and a
    third with a new id: one message in the outbox, the later calls say it was sent."""
    instance, seeded = host
    url = f"{instance.base}/mcp/{seeded['shop']}"
    customer = Customer(instance.services, seeded["customer"]["email"])

    async def scenario() -> list[Any]:
        async with mcp_session(url, customer) as session:
            return [await session.call_tool("share_referral_program", {"channel": "email"})
                    for _ in range(3)]

    results = run(scenario())
    statuses = [r.structured_content["status"] for r in results]
    assert statuses == ["queued", "already_sent", "already_sent"]
    assert len(_messages(instance, "invite_self")) == 1


def test_the_share_tool_offers_the_mcp_apps_ui(host) -> None:  # type: ignore[no-untyped-def]
    instance, seeded = host
    url = f"{instance.base}/mcp/{seeded['shop']}"
    customer = Customer(instance.services, seeded["customer"]["email"])

    async def scenario() -> Any:
        async with mcp_session(url, customer) as session:
            listed = await session.list_tools()
            tool = next(t for t in listed.tools if t.name == "share_referral_program")
            uri = tool.meta["ui"]["resourceUri"]
            return tool, await session.read_resource(uri)

    tool, resource = run(scenario())
    assert tool.output_schema["properties"]["qr_url"]
    html = resource.contents[0]
    assert html.mime_type == "text/html;profile=mcp-app" and "qr_url" in html.text
