"""Posting signed shop events the way a shop's backend would."""

from __future__ import annotations

import json
from typing import Any

from core.webhook_signing import HEADER, sign_header


def signed(body: dict[str, Any] | bytes, secret: str, timestamp: int) -> tuple[bytes, dict]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return raw, {HEADER: sign_header([secret], timestamp, raw),
                 "Content-Type": "application/json"}


class ShopBackend:
    def __init__(self, client: Any, secret: str, clock: Any, shop: str = "demo") -> None:
        self.client, self.secret, self.clock, self.shop = client, secret, clock, shop
        self.counter = 0

    def send(self, kind: str, **fields: Any) -> Any:
        self.counter += 1
        event = {"id": fields.pop("id", f"evt_{self.counter}"), "type": kind,
                 "shop": self.shop, **fields}
        raw, headers = signed(event, self.secret, int(self.clock().timestamp()))
        return self.client.post("/api/v1/events", data=raw, headers=headers)

    def signup(self, customer_id: str, ref: str | None, **customer: Any) -> Any:
        return self.send("customer.signup", customer={"id": customer_id, **customer}, ref=ref)

    def order(self, customer_id: str, order_id: str, amount: int, currency: str = "USD",
              **extra: Any) -> Any:
        return self.send("order.completed", customer_id=customer_id, order_id=order_id,
                         amount=amount, currency=currency, **extra)

    def refund(self, order_id: str, amount: int) -> Any:
        return self.send("order.refunded", order_id=order_id, amount=amount)
