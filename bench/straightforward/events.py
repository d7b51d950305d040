"""The straightforward signed shop-event endpoint (POST /api/v1/events, order.completed):
checks the HMAC header (`t=<unix>,v1=<hex>` over "t.body", 300 s tolerance), dedupes on the
event id (a re-delivery gets the stored answer), and in one transaction writes the event,
the conversion and the two ledger rows and marks the referral converted, with the ORM.
The shop's webhook secret comes from BASELINE_WEBHOOK_SECRET (a plain app's config)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from datetime import timedelta
from typing import Any

from flask import Flask, abort, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bench.straightforward.db import make_sessions, now
from core.models import Conversion, Customer, LedgerEntry, Program, Referral, Shop, ShopEvent

Session = make_sessions()
SECRET = os.environ["BASELINE_WEBHOOK_SECRET"].encode()
app = Flask(__name__)


def _signed(header: str, body: bytes) -> bool:
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        stamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(time.time() - stamp) > 300:
        return False
    want = hmac.new(SECRET, f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, parts.get("v1", ""))


@app.get("/hello")
def hello() -> str:
    return "hello"


@app.post("/api/v1/events")
def events() -> Any:
    body = request.get_data()
    if not _signed(request.headers.get("X-Referral-Signature", ""), body):
        abort(401)
    try:
        data = json.loads(body)
    except ValueError:
        abort(400)
    if not isinstance(data, dict) or data.get("type") != "order.completed":
        abort(422)
    with Session() as session:
        shop = session.scalars(select(Shop).where(Shop.slug == data.get("shop"))).first()
        if shop is None:
            abort(404)
        seen = session.scalars(select(ShopEvent).where(
            ShopEvent.shop_id == shop.id, ShopEvent.event_id == data["id"])).first()
        if seen is not None:
            return jsonify({"id": seen.event_id, "result": seen.result, "replayed": True})
        stamp = now()
        result: dict[str, Any] = {"conversion": None, "reason": "not_referred"}
        friend = session.scalars(select(Customer).where(
            Customer.shop_id == shop.id, Customer.external_id == data["customer_id"])).first()
        referral = session.scalars(select(Referral).where(
            Referral.shop_id == shop.id, Referral.friend_id == friend.id)).first() \
            if friend is not None else None
        if friend is not None and friend.first_order_at is None:
            friend.first_order_at = stamp
        if referral is not None and referral.status == "pending":
            program = session.get(Program, referral.program_id)
            conversion = Conversion(shop_id=shop.id, referral_id=referral.id,
                                    order_id=data["order_id"], amount=data["amount"],
                                    currency=data["currency"], created_at=stamp)
            session.add(conversion)
            session.flush()
            hold = stamp + timedelta(days=program.hold_days)
            entries = [LedgerEntry(shop_id=shop.id, customer_id=customer_id,
                                   referral_id=referral.id, conversion_id=conversion.id,
                                   side=side, kind=kind, amount=amount,
                                   currency=program.currency, status="held",
                                   hold_until=hold, created_at=stamp)
                       for customer_id, side, kind, amount in (
                           (referral.referrer_id, "referrer", program.referrer_reward_kind,
                            program.referrer_reward_amount),
                           (friend.id, "friend", program.friend_reward_kind,
                            program.friend_reward_amount))]
            session.add_all(entries)
            referral.status = "converted"
            session.flush()
            result = {"conversion": conversion.id, "referral": referral.id,
                      "rewards": [{"id": e.id, "side": e.side, "amount": e.amount}
                                  for e in entries]}
        session.add(ShopEvent(shop_id=shop.id, event_id=data["id"], type=data["type"],
                              order_id=data.get("order_id"), payload=data, result=result,
                              received_at=stamp))
        try:
            session.commit()
        except IntegrityError:
            abort(409)
    return jsonify({"id": data["id"], "result": result, "replayed": False})
