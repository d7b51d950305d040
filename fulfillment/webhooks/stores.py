"""POST /shopify/<shop>/webhooks and /woocommerce/<shop>/webhooks: the stores' webhooks.

HTTP only: the raw body and headers go to core.stores.inbound, which verifies the HMAC
before anything is written (forged or unsigned: 401), dedupes on the delivery id and maps
the topic onto customers, orders (with the codes typed at checkout) and refunds."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from core.stores import inbound
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
