"""Bad input to the MCP server and its OAuth endpoints gets a 4xx with a reason, never a 500
(the MCP endpoint speaks JSON-RPC errors inside its 4xx where the SDK does)."""

from __future__ import annotations

from typing import Any

import pytest

MCP = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.mark.parametrize(("method", "path", "kwargs"), [
    ("post", "/oauth/token", {}),
    ("post", "/oauth/token", {"data": {"grant_type": "password", "username": "a",
                                       "password": "b", "client_id": "x"}}),
    ("post", "/oauth/token", {"data": {"grant_type": "authorization_code", "code": "x",
                                       "client_id": "nope"}}),
    ("post", "/oauth/token", {"data": {"grant_type": "refresh_token", "refresh_token": "x",
                                       "client_id": "nope"}}),
    ("post", "/oauth/register", {"data": "not json", "content_type": "application/json"}),
    ("post", "/oauth/register", {"json": {"redirect_uris": "https://a.test/cb"}}),
    ("post", "/oauth/register", {"json": {"redirect_uris": ["https://a.test/cb"] * 50}}),
    ("post", "/oauth/register", {"json": {"redirect_uris": ["https://a.test/cb"],
                                          "grant_types": ["client_credentials"]}}),
    ("post", "/oauth/revoke", {"data": {"token": "x"}}),
    ("get", "/oauth/authorize", {}),
    ("get", "/oauth/authorize?response_type=token&client_id=x", {}),
    ("post", "/oauth/authorize?response_type=code&client_id=x", {"data": {"step": "code"}}),
    ("get", "/.well-known/oauth-protected-resource/mcp/" + "x" * 300, {}),
    ("get", "/mcp/demo", {}),
    ("delete", "/mcp/demo", {}),
    ("post", "/mcp/" + "x" * 100, {}),
    ("post", "/mcp/demo", {"data": "{", "headers": {**MCP, "Authorization": "Bearer é"}}),
    ("post", "/mcp/demo", {"data": "{", "headers": {**MCP, "Authorization": "Basic abc"}}),
])
def test_bad_input_is_a_4xx(client, demo, method: str, path: str,  # type: ignore[no-untyped-def]
                            kwargs: dict[str, Any]) -> None:
    answer = getattr(client, method)(path, **kwargs)
    body = answer.get_data(as_text=True)
    assert 400 <= answer.status_code < 500, (answer.status_code, body[:300])


def test_malformed_json_rpc_with_a_good_token_is_a_4xx(client, demo, services) -> None:  # type: ignore[no-untyped-def]
    from core import oauth_grants
    from core.models import Shop

    with services.db.session() as uow:
        shop = uow.query(Shop).filter(Shop.slug == "demo").one()
        token = oauth_grants.try_it_token(uow, services.clock(), shop_id=shop.id)
    headers = {**MCP, "Authorization": f"Bearer {token}"}
    for body in ("{", "[]", '{"jsonrpc": "2.0"}', '{"jsonrpc":"2.0","id":1,"method":"nope"}',
                 '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}'):
        answer = client.post("/mcp/demo", data=body, headers=headers)
        assert answer.status_code < 500, (body, answer.status_code)
        payload = answer.get_json(silent=True) or {}
        assert "error" in payload or payload.get("result", {}).get("isError"), (body, payload)
    bad_args = {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                "params": {"name": "set_reminder", "arguments": {"weekday": "someday"}}}
    answer = client.post("/mcp/demo", json=bad_args, headers=headers)
    result = answer.get_json()
    assert answer.status_code == 200 and ("error" in result or result["result"]["isError"])
