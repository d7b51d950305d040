"""HTTP of the MCP server's OAuth side: discovery documents (RFC 8414, RFC 9728), the
authorization endpoint with the customer's sign-in page (phone or email, confirmed by a
one-time code under core.pairing's rules), and the token, registration and revocation
endpoints, which authlib answers (fulfillment/mcp/oauth.py)."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749.errors import OAuth2Error
from flask import Blueprint, current_app, g, jsonify, render_template, request, session
from flask.typing import ResponseReturnValue

from core import oauth_grants, pairing
from core.contacts import mask_email, mask_phone, normalize_email, normalize_phone, region_of
from core.errors import InvalidInput
from core.oauth_grants import ShopRow as Shop
from fulfillment.context import services
from fulfillment.edge.security_headers import PAGE_POLICY
from fulfillment.mcp.oauth import Client, SignIn, metadata
from fulfillment.web.auth import public
from fulfillment.web.forms import csrf_token
from voice import mcp_text
from voice.i18n import translator

bp = Blueprint("mcp_oauth", __name__, template_folder="templates")
PAGE_LOCALES = ("en-US", "de-DE", "ru-RU")
SIGNIN = "mcp_signin"


def server() -> AuthorizationServer:
    found: AuthorizationServer = current_app.extensions["referrals.oauth"]
    return found


@contextmanager
def unit_of_work() -> Iterator[Any]:
    """The request's one transaction, where authlib's callbacks find it (flask.g)."""
    svc = services()
    with svc.db.session() as uow:
        g.oauth_uow, g.oauth_services = uow, svc
        try:
            yield uow
        finally:
            g.oauth_uow = None


def resource_url(slug: str) -> str:
    return f"{services().base_url}/mcp/{slug}"


def resource_metadata_url(slug: str) -> str:
    return f"{services().base_url}/.well-known/oauth-protected-resource/mcp/{slug}"


@bp.get("/.well-known/oauth-authorization-server")
@public("RFC 8414 discovery: public by definition")
def authorization_server_metadata() -> ResponseReturnValue:
    return jsonify(metadata(services().base_url))


@bp.get("/.well-known/oauth-protected-resource/mcp/<slug>")
@public("RFC 9728 discovery: public by definition")
def protected_resource_metadata(slug: str) -> ResponseReturnValue:
    """RFC 9728 for /mcp/<slug>: this product is its own authorization server."""
    with unit_of_work() as uow:
        if oauth_grants.shop_named(uow, slug) is None:
            return jsonify(error="unknown_shop", error_description="No such shop."), 404
    return jsonify({"resource": resource_url(slug),
                    "authorization_servers": [services().base_url],
                    "scopes_supported": [oauth_grants.SCOPE],
                    "bearer_methods_supported": ["header"],
                    "resource_name": slug,
                    "resource_documentation": f"{services().base_url}/connect/{slug}/mcp"})


def _page_locale() -> str:
    wanted = (request.args.get("ui_locales") or "").split()
    for tag in wanted:
        for locale in PAGE_LOCALES:
            if locale.split("-")[0] == tag.split("-")[0].lower():
                return locale
    return request.accept_languages.best_match(PAGE_LOCALES) or "en-US"


def _shop_for(uow: Any, client: Client) -> Shop | None:
    return oauth_grants.shop_for_sign_in(uow, base_url=services().base_url,
                                         resource=request.args.get("resource") or "",
                                         client=client.row)


def _refused(title: str, message: str, status: int = 400) -> ResponseReturnValue:
    return render_template("mcp/refused.html", title=title, message=message), status


def _form_policy(redirect_uri: str) -> str:
    """The page policy, with the client's callback origin added to form-action: the final
    POST is answered by a redirect there, and Chromium holds redirects after a form
    submission to form-action too. The URI was checked against the client's registered
    ones before any page is drawn."""
    parts = urlsplit(redirect_uri)
    origin = f"{parts.scheme}://{parts.netloc}"
    return PAGE_POLICY.replace("form-action 'self'", f"form-action 'self' {origin}")


def _render(shop: Shop, client: Client, step: str, *, error: str = "", where: str = "",
            status: int = 200) -> ResponseReturnValue:
    locale = _page_locale()
    t = translator(locale)
    words = mcp_text.sign_in_page(t, shop.name, mcp_text.host_name(client.row.host))
    page = render_template("mcp/sign_in.html", words=words, step=step, error=error,
                           where=where, lang=locale[:2], csrf=csrf_token(),
                           action=request.full_path, sandbox=services().settings.sandbox)
    redirect_uri = request.args.get("redirect_uri") or client.get_default_redirect_uri() or ""
    headers = {"Content-Security-Policy": _form_policy(redirect_uri)} if redirect_uri else {}
    return page, status, headers


@bp.route("/oauth/authorize", methods=["GET", "POST"])
@public("the customer's sign-in: a registered client, PKCE, a one-time code, CSRF")
def authorize() -> ResponseReturnValue:
    with unit_of_work() as uow:
        try:
            grant = server().get_consent_grant(end_user=None)
        except OAuth2Error as exc:  # never redirect to an unverified redirect_uri
            return _refused("Sign-in refused", f"{exc.error}: {exc.get_error_description()}")
        client: Client = grant.client
        shop = _shop_for(uow, client)
        if shop is None:
            return _refused("Sign-in refused", "invalid_target: the resource does not name a "
                            "shop this client may use.")
        if request.method == "GET":
            session.pop(SIGNIN, None)
            return _render(shop, client, "contact")
        sent = request.form.get("csrf_token") or ""
        if not hmac.compare_digest(sent.encode(), str(session.get("csrf", "")).encode()):
            return _refused("Please try again", "This form expired. Reload the page.")
        if request.form.get("step") == "code":
            return _confirm(uow, grant, shop, client)
        return _send_code(uow, shop, client)


def _send_code(uow: Any, shop: Shop, client: Client) -> ResponseReturnValue:
    svc = services()
    raw = (request.form.get("contact") or "")[:320].strip()
    locale = _page_locale()
    words = mcp_text.sign_in_page(translator(locale), shop.name, "")
    try:
        if "@" in raw:
            kind, address, where = "email", normalize_email(raw), ""
            where = mask_email(address)
        else:
            region = region_of(shop.locale) or region_of(locale) or "US"
            kind, address = "phone", normalize_phone(raw, region,
                                                     allow_fictional=svc.settings.sandbox)
            where = mask_phone(address)
    except InvalidInput:
        return _render(shop, client, "contact", error=words["bad_contact"], status=400)
    subject = "oauth:" + secrets.token_urlsafe(24)
    voice = pairing.Voice(assistant=client.row.host, user_id=subject, locale=locale,
                          utterance=f"sign-in from {client.row.client_id}")
    outcome = pairing.request_code(uow, svc, shop=shop, voice=voice, contact_kind=kind,
                                   address=address)
    if outcome.status is pairing.RequestStatus.RATE_LIMITED:
        return _render(shop, client, "contact", error=words["rate_limited"], status=429)
    session[SIGNIN] = {"subject": subject, "shop": shop.id, "client": client.row.client_id,
                       "where": where}
    return _render(shop, client, "code", where=where)


def _confirm(uow: Any, grant: Any, shop: Shop, client: Client) -> ResponseReturnValue:
    svc = services()
    pending = session.get(SIGNIN) or {}
    if pending.get("shop") != shop.id or pending.get("client") != client.row.client_id:
        return _render(shop, client, "contact")
    locale = _page_locale()
    words = mcp_text.sign_in_page(translator(locale), shop.name, "")
    pin = "".join(ch for ch in (request.form.get("code") or "")[:20] if ch.isdigit())
    voice = pairing.Voice(assistant=client.row.host, user_id=pending["subject"], locale=locale)
    outcome = pairing.verify_code(uow, svc, shop=shop, voice=voice, pin=pin or None)
    if outcome.status is pairing.VerifyStatus.LINKED:
        session.pop(SIGNIN, None)
        user = SignIn(shop.id, client.row.host, pending["subject"])
        redirect: ResponseReturnValue = server().create_authorization_response(
            grant_user=user, grant=grant)
        return redirect
    if outcome.status in (pairing.VerifyStatus.WRONG, pairing.VerifyStatus.NEEDS_PIN):
        return _render(shop, client, "code", error=words["wrong"], where=pending.get("where",
                                                                                      ""),
                       status=400)
    session.pop(SIGNIN, None)
    return _render(shop, client, "contact", error=words["expired"], status=400)


@bp.post("/oauth/token")
@public("OAuth token endpoint: client authentication, code + PKCE verifier")
def token() -> ResponseReturnValue:
    with unit_of_work():
        response: ResponseReturnValue = server().create_token_response()
        return response


@bp.post("/oauth/register")
@public("RFC 7591 open registration: a client gets no access without a sign-in")
def register() -> ResponseReturnValue:
    with unit_of_work():
        response: ResponseReturnValue = server().create_endpoint_response("client_registration")
        return response


@bp.post("/oauth/revoke")
@public("RFC 7009 revocation: client authentication")
def revoke() -> ResponseReturnValue:
    with unit_of_work():
        response: ResponseReturnValue = server().create_endpoint_response("revocation")
        return response


@bp.get("/sandbox/codes")
@public("sandbox only (404 otherwise): the one-time codes a local sign-in needs")
def sandbox_codes() -> ResponseReturnValue:
    svc = services()
    if not svc.settings.sandbox:
        return _refused("Not found", "Only in the sandbox.", 404)
    return render_template("mcp/sandbox_codes.html", codes=oauth_grants.sandbox_codes(svc))
