"""Shopify through the Admin GraphQL API (pinned version) and its webhooks.

Calls: `POST https://<shop>.myshopify.com/admin/api/<version>/graphql.json` with
`X-Shopify-Access-Token`. Business errors arrive as `userErrors` with HTTP 200 (a taken
code is `TAKEN`), throttling as a top-level `THROTTLED` error. Webhooks are signed with the
app's secret: `X-Shopify-Hmac-Sha256` = base64(HMAC-SHA256(secret, raw body))."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
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

API_VERSION = "2026-07"
TOPICS = ("ORDERS_PAID", "REFUNDS_CREATE", "CUSTOMERS_CREATE")
DOMAIN_SUFFIX = ".myshopify.com"

WEBHOOK_CREATE = """
mutation webhookSubscriptionCreate($topic: WebhookSubscriptionTopic!,
                                   $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}"""
DISCOUNT_CREATE = """
mutation discountCodeBasicCreate($basicCodeDiscount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}"""
DISCOUNT_UPDATE = """
mutation discountCodeBasicUpdate($id: ID!, $basicCodeDiscount: DiscountCodeBasicInput!) {
  discountCodeBasicUpdate(id: $id, basicCodeDiscount: $basicCodeDiscount) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}"""
CODES_ADD = """
mutation discountRedeemCodeBulkAdd($discountId: ID!, $codes: [DiscountRedeemCodeInput!]!) {
  discountRedeemCodeBulkAdd(discountId: $discountId, codes: $codes) {
    bulkCreation { id }
    userErrors { code field message }
  }
}"""
SHOP_NAME = """
query shopName {
  shop { name myshopifyDomain }
}"""
GIFT_CARD_CREATE = """
mutation giftCardCreate($input: GiftCardCreateInput!) {
  giftCardCreate(input: $input) {
    giftCard { id maskedCode }
    giftCardCode
    userErrors { field code message }
  }
}"""


def valid_domain(domain: str) -> bool:
    name = domain.removesuffix(DOMAIN_SUFFIX)
    return domain.endswith(DOMAIN_SUFFIX) and bool(name) and all(
        ch.isalnum() or ch == "-" for ch in name) and name[0] != "-" and domain == domain.lower()


@dataclass
class ShopifyStore:
    domain: str
    access_token: str
    webhook_secret: str
    api_version: str = API_VERSION
    now: datetime | None = None  # startsAt for new discounts (the injected clock's now)
    origin: str = ""  # https://<domain> unless a test points it at a local stand-in
    http_session: requests.Session = field(default_factory=requests.Session)
    timeout: tuple[float, float] = http.TIMEOUT
    name: str = "shopify"

    @property
    def endpoint(self) -> str:
        origin = self.origin or f"https://{self.domain}"
        return f"{origin}/admin/api/{self.api_version}/graphql.json"

    def graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = http.send(self.http_session, "POST", self.endpoint,
                             json={"query": query, "variables": variables},
                             headers={"X-Shopify-Access-Token": self.access_token,
                                      "Content-Type": "application/json"},
                             timeout=self.timeout)
        body = http.json_of(response)
        if response.status_code >= 400:
            raise StoreError(f"Shopify answered {response.status_code}: "
                             f"{str(body)[:200]}", retryable=False)
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors:
            codes = {(e.get("extensions") or {}).get("code") for e in errors
                     if isinstance(e, dict)}
            if "THROTTLED" in codes:
                raise StoreError("Shopify throttled the query", retryable=True,
                                 retry_after=_throttle_wait(body), code="throttled")
            raise StoreError(f"Shopify refused the query: {str(errors)[:300]}",
                             retryable=False)
        return body.get("data") or {}

    def probe(self) -> str:
        """The connect test: a real read with the token (StoreError saying what is wrong)."""
        shop = self.graphql(SHOP_NAME, {}).get("shop") or {}
        return str(shop.get("name") or self.domain)

    # --- the interface ----------------------------------------------------------------

    def register_webhooks(self, callback_url: str) -> list[str]:
        made = []
        for topic in TOPICS:
            data = self.graphql(WEBHOOK_CREATE, {"topic": topic, "webhookSubscription": {
                "uri": callback_url, "format": "JSON"}})
            payload = data.get("webhookSubscriptionCreate") or {}
            errors = payload.get("userErrors") or []
            if errors and not all("taken" in str(e.get("message", "")).lower()
                                  for e in errors):
                raise StoreError(f"Shopify refused the {topic} subscription: "
                                 f"{errors[0].get('message')}", retryable=False)
            made.append(topic)
        return made

    def create_discount(self, spec: DiscountSpec) -> Issued:
        data = self.graphql(DISCOUNT_CREATE, {"basicCodeDiscount": self._discount_input(spec)})
        payload = data.get("discountCodeBasicCreate") or {}
        _raise_user_errors(payload.get("userErrors") or [], spec.code)
        node_id = str((payload.get("codeDiscountNode") or {}).get("id", ""))
        return Issued(spec.code, node_id, note=self._add_aliases(node_id, spec.aliases))

    def update_discount(self, store_id: str, spec: DiscountSpec) -> Issued:
        """New terms for a discount we made: value and minimum (a minimum of zero is sent
        as a zero subtotal, so a lifted minimum is lifted in the store too)."""
        fields = self._discount_input(spec)
        changes = {k: fields[k] for k in ("title", "customerGets")}
        changes["minimumRequirement"] = fields.get("minimumRequirement") or {"subtotal": {
            "greaterThanOrEqualToSubtotal": from_minor(0, spec.currency)}}
        data = self.graphql(DISCOUNT_UPDATE, {"id": store_id, "basicCodeDiscount": changes})
        payload = data.get("discountCodeBasicUpdate") or {}
        _raise_user_errors(payload.get("userErrors") or [], spec.code)
        return Issued(spec.code, store_id)

    def _add_aliases(self, discount_id: str, aliases: tuple[str, ...]) -> str:
        """Best effort: the discount works without them, so a failure is noted, not
        retried (a retry would find the code taken and never reach this step)."""
        if not aliases or not discount_id:
            return ""
        try:
            data = self.graphql(CODES_ADD, {"discountId": discount_id,
                                            "codes": [{"code": a} for a in aliases]})
        except StoreError as exc:
            return f"aliases not added: {exc}"
        errors = (data.get("discountRedeemCodeBulkAdd") or {}).get("userErrors") or []
        return f"aliases not added: {errors[0].get('message')}" if errors else ""

    def issue_reward_code(self, spec: DiscountSpec, *, gift_card: bool) -> Issued:
        if not gift_card or spec.kind != "fixed":
            return self.create_discount(spec)
        code = "".join(ch for ch in spec.code if ch.isalnum())[:20]  # 8-20 letters/digits
        # initialAmount (MoneyInput) replaces initialValue, deprecated in 2026-07.
        data = self.graphql(GIFT_CARD_CREATE, {"input": {
            "initialAmount": {"amount": from_minor(spec.amount, spec.currency),
                              "currencyCode": spec.currency},
            "code": code, "note": spec.title}})
        payload = data.get("giftCardCreate") or {}
        _raise_user_errors(payload.get("userErrors") or [], code)
        card = payload.get("giftCard") or {}
        return Issued(code, str(card.get("id", "")), kind="gift_card")

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> Delivery:
        """The delivery's id and topic once its HMAC is right (nothing read of the body)."""
        if not hmac_base64_matches(self.webhook_secret, body,
                                   headers.get("X-Shopify-Hmac-Sha256")):
            raise BadWebhook("X-Shopify-Hmac-Sha256 is missing or does not match.")
        domain = (headers.get("X-Shopify-Shop-Domain") or "").lower()
        if domain and domain != self.domain:
            raise BadWebhook("The webhook names another shop.", code="wrong_shop")
        delivery_id = headers.get("X-Shopify-Webhook-Id") or ""
        topic = headers.get("X-Shopify-Topic") or ""
        if not delivery_id or not topic or len(delivery_id) > 128 or len(topic) > 64:
            raise BadWebhook("X-Shopify-Webhook-Id and X-Shopify-Topic are required.",
                             status=400, code="malformed_webhook")
        return Delivery(delivery_id, topic)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> Delivery:
        delivery = self.verify_webhook(headers, body)
        return map_body(delivery.delivery_id, delivery.topic, body)

    # --- details ------------------------------------------------------------------------

    def _discount_input(self, spec: DiscountSpec) -> dict[str, Any]:
        if spec.kind == "percent":
            value: dict[str, Any] = {"percentage": spec.amount / 100}
        else:
            value = {"discountAmount": {"amount": from_minor(spec.amount, spec.currency),
                                        "appliesOnEachItem": False}}
        out: dict[str, Any] = {
            "title": spec.title, "code": spec.code, "context": {"all": "ALL"},
            "customerGets": {"value": value, "items": {"all": True}},
            "appliesOncePerCustomer": spec.once_per_customer,
        }
        if self.now is not None:
            out["startsAt"] = self.now.isoformat()
        if spec.minimum_minor:
            out["minimumRequirement"] = {"subtotal": {
                "greaterThanOrEqualToSubtotal": from_minor(spec.minimum_minor, spec.currency)}}
        if spec.usage_limit is not None:
            out["usageLimit"] = spec.usage_limit
        return out


