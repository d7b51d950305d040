"""The MCP connect page: what to paste into each host, an Alexa+ client made with its secret
shown once (and working for client credentials), "try it" through the real /mcp endpoint,
and the live status naming the last refusal. Managers of that shop only."""

from __future__ import annotations

import re

from tests.test_connect_assistant import csrf
from tests.test_dashboard import sign_in

PAGE = "/connect/demo/mcp"


def test_the_page_names_the_server_and_the_oauth_endpoints(client, demo) -> None:  # type: ignore[no-untyped-def]
    assert client.get(PAGE).status_code in (302, 401, 403)  # signed out: not shown
    sign_in(client, demo)
    page = client.get(PAGE).get_data(as_text=True)
    assert "https://refer.test/mcp/demo" in page
    assert "https://refer.test/oauth/authorize" in page and "https://refer.test/oauth/token" in page
    assert "https://refer.test/.well-known/oauth-protected-resource/mcp/demo" in page
    assert "No verified MCP call yet." in page


def test_an_alexa_client_is_made_once_and_gets_a_service_token(client, demo) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, demo)
    token = csrf(client, PAGE)
    bad = client.post(f"{PAGE}/alexa-client", data={"csrf_token": token,
                                                    "redirect_uris": "http://insecure.test/cb"})
    assert bad.status_code == 400
    made = client.post(f"{PAGE}/alexa-client", data={
        "csrf_token": token,
        "redirect_uris": "https://pitangui.amazon.com/api/skill/link/M2AAAAAAAAAAAA"})
    page = made.get_data(as_text=True)
    client_id = re.search(r'id="new-client_id">([^<]+)<', page).group(1)  # type: ignore[union-attr]
    secret = re.search(r'id="new-client_secret">([^<]+)<', page).group(1)  # type: ignore[union-attr]
    assert secret not in client.get(PAGE).get_data(as_text=True)  # shown once
    answer = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                         auth=(client_id, secret))
    assert answer.status_code == 200 and answer.get_json()["token_type"] == "Bearer"
    assert client_id in client.get(PAGE).get_data(as_text=True)


def test_try_it_runs_through_the_endpoint_and_the_status_turns_green(client, demo) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, demo)
    headers = {"X-CSRF-Token": csrf(client, PAGE)}
    listed = client.post(f"{PAGE}/try", json={"tool": "tools/list"}, headers=headers)
    tools = listed.get_json()["response"]["result"]["tools"]
    assert listed.get_json()["status"] == 200 and len(tools) == 7
    explained = client.post(f"{PAGE}/try", json={"tool": "explain_program"}, headers=headers)
    result = explained.get_json()["response"]["result"]
    assert result["isError"] is False and result["structuredContent"]["running"] is True
    refused = client.post(f"{PAGE}/try", json={"tool": "delete_my_data"}, headers=headers)
    assert refused.status_code == 400
    forged = client.post("/mcp/demo", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                         headers={"Authorization": "Bearer forged",
                                  "Accept": "application/json, text/event-stream"})
    assert forged.status_code == 401 and forged.get_json()["error"] == "invalid_token"
    page = client.get(PAGE).get_data(as_text=True)
    assert "Last verified call" in page and "The access token is not valid." in page


def test_the_console_can_speak_mcp_and_shows_the_tool_call(client, demo) -> None:  # type: ignore[no-untyped-def]
    from tests.test_console import signed_in

    csrf = signed_in(client, demo)
    assert "<option>mcp</option>" in client.get("/console").get_data(as_text=True)
    headers = {"X-CSRF-Token": csrf}
    said = client.post("/console/api/say", headers=headers, json={
        "shop": "demo", "platform": "mcp", "locale": "en-US", "user": "alex",
        "text": "share the referral program"}).get_json()
    assert said["intent"] == "share_referral_program"
    assert said["request"]["params"]["name"] == "share_referral_program"
    result = said["response"]["result"]
    assert result["isError"] is False and result["structuredContent"]["code"] == demo["code"]
    assert said["qr"] == result["structuredContent"]["qr_url"] and "a=mcp" in said["link"]
    remind = client.post("/console/api/say", headers=headers, json={
        "shop": "demo", "platform": "mcp", "locale": "en-US", "user": "alex",
        "text": "remind me every friday"}).get_json()
    assert remind["request"]["params"]["arguments"] == {"weekday": "friday"}
    anonymous = client.post("/console/api/say", headers=headers, json={
        "shop": "demo", "platform": "mcp", "locale": "en-US", "user": "new",
        "text": "share the referral program"}).get_json()
    assert anonymous["response"]["result"]["isError"] is True  # a service token: no customer
