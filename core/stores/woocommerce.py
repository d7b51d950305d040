"""WooCommerce through its REST API (wc/v3) and its webhooks.

Calls authenticate with the REST key pair (consumer key/secret) as HTTP basic auth, which
WooCommerce accepts over https, or, where the store's server strips the Authorization header,
as `consumer_key`/`consumer_secret` query parameters (also https only); the connect test
(`probe`) chooses. Coupons: `POST /wp-json/wc/v3/coupons`; a taken code is a
400 `woocommerce_rest_coupon_code_already_exists`. Webhooks: `X-WC-Webhook-Signature` =
base64(HMAC-SHA256(secret, body)); a new webhook first sends a form-encoded ping
(`webhook_id=<n>`), answered 200 and otherwise ignored. WooCommerce has no refund topic: a
refund arrives as order.updated with the order's `refunds`, each processed once by id."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from core import strict_json
from core.stores import http
from core.stores.base import (
    AlreadyExists,
    BadWebhook,
    Delivery,
    DiscountSpec,
    Issued,
    StoreError,
    from_minor,
    hmac_base64_matches,
    store_id,
    to_minor,
)
from core.wording import N_

TOPICS = ("order.created", "order.updated")
PAID = ("processing", "completed")
TAKEN = "woocommerce_rest_coupon_code_already_exists"


@dataclass
class WooCommerceStore:
    base_url: str
    consumer_key: str
    consumer_secret: str
    webhook_secret: str
    http_session: requests.Session = field(default_factory=requests.Session)
    timeout: tuple[float, float] = http.TIMEOUT
    name: str = "woocommerce"
    auth: str = "basic"  # or "query": chosen by the connect test (probe)
    plain_query_ok: bool = False  # tests only: their stand-in speaks http on loopback

    def _post(self, path: str, body: dict[str, Any], method: str = "POST") -> dict[str, Any]:
        response = self._send(method, path, json=body)
        data = http.json_of(response)
        if response.status_code >= 400:
            error = data if isinstance(data, dict) else {}
            if error.get("code") == TAKEN:
                raise AlreadyExists(f"WooCommerce already has the coupon {body.get('code')}")
            raise StoreError(f"WooCommerce refused ({response.status_code} "
                             f"{error.get('code')}): {error.get('message')}", retryable=False,
                             code="store_refused")
        return data if isinstance(data, dict) else {}

    def _send(self, method: str, path: str, *, auth: str = "",
              **kwargs: Any) -> requests.Response:
        """Basic auth, or the key pair as query parameters where the store's server strips
        the Authorization header (WooCommerce accepts both over https)."""
        url = f"{self.base_url.rstrip('/')}/wp-json/wc/v3/{path}"
        if (auth or self.auth) == "query":
            kwargs["params"] = {**(kwargs.get("params") or {}),
                                "consumer_key": self.consumer_key,
                                "consumer_secret": self.consumer_secret}
        else:
            kwargs["auth"] = (self.consumer_key, self.consumer_secret)
        return http.send(self.http_session, method, url, timeout=self.timeout, **kwargs)

    def probe(self) -> str:
        """The connect test: a real read with the keys. Returns the authentication that
        works ("basic", else "query" over https), or StoreError saying what is wrong."""
        try:
            self._send("GET", "webhooks", auth="basic", params={"per_page": 1})
            return "basic"
        except StoreError as exc:
            if exc.code != "store_auth":
                raise
            basic_refused = exc
        if not (self.base_url.startswith("https://") or self.plain_query_ok):
            raise basic_refused
        try:
            self._send("GET", "webhooks", auth="query", params={"per_page": 1})
        except StoreError as exc:
            if exc.code == "store_auth":
                raise StoreError(N_("WooCommerce refused the consumer key and secret (with "
                                    "basic auth and as query parameters): check that the "
                                    "key has read/write access"), retryable=False,
                                 code="store_auth") from exc
            raise
        return "query"

    # --- the interface ----------------------------------------------------------------

    def register_webhooks(self, callback_url: str) -> list[str]:
        for topic in TOPICS:
            self._post("webhooks", {"name": f"Voice referrals: {topic}", "topic": topic,
                                    "delivery_url": callback_url, "secret": self.webhook_secret,
                                    "status": "active"})
        return list(TOPICS)

    def create_discount(self, spec: DiscountSpec) -> Issued:
        created = self._post("coupons", self._coupon(spec))
        return Issued(spec.code, str(created.get("id", "")))

    def update_discount(self, store_id: str, spec: DiscountSpec) -> Issued:
        body = {k: v for k, v in self._coupon(spec).items()
                if k in ("discount_type", "amount", "description")}
        body["minimum_amount"] = from_minor(spec.minimum_minor, spec.currency) \
            if spec.minimum_minor else ""
        self._post(f"coupons/{int(store_id)}", body, method="PUT")
        return Issued(spec.code, store_id)

    def _coupon(self, spec: DiscountSpec) -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": spec.code, "description": spec.title,
            "discount_type": "percent" if spec.kind == "percent" else "fixed_cart",
            "amount": str(spec.amount) if spec.kind == "percent"
            else from_minor(spec.amount, spec.currency),
            "individual_use": True,
        }
        if spec.once_per_customer:
            body["usage_limit_per_user"] = 1
        if spec.usage_limit is not None:
            body["usage_limit"] = spec.usage_limit
        if spec.minimum_minor:
            body["minimum_amount"] = from_minor(spec.minimum_minor, spec.currency)
        if spec.email:
            body["email_restrictions"] = [spec.email]
        return body

    def issue_reward_code(self, spec: DiscountSpec, *, gift_card: bool) -> Issued:
        # WooCommerce core has no gift cards: a single-use fixed coupon for the referrer.
        return self.create_discount(spec)

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> Delivery:
        """The delivery's id and topic once its signature is right; the unsigned ping a new
        webhook sends first (form-encoded `webhook_id=<n>`) is answered and ignored."""
        if not hmac_base64_matches(self.webhook_secret, body,
                                   headers.get("X-WC-Webhook-Signature")):
            if body.startswith(b"webhook_id=") and not headers.get("X-WC-Webhook-Signature"):
                return Delivery("ping", "ping", ping=True, signed=False)
            raise BadWebhook("X-WC-Webhook-Signature is missing or does not match.")
        topic = headers.get("X-WC-Webhook-Topic") or ""
        delivery_id = headers.get("X-WC-Webhook-Delivery-ID") or ""
        if body.startswith(b"webhook_id="):
            return Delivery(delivery_id or "ping", "ping", ping=True)
        if not topic or not delivery_id or len(delivery_id) > 128 or len(topic) > 64:
            raise BadWebhook("X-WC-Webhook-Topic and X-WC-Webhook-Delivery-ID are required.",
                             status=400, code="malformed_webhook")
        return Delivery(delivery_id, topic)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> Delivery:
        delivery = self.verify_webhook(headers, body)
        if delivery.ping:
            return delivery
        return map_body(delivery.delivery_id, delivery.topic, body)


def map_body(delivery_id: str, topic: str, body: bytes) -> Delivery:
    """A verified delivery's body in neutral terms (BadWebhook 400/422 with the reason)."""
    try:
        data = strict_json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BadWebhook("The webhook body is not JSON.", status=400,
                         code="malformed_json") from exc
    if not isinstance(data, dict):
        raise BadWebhook("The webhook body is not a JSON object.", status=400,
                         code="malformed_json")
    return map_webhook(delivery_id, topic, data)