def _raise_user_errors(errors: list[dict[str, Any]], code: str) -> None:
    if not errors:
        return
    if any(e.get("code") == "TAKEN" for e in errors):
        raise AlreadyExists(f"Shopify already has the code {code}")
    raise StoreError("Shopify refused: " + "; ".join(str(e.get("message")) for e in errors),
                     retryable=False, code="store_refused")


def _throttle_wait(body: dict[str, Any]) -> float:
    cost = ((body.get("extensions") or {}).get("cost") or {})
    status = cost.get("throttleStatus") or {}
    try:
        missing = float(cost.get("requestedQueryCost", 0)) - float(
            status.get("currentlyAvailable", 0))
        return max(1.0, missing / max(float(status.get("restoreRate", 50)), 1.0))
    except (TypeError, ValueError):
        return 2.0


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = strict_json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BadWebhook("The webhook body is not JSON.", status=400,
                         code="malformed_json") from exc
    if not isinstance(data, dict):
        raise BadWebhook("The webhook body is not a JSON object.", status=400,
                         code="malformed_json")
    return data


def _name(person: dict[str, Any]) -> str:
    return " ".join(str(p) for p in (person.get("first_name"), person.get("last_name"))
                    if p)[:200]


def map_body(delivery_id: str, topic: str, body: bytes) -> Delivery:
    """A verified delivery's body in neutral terms (BadWebhook 400/422 with the reason)."""
    return map_webhook(delivery_id, topic, _json_object(body))


