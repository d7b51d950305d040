"""The support console speaking MCP: what a customer types is understood as a host's model
would route it (the local NLU's intent -> the tool and its arguments), then sent as a real
JSON-RPC tools/call through /mcp/<shop> with a console token for the chosen customer. The
console shows the tool call and its result JSON in the bubble it draws for every turn."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask

from core import oauth_grants
from core.services import Services
from voice.nlu.understanding import understand

HEADERS = {"Accept": "application/json, text/event-stream",
           "Content-Type": "application/json", "MCP-Protocol-Version": "2025-11-25"}
INTENT_TOOLS = {"ShareProgram": "share_referral_program", "ExplainProgram": "explain_program",
                "MyReferrals": "referral_status", "RewardBalance": "referral_status",
                "SetReminder": "set_reminder", "StopReminders": "stop_reminders",
                "DeleteMyData": "delete_my_data", "SendInvite": "invite_friend",
                "ProvideContact": "invite_friend"}


def tool_call(text: str, locale: str) -> tuple[str, dict[str, Any], str]:
    """(tool, arguments, intent): a tools/list when nothing maps to a tool."""
    heard = understand(text, locale)
    slots = dict(heard.slots)
    tool = INTENT_TOOLS.get(heard.intent, "")
    arguments: dict[str, Any] = {}
    if tool == "invite_friend":
        contact = slots.get("email") or slots.get("phone")
        if not contact:
            tool = ""
        else:  # typed by staff in the console: the read-back is theirs to judge
            arguments = {"contact": contact, "customer_confirmed": True}
    elif tool == "set_reminder":
        arguments = {"weekday": (slots.get("weekday") or "friday").lower()}
    return tool, arguments, heard.intent


def say(app: Flask, services: Services, *, shop_id: int, slug: str, locale: str,
        user: str, text: str) -> dict[str, Any]:
    """One console turn over MCP, in the shape the console draws (speech, intent, card,
    request and response JSON)."""
    tool, arguments, intent = tool_call(text, locale)
    with services.db.session() as uow:
        token = oauth_grants.console_token(uow, services.clock(), shop_id=shop_id,
                                           external_id=None if user == "new" else user)
    body: dict[str, Any] = ({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                             "params": {"name": tool, "arguments": arguments}} if tool
                            else {"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    answer = app.test_client().post(f"/mcp/{slug}", data=json.dumps(body),
                                    headers={**HEADERS, "Authorization": f"Bearer {token}"})
    response = answer.get_json(silent=True) or {}
    result = response.get("result") or {}
    texts = [c.get("text", "") for c in result.get("content", []) if c.get("type") == "text"]
    data = result.get("structuredContent") or {}
    speech = " ".join(texts) or (", ".join(t["name"] for t in result.get("tools", []))
                                 if "tools" in result else json.dumps(response)[:300])
    return {"speech": speech, "intent": tool or "tools/list", "score": 1.0,
            "slots": {k: str(v) for k, v in arguments.items()},
            "near_misses": [[intent, 1.0]] if intent else [], "end_session": False,
            "card": None, "qr": data.get("qr_url"), "link": data.get("link"), "ssml": "",
            "request": body, "response": response}
