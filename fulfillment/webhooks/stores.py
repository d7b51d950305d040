"""The stores' webhooks and the Shopify app's install:

- POST /shopify/webhooks: the Shopify app's webhooks for every shop (HMAC with
  SHOPIFY_API_SECRET, the shop from X-Shopify-Shop-Domain), compliance topics included;
- POST /shopify/<shop>/webhooks: a legacy custom app's webhooks (the app's own secret);
- POST /woocommerce/<shop>/webhooks;
- GET /shopify/install (Shopify's signed app URL) and GET /shopify/callback (OAuth).

HTTP only: the raw body and headers go to core.stores.inbound, which verifies the HMAC
before anything is written (forged or unsigned: 401), stores the delivery in the inbox and
processes it; the install and callback go to core.stores.shopify_app."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue

from core.stores import inbound, shopify_app
from fulfillment.context import services
from fulfillment.web.auth import public

bp = Blueprint("store_webhooks", __name__)
MAX_BODY = 512 * 1024  # Shopify orders with many lines stay far below this


def _receive(platform: str, shop: str) -> ResponseReturnValue:
    if (request.content_length or 0) > MAX_BODY:
        return jsonify({"error": {"code": "too_large", "message": "Body too large."}}), 413
    body = request.get_data(cache=True)
    if not body and request.form:  # the edge checks already read a form body (WooCommerce's
        body = urlencode(list(request.form.items(multi=True))).encode()  # unsigned ping)
    outcome = inbound.receive(services(), platform, shop, dict(request.headers), body)
    return jsonify(outcome.as_dict())


@bp.post("/shopify/<shop>/webhooks")
@public("verified by X-Shopify-Hmac-Sha256 with the shop's app secret")
def shopify_webhook(shop: str) -> ResponseReturnValue:
    return _receive("shopify", shop)


@bp.post("/woocommerce/<shop>/webhooks")
@public("verified by X-WC-Webhook-Signature with the shop's webhook secret")
def woocommerce_webhook(shop: str) -> ResponseReturnValue:
    return _receive("woocommerce", shop)


def _body() -> bytes | None:
    if (request.content_length or 0) > MAX_BODY:
        return None
    return request.get_data(cache=True)


@bp.post("/shopify/webhooks")
@public("verified by X-Shopify-Hmac-Sha256 with SHOPIFY_API_SECRET (the app's webhooks)")
def shopify_app_webhook() -> ResponseReturnValue:
    body = _body()
    if body is None:
        return jsonify({"error": {"code": "too_large", "message": "Body too large."}}), 413
    outcome = inbound.receive_app(services(), dict(request.headers), body)
    return jsonify(outcome.as_dict())


def _query() -> list[tuple[str, str]]:
    return [(k, v) for k, v in request.args.items(multi=True)][:50]


@bp.get("/shopify/install")
@public("Shopify's app URL: verified by the hmac on the query (SHOPIFY_API_SECRET)")
def shopify_install() -> ResponseReturnValue:
    return redirect(shopify_app.install_from_shopify(services(), _query()), code=302)


@bp.get("/shopify/callback")
@public("Shopify's OAuth callback: verified by the hmac on the query and the one-use state")
def shopify_callback() -> ResponseReturnValue:
    installed = shopify_app.complete_install(services(), _query())
    return redirect(url_for("store_pages.shopify_page", slug=installed.slug, installed=1),
                    code=302)
