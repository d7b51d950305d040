"""Webhook bodies shaped like each platform's documented samples (Shopify's orders/paid,
refunds/create and customers/create examples in the webhook reference; WooCommerce's
order object from the REST API reference, which is what its order webhooks carry), with
the fields we read overridable, and the deliveries signed the way each platform signs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from decimal import Decimal
from typing import Any


def sign(secret: str, raw: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()


def _money(shop: Decimal, currency: str, presentment: str, rate: Decimal) -> dict[str, Any]:
    """Shopify's money bag: the shop's amount and the buyer's (presentment) amount."""
    return {"shop_money": {"amount": f"{shop:.2f}", "currency_code": currency},
            "presentment_money": {"amount": f"{shop * rate:.2f}", "currency_code": presentment}}


def shopify_order(order_id: int = 820982911946154508, *, codes: list[str] | None = None,
                  customer_id: int | str | None = 115310627314723954,
                  email: str = "jon@example.com", subtotal: str = "60.00",
                  shipping: str = "5.00", tax: str = "5.00", currency: str = "USD",
                  presentment: str | None = None, rate: str = "1",
                  total: str | None = None) -> dict[str, Any]:
    """An orders/paid body after the example in Shopify's webhook reference
    (https://shopify.dev/docs/api/webhooks/2026-07?reference=toml#list-of-topics-orders/paid,
    the REST Order resource's fields: https://shopify.dev/docs/api/admin-rest/2025-07/
    resources/order#resource-object): `subtotal_price` after discounts and before shipping
    and tax, `total_price` with them, both in the shop's `currency`, and every amount again
    in the buyer's `presentment_currency` in its `*_set` money bag."""
    buyer = presentment or currency
    fx = Decimal(rate)
    sub, ship, vat = Decimal(subtotal), Decimal(shipping), Decimal(tax)
    paid = Decimal(total) if total is not None else sub + ship + vat
    customer = None if customer_id is None else {
        "id": customer_id, "email": email, "created_at": "2026-11-24T10:00:00-05:00",
        "first_name": "Jon", "last_name": "Snow", "state": "enabled", "note": None,
        "verified_email": True, "phone": None, "currency": currency, "tags": "",
        "default_address": {"id": 1, "customer_id": customer_id, "country_code": "US"}}
    return {
        "id": order_id, "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        "app_id": None, "browser_ip": "203.0.113.7", "buyer_accepts_marketing": False,
        "cancel_reason": None, "cancelled_at": None, "checkout_id": 901414060,
        "client_details": {"accept_language": "en-US", "browser_ip": "203.0.113.7"},
        "confirmed": True, "contact_email": email, "created_at": "2026-11-24T10:05:00-05:00",
        "currency": currency, "current_subtotal_price": f"{sub:.2f}",
        "current_subtotal_price_set": _money(sub, currency, buyer, fx),
        "current_total_price": f"{paid:.2f}",
        "current_total_price_set": _money(paid, currency, buyer, fx),
        "current_total_tax": f"{vat:.2f}", "customer_locale": "en",
        "discount_codes": [{"code": c, "amount": "6.00", "type": "percentage"}
                           for c in codes or []],
        "email": email, "financial_status": "paid", "name": "#1001", "phone": None,
        "presentment_currency": buyer, "subtotal_price": f"{sub:.2f}",
        "subtotal_price_set": _money(sub, currency, buyer, fx),
        "total_price": f"{paid:.2f}", "total_price_set": _money(paid, currency, buyer, fx),
        "total_tax": f"{vat:.2f}", "total_tax_set": _money(vat, currency, buyer, fx),
        "total_shipping_price_set": _money(ship, currency, buyer, fx), "test": False,
        "line_items": [{"id": 866550311766439020, "title": "IPod Nano - 8GB", "quantity": 1,
                        "price": f"{sub:.2f}", "price_set": _money(sub, currency, buyer, fx)}],
        "shipping_lines": [{"id": 271878346596884015, "code": "Standard", "title": "Standard",
                            "price": f"{ship:.2f}", "price_set": _money(ship, currency, buyer,
                                                                        fx)}],
        "customer": customer,
    }