def map_webhook(delivery_id: str, topic: str, data: dict[str, Any]) -> Delivery:
    """orders/paid -> order.completed (discount_codes -> codes), refunds/create ->
    order.refunded (successful refund transactions), customers/create -> the customer."""
    delivery = Delivery(delivery_id, topic)
    try:
        if topic in ("orders/paid", "orders/create"):
            delivery.events.append(_order(data))
        elif topic == "refunds/create":
            refund = _refund(data)
            if refund is not None:
                delivery.events.append(refund)
        elif topic == "customers/create":
            delivery.customers.append(_customer(data))
        elif topic == "app/uninstalled":
            delivery.actions.append({"kind": "uninstalled"})
        elif topic in ("customers/redact", "customers/data_request"):
            person = data["customer"]
            if not isinstance(person, dict):
                raise TypeError("customer")
            named = {k: str(person[k])[:320] for k in ("id", "email", "phone")
                     if person.get(k) not in (None, "")}
            if "id" in named:
                named["id"] = store_id(person["id"], "customer.id")
            action: dict[str, Any] = {"kind": "redact_customer" if topic == "customers/redact"
                                      else "data_request", "customer": named}
            if topic == "customers/data_request":
                action["request_id"] = str((data.get("data_request") or {}).get("id", ""))[:64]
            delivery.actions.append(action)
        elif topic == "shop/redact":
            delivery.actions.append({"kind": "redact_shop"})
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise BadWebhook(f"The {topic} body lacks {exc}.", status=422, code="schema") from exc
    return delivery