def map_webhook(delivery_id: str, topic: str, order: dict[str, Any]) -> Delivery:
    delivery = Delivery(delivery_id, topic)
    if topic not in TOPICS:
        return delivery
    try:
        if order.get("status") in PAID or order.get("refunds"):
            delivery.events.append(_order(order))
        currency = str(order["currency"])
        # The order webhook names each refund by its total only (oldest first, so a later
        # refund is compared with what the earlier ones already gave back); core counts the
        # money first against shipping and tax, then against what counts toward the minimum.
        for refund in sorted(order.get("refunds") or [], key=lambda r: int(r["id"])):
            amount = abs(to_minor(refund.get("total") or 0, currency))
            if amount:
                delivery.events.append({
                    "id": f"woocommerce:refund:{store_id(refund['id'], 'refunds.id')}",
                    "type": "order.refunded", "order_id": store_id(order["id"], "id"),
                    "amount": amount, "currency": currency})
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise BadWebhook(f"The {topic} body lacks {exc}.", status=422, code="schema") from exc
    return delivery


def _order(order: dict[str, Any]) -> dict[str, Any]:
    currency = str(order["currency"])
    billing = order.get("billing") or {}
    total = to_minor(order["total"], currency)
    # Before shipping and tax, after discounts: what a minimum order means.
    subtotal = total - to_minor(order.get("shipping_total") or 0, currency) \
        - to_minor(order.get("total_tax") or 0, currency)
    name = " ".join(p for p in (billing.get("first_name"), billing.get("last_name")) if p)
    customer_id = order.get("customer_id")
    order_id = store_id(order["id"], "id")
    return {
        "id": f"woocommerce:order:{order_id}", "type": "order.completed",
        "order_id": order_id,
        "customer_id": store_id(customer_id, "customer_id") if customer_id
        else f"guest-{order_id}",
        "amount": max(subtotal, 0), "currency": currency, "total": max(total, 0),
        "codes": [str(c["code"])[:64] for c in order.get("coupon_lines") or []][:20],
        "customer": {"email": billing.get("email") or None,
                     "phone": billing.get("phone") or None, "name": name[:200] or None,
                     "ip": order.get("customer_ip_address") or None},
    }