def shopify_refund(order_id: int = 820982911946154508, *, refund_id: int = 890088186047892319,
                   amount: str = "60.00", currency: str = "USD",
                   items: list[tuple[str, str]] | None = None, shipping: str | None = None,
                   shop_currency: str = "USD", rate: str = "1",
                   refund_key: Any = None) -> dict[str, Any]:
    """A refunds/create body after the example in Shopify's webhook reference
    (https://shopify.dev/docs/api/webhooks/2026-07?reference=toml#list-of-topics-refunds/create,
    fields: https://shopify.dev/docs/api/admin-rest/2025-07/resources/refund#resource-object):
    `refund_line_items` with each item's `subtotal` and `total_tax` (and their `*_set` bags,
    shop money first), a shipping refund as an `order_adjustments` row of kind
    `shipping_refund`, and the money back as `transactions` of kind `refund`, in the
    currency the buyer paid in. `items`: (subtotal, tax) per refunded line in shop money."""
    fx = Decimal(rate)
    lines = [{"id": 487817672276298627 + n, "quantity": 1, "line_item_id": 866550311766439020,
              "location_id": None, "restock_type": "no_restock",
              "subtotal": float(sub), "total_tax": float(vat),
              "subtotal_set": _money(Decimal(sub), shop_currency, currency, fx),
              "total_tax_set": _money(Decimal(vat), shop_currency, currency, fx)}
             for n, (sub, vat) in enumerate(items or [])]
    adjustments = [] if shipping is None else [{
        "id": 1030976842, "order_id": order_id, "refund_id": refund_id,
        "amount": f"-{Decimal(shipping):.2f}", "tax_amount": "0.00", "kind": "shipping_refund",
        "reason": "Shipping refund",
        "amount_set": _money(-Decimal(shipping), shop_currency, currency, fx),
        "tax_amount_set": _money(Decimal(0), shop_currency, currency, fx)}]
    return {
        "id": refund_id if refund_key is None else refund_key, "order_id": order_id,
        "created_at": "2026-11-25T12:00:00-05:00", "note": "Things were damaged",
        "restock": True, "user_id": None, "processed_at": "2026-11-25T12:00:00-05:00",
        "admin_graphql_api_id": f"gid://shopify/Refund/{refund_id}", "duties": [],
        "refund_line_items": lines, "order_adjustments": adjustments,
        "transactions": [{"id": 389404469, "order_id": order_id, "kind": "refund",
                          "gateway": "bogus", "status": "success", "amount": amount,
                          "currency": currency, "parent_id": 801038806}],
    }


def shopify_customer(customer_id: int = 706405506930370084, *, email: str = "bob@biller.com",
                     phone: str | None = None) -> dict[str, Any]:
    return {"id": customer_id, "email": email, "created_at": "2026-11-24T10:00:00-05:00",
            "first_name": "Bob", "last_name": "Biller", "state": "disabled", "note": None,
            "verified_email": True, "phone": phone, "tags": "", "currency": "USD",
            "addresses": []}


def shopify_delivery(secret: str, topic: str, body: dict[str, Any], *,
                     domain: str = "demo-shop.myshopify.com",
                     webhook_id: str | None = None) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    return raw, {"Content-Type": "application/json", "X-Shopify-Topic": topic,
                 "X-Shopify-Hmac-Sha256": sign(secret, raw), "X-Shopify-Shop-Domain": domain,
                 "X-Shopify-API-Version": "2026-07",
                 "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
                 "X-Shopify-Triggered-At": "2026-11-24T15:05:00Z"}


def woo_order(order_id: int | str = 727, *, codes: list[str] | None = None,
              status: str = "processing", customer_id: int | str = 0,
              email: str = "john.doe@example.com", total: str = "65.00",
              shipping: str = "5.00", refunds: list[dict[str, Any]] | None = None,
              currency: str = "USD", tax: str = "0.00") -> dict[str, Any]:
    """An order as WooCommerce's order webhooks carry it: the REST API's order object
    (https://woocommerce.github.io/woocommerce-rest-api-docs/#order-properties, the example
    under "Retrieve an order"): `total` with shipping and tax, `shipping_total`, `total_tax`,
    and `refunds` as `{id, reason, total}` with a negative total (the order's refunds list,
    https://woocommerce.github.io/woocommerce-rest-api-docs/#order-refunds)."""
    return {
        "id": order_id, "parent_id": 0, "number": str(order_id), "order_key": "wc_order_58d2d",
        "created_via": "checkout", "version": "9.4.0", "status": status,
        "currency": currency, "date_created": "2026-11-24T10:05:00",
        "discount_total": "6.00", "discount_tax": "0.00", "shipping_total": shipping,
        "shipping_tax": "0.00", "cart_tax": tax, "total": total, "total_tax": tax,
        "prices_include_tax": False, "customer_id": customer_id,
        "customer_ip_address": "203.0.113.9", "customer_user_agent": "Mozilla/5.0",
        "billing": {"first_name": "John", "last_name": "Doe", "company": "",
                    "address_1": "969 Market", "city": "San Francisco", "state": "CA",
                    "postcode": "94103", "country": "US", "email": email,
                    "phone": "(555) 555-5555"},
        "payment_method": "bacs", "transaction_id": "", "date_paid": "2026-11-24T10:06:00",
        "line_items": [{"id": 315, "name": "Woo Single #1", "product_id": 93, "quantity": 2,
                        "subtotal": "33.00", "total": "30.00"}],
        "coupon_lines": [{"id": 318 + n, "code": c, "discount": "6.00", "discount_tax": "0.00"}
                         for n, c in enumerate(codes or [])],
        "refunds": refunds or [],
    }


def woo_delivery(secret: str, topic: str, body: dict[str, Any], *,
                 delivery_id: str | None = None) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    resource, _, event = topic.partition(".")
    return raw, {"Content-Type": "application/json", "X-WC-Webhook-Source":
                 "https://woo.example/", "X-WC-Webhook-Topic": topic,
                 "X-WC-Webhook-Resource": resource, "X-WC-Webhook-Event": event,
                 "X-WC-Webhook-Signature": sign(secret, raw), "X-WC-Webhook-ID": "10",
                 "X-WC-Webhook-Delivery-ID": delivery_id or uuid.uuid4().hex}