def _customer(data: dict[str, Any]) -> dict[str, Any]:
    return {"id": store_id(data["id"], "customer.id"), "email": data.get("email") or None,
            "phone": data.get("phone") or None, "name": _name(data) or None}


def _shop_money(data: dict[str, Any], name: str) -> Any:
    """The shop-currency amount of a field: its `<name>_set.shop_money.amount` where the
    payload has the money bag, else the plain field (also in the shop's currency)."""
    bag = ((data.get(f"{name}_set") or {}).get("shop_money") or {})
    return bag.get("amount") if bag.get("amount") is not None else data.get(name)


def _order(order: dict[str, Any]) -> dict[str, Any]:
    """`currency` and the plain amounts are the shop's; what the buyer paid in their own
    currency (`presentment_currency`, `total_price_set.presentment_money`) is kept beside
    them, because refund transactions are in it."""
    currency = str(order["currency"])
    customer = order.get("customer") or {}
    # Subtotal after discounts, before shipping and tax: what a minimum order means.
    subtotal = _shop_money(order, "current_subtotal_price") \
        or _shop_money(order, "subtotal_price") or order["total_price"]
    total = _shop_money(order, "total_price") or subtotal
    ip = order.get("browser_ip") or (order.get("client_details") or {}).get("browser_ip")
    order_id = store_id(order["id"], "id")
    event: dict[str, Any] = {
        "id": f"shopify:order:{order_id}", "type": "order.completed", "order_id": order_id,
        "customer_id": store_id(customer["id"], "customer.id") if customer.get("id")
        else f"guest-{order_id}",
        "amount": to_minor(subtotal, currency), "currency": currency,
        "total": to_minor(total, currency),
        "codes": [str(d["code"])[:64] for d in order.get("discount_codes") or []][:20],
        "customer": {"email": customer.get("email") or order.get("email") or None,
                     "phone": customer.get("phone") or order.get("phone") or None,
                     "name": _name(customer) or None, "ip": ip or None,
                     "locale": (order.get("customer_locale") or None)},
    }
    buyer_currency = str(order.get("presentment_currency") or currency)
    buyer_total = ((order.get("total_price_set") or {}).get("presentment_money") or {}) \
        .get("amount")
    if buyer_currency != currency and buyer_total is not None:
        event["presentment"] = {"currency": buyer_currency,
                                "total": to_minor(buyer_total, buyer_currency)}
    return event


def _refund(refund: dict[str, Any]) -> dict[str, Any] | None:
    """The money back (successful refund transactions, in their currency: the presentment
    currency on a multi-currency order) and, when line items were refunded, their subtotal
    in the shop's currency: what takes back what counts toward the minimum. Shipping
    (order_adjustments, refund_shipping_lines) and tax are money back that does not."""
    paid_back = [t for t in refund.get("transactions") or []
                 if t.get("kind") == "refund" and t.get("status") == "success"]
    if not paid_back:
        return None  # a restock or an adjustment without money back
    currencies = {str(t.get("currency") or "") for t in paid_back}
    if len(currencies) != 1 or "" in currencies:
        raise BadWebhook("The refund's transactions name no single currency.", status=422,
                         code="schema")
    currency = currencies.pop()
    amount = sum(to_minor(t["amount"], currency) for t in paid_back)
    if amount <= 0:
        return None
    event: dict[str, Any] = {"id": f"shopify:refund:{store_id(refund['id'], 'id')}",
                             "type": "order.refunded", "amount": amount,
                             "order_id": store_id(refund["order_id"], "order_id"),
                             "currency": currency}
    items = refund.get("refund_line_items") or []
    if items:
        shop_currency = next((str(((i.get("subtotal_set") or {}).get("shop_money") or {})
                                  .get("currency_code")) for i in items
                              if (i.get("subtotal_set") or {}).get("shop_money")), currency)
        event["subtotal"] = sum(to_minor(_shop_money(i, "subtotal") or 0, shop_currency)
                                for i in items)
    return event
