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
from typing import Any


def sign(secret: str, raw: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()


def shopify_order(order_id: int = 820982911946154508, *, codes: list[str] | None = None,
                  customer_id: int | None = 115310627314723954,
                  email: str = "jon@example.com", subtotal: str = "60.00",
                  currency: str = "USD") -> dict[str, Any]:
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
        "currency": currency, "current_subtotal_price": subtotal,
        "current_total_price": subtotal, "customer_locale": "en",
        "discount_codes": [{"code": c, "amount": "6.00", "type": "percentage"}
                           for c in codes or []],
        "email": email, "financial_status": "paid", "name": "#1001", "phone": None,
        "presentment_currency": currency, "subtotal_price": subtotal,
        "total_price": subtotal, "total_tax": "0.00", "test": False,
        "line_items": [{"id": 866550311766439020, "title": "IPod Nano - 8GB", "quantity": 1,
                        "price": subtotal}],
        "customer": customer,
    }


def shopify_refund(order_id: int = 820982911946154508, *, refund_id: int = 890088186047892319,
                   amount: str = "60.00", currency: str = "USD") -> dict[str, Any]:
    return {
        "id": refund_id, "order_id": order_id, "created_at": "2026-11-25T12:00:00-05:00",
        "note": "Things were damaged", "restock": True, "user_id": None,
        "refund_line_items": [], "order_adjustments": [],
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


def woo_order(order_id: int = 727, *, codes: list[str] | None = None, status: str = "processing",
              customer_id: int = 0, email: str = "john.doe@example.com", total: str = "65.00",
              shipping: str = "5.00", refunds: list[dict[str, Any]] | None = None,
              currency: str = "USD") -> dict[str, Any]:
    return {
        "id": order_id, "parent_id": 0, "number": str(order_id), "order_key": "wc_order_58d2d",
        "created_via": "checkout", "version": "9.4.0", "status": status,
        "currency": currency, "date_created": "2026-11-24T10:05:00",
        "discount_total": "6.00", "discount_tax": "0.00", "shipping_total": shipping,
        "shipping_tax": "0.00", "cart_tax": "0.00", "total": total, "total_tax": "0.00",
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
