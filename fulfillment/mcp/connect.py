"""The connect page for LLM assistants (/connect/<shop>/mcp): the MCP server URL and the
OAuth endpoints to paste into each host (Alexa+ add-on, ChatGPT app, Claude connector), the
shop's clients (Alexa+ ones are made here, secret shown once), the live status (last
verified call, last refusal and why) and a "try it" that sends JSON-RPC through the real
/mcp/<shop> endpoint with a short-lived service token. Managers only."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from core import assistant_status, oauth_grants
from core.accounts import Role
from fulfillment.context import services
from fulfillment.mcp.oauth import metadata
from fulfillment.web.auth import current_staff, require_role, shop_for_staff
from fulfillment.web.forms import check_csrf
from fulfillment.web.i18n import N_
from fulfillment.web.nav import PLATFORM_NAMES

bp = Blueprint("mcp_connect", __name__, url_prefix="/connect", template_folder="templates",
               static_folder="static", static_url_path="/static/mcp")
bp.before_request(check_csrf)
HEADERS = {"Accept": "application/json, text/event-stream",
           "Content-Type": "application/json", "MCP-Protocol-Version": "2025-11-25"}
TRY_TOOLS = ("tools/list", "explain_program")
MAX_URIS = 10


def _page(slug: str, *, shown_once: dict[str, str] | None = None, error: str = "",
          status: int = 200) -> ResponseReturnValue:
    svc = services()
    shop = shop_for_staff(slug)
    with svc.db.session() as uow:
        clients = oauth_grants.clients_for(uow, shop.id)
    return render_template(
        "mcp/connect.html", shop=shop, staff=current_staff(), names=PLATFORM_NAMES,
        server_url=f"{svc.base_url}/mcp/{shop.slug}", oauth=metadata(svc.base_url),
        resource_metadata=f"{svc.base_url}/.well-known/oauth-protected-resource/mcp/"
                          f"{shop.slug}",
        clients=clients, live=assistant_status.status_of(svc, shop.id, "mcp"),
        shown_once=shown_once or {}, error=error, try_tools=TRY_TOOLS), status


@bp.get("/<slug>/mcp")
@require_role(Role.MANAGER)
def page(slug: str) -> ResponseReturnValue:
    return _page(slug)


@bp.post("/<slug>/mcp/alexa-client")
@require_role(Role.MANAGER)
def alexa_client(slug: str) -> ResponseReturnValue:
    """Pre-register an Alexa+ client: the redirect URIs Amazon's account linking shows."""
    svc = services()
    shop = shop_for_staff(slug)
    uris = [u.strip() for u in (request.form.get("redirect_uris") or "")[:4000].splitlines()
            if u.strip()]
    if not uris or len(uris) > MAX_URIS or not all(
            u.startswith("https://") and len(u) <= 500 for u in uris):
        return _page(slug, error=N_("Give 1 to 10 redirect URIs, one per line, each https://."),
                     status=400)
    with svc.db.session() as uow:
        client, secret = oauth_grants.register_alexa_client(uow, shop_id=shop.id,
                                                            redirect_uris=uris)
        shown = {"client_id": client.client_id, "client_secret": secret}
    return _page(slug, shown_once=shown)


@bp.post("/<slug>/mcp/try")
@require_role(Role.MANAGER)
def try_it(slug: str) -> ResponseReturnValue:
    """initialize, then tools/list or one tool, through the real endpoint (in-process, the
    same WSGI path a host's request takes), with a service token: no customer involved."""
    svc = services()
    shop = shop_for_staff(slug)
    wanted = (request.get_json(silent=True) or {}).get("tool") or "tools/list"
    if wanted not in TRY_TOOLS:
        return jsonify({"error": {"code": "unknown_tool",
                                  "message": f"Try one of {', '.join(TRY_TOOLS)}."}}), 400
    with svc.db.session() as uow:
        token = oauth_grants.try_it_token(uow, svc.clock(), shop_id=shop.id)
    body: dict[str, Any] = ({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
                            if wanted == "tools/list" else
                            {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                             "params": {"name": wanted, "arguments": {}}})
    client = current_app.test_client()
    answer = client.post(f"/mcp/{shop.slug}", data=json.dumps(body),
                         headers={**HEADERS, "Authorization": f"Bearer {token}"})
    return jsonify({"request": body, "status": answer.status_code,
                    "response": answer.get_json(silent=True)})
