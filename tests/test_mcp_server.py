"""The MCP server end to end: the official `mcp` SDK's client over real Streamable HTTP
against a served instance, signing in with OAuth 2.1 (discovery, registration, PKCE, the
one-time code) and calling the referral tools."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from core import demo as demo_seed
from core.models import Message
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
    assert sent == 1
