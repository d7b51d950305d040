"""A store's webhook, verified and mapped onto the lifecycle core already has.

One transaction per delivery: the shop's connection and secret are read, the signature
checked (nothing is written for a forged or unsigned one), the delivery id inserted under
a unique constraint (a re-delivery, even fifty at once, gets the first answer), then each
neutral event recorded through core.events like a signed event, with its own dedupe on the
order id (Shopify's orders/paid and WooCommerce's order.updated repeat orders)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from requests.structures import CaseInsensitiveDict
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import events, referrals
from core.clock import as_utc
from core.contacts import normalize_email, normalize_phone
from core.errors import Conflict, DomainError, InvalidInput, NotFound
from core.models import StoreConnection, StoreWebhook
from core.services import Services
from core.stores import store_for
from core.stores.base import BadWebhook, Delivery

STATUS_EVERY = timedelta(minutes=1)


class WebhookRefused(DomainError):
    """Raised with the status the store should see (401 forged, 400 unreadable)."""


@dataclass(frozen=True)
class InboundOutcome:
    delivery_id: str
    topic: str
    replayed: bool
    results: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"delivery": self.delivery_id, "topic": self.topic, "replayed": self.replayed,
                "results": self.results}


def receive(services: Services, platform: str, slug: str, headers: Mapping[str, str],
            body: bytes) -> InboundOutcome:
    """Header names are matched case-insensitively (X-WC-Webhook-Signature arrives as
    X-Wc-Webhook-Signature through WSGI)."""
    headers = CaseInsensitiveDict(dict(headers))
    for _attempt in range(3):
        try:
            with services.db.session() as session:
                return _receive(session, services, platform, slug, headers, body)
        except IntegrityError:
            continue  # a concurrent copy won: the next attempt answers with its result
    raise Conflict("The webhook collided with a concurrent delivery; send it again.",
                   code="retry")


def _receive(session: Session, services: Services, platform: str, slug: str,
             headers: Mapping[str, str], body: bytes) -> InboundOutcome:
    shop = referrals.shop_by_slug(session, slug)
    conn = session.scalar(select(StoreConnection).where(StoreConnection.shop_id == shop.id))
    if conn is None or conn.platform != platform:
        raise NotFound(f"No {platform} store is connected to this shop.", code="no_store")
    try:
        delivery = store_for(services, conn).parse_webhook(headers, body)
    except BadWebhook as exc:
        refused = WebhookRefused(str(exc), code=exc.code)
        refused.status = exc.status
        raise refused from exc
    now = services.clock()
    if conn.last_webhook_at is None or now - as_utc(conn.last_webhook_at) > STATUS_EVERY:
        conn.last_webhook_at = now  # the "last verified webhook" status, not a hot row
    if delivery.ping:
        return InboundOutcome(delivery.delivery_id, "ping", False, [])
    first = session.scalar(select(StoreWebhook).where(
        StoreWebhook.shop_id == shop.id, StoreWebhook.platform == platform,
        StoreWebhook.delivery_id == delivery.delivery_id))
    if first is not None:
        return InboundOutcome(first.delivery_id, first.topic, True,
                              list((first.result or {}).get("results", [])))
    row = StoreWebhook(shop_id=shop.id, platform=platform, delivery_id=delivery.delivery_id,
                       topic=delivery.topic[:64], received_at=services.clock())
    session.add(row)
    session.flush()  # the unique constraint decides here, before any work
    results = _process(session, services, shop.id, slug, shop.locale.split("-")[-1], delivery)
    row.result = {"results": results}
    return InboundOutcome(delivery.delivery_id, delivery.topic, False, results)


def _process(session: Session, services: Services, shop_id: int, slug: str, region: str,
             delivery: Delivery) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for raw in delivery.customers:
        customer, _ = events.upsert_customer(session, shop_id, _usable(raw, region), region,
                                             services.clock(), signing_up=False)
        results.append({"customer": customer.external_id})
    for data in delivery.events:
        data = {**data, "shop": slug}
        if isinstance(data.get("customer"), dict):
            data["customer"] = _usable(data["customer"], region)
        outcome = events.record(session, services, shop_id, data)
        results.append({"event": outcome.event_id, "type": outcome.type,
                        "replayed": outcome.replayed, "result": outcome.result})
    return results


def _usable(raw: dict[str, Any], region: str | None) -> dict[str, Any]:
    """A store's customer fields as we can keep them: an address that does not parse is
    dropped rather than failing the order (the store would re-deliver it forever)."""
    out = dict(raw)
    checks: dict[str, Callable[[str], str]] = {
        "email": normalize_email, "phone": lambda v: normalize_phone(v, region)}
    for key, check in checks.items():
        if out.get(key):
            try:
                check(str(out[key]))
            except InvalidInput:
                out[key] = None
    return out
