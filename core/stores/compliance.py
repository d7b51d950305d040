"""What Shopify's app-level webhooks ask of us, mapped onto what core already does:

- `customers/data_request` -> the customer's export (core.privacy), delivered to the shop's
  owners by email (Shopify expects the app to hand the data to the merchant, who answers
  the customer);
- `customers/redact` -> erasure of the customer (by the store's id, email or phone);
- `shop/redact` (48 hours after uninstall) -> every customer of the shop erased, the store
  connection and the inbox's kept bodies gone;
- `app/uninstalled` -> the connection disconnected: credentials dropped, nothing calls the
  store; the row stays so shop/redact still finds the shop.

Amounts stay under tombstones (accounting records may be kept); what identifies a person
goes (REFERENCE "Customer data")."""

from __future__ import annotations

import json
import secrets
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core import privacy
from core.accounts import Role
from core.contacts import normalize_email, normalize_phone
from core.errors import InvalidInput
from core.messaging import outbox
from core.messaging.purpose import Purpose
from core.models import Customer, Shop, StaffUser, StoreConnection, StoreJob, StoreWebhook
from core.models.stores import StoreJobStatus
from core.services import Services

COMPLIANCE_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")
APP_TOPICS = (*COMPLIANCE_TOPICS, "app/uninstalled")
SOURCE = "shopify"


def act(session: Session, services: Services, shop: Shop, action: dict[str, Any]
        ) -> dict[str, Any]:
    kind = action["kind"]
    if kind == "uninstalled":
        return uninstalled(session, services, shop.id)
    if kind == "redact_customer":
        return redact_customer(session, services, shop, action["customer"])
    if kind == "data_request":
        return data_request(session, services, shop, action["customer"],
                            str(action.get("request_id") or ""))
    if kind == "redact_shop":
        return redact_shop(session, services, shop)
    raise InvalidInput(f"unknown action {kind!r}", code="schema")


def uninstalled(session: Session, services: Services, shop_id: int) -> dict[str, Any]:
    conn = session.scalar(select(StoreConnection).where(StoreConnection.shop_id == shop_id))
    if conn is None:
        return {"disconnected": False}
    now = services.clock()
    conn.disconnected_at = now
    conn.credentials_sealed = services.box.seal("{}")
    conn.webhooks_registered_at, conn.hint = None, ""
    conn.last_error = "The app was uninstalled from Shopify."
    for job in session.scalars(select(StoreJob).where(
            StoreJob.shop_id == shop_id, StoreJob.status == StoreJobStatus.PENDING)):
        job.status, job.last_error = StoreJobStatus.FAILED, "the store was disconnected"
    return {"disconnected": True}


def _matching(session: Session, shop_id: int, person: dict[str, Any],
              region: str) -> list[Customer]:
    """Our customers the store's request names: by its customer id, email or phone."""
    conditions = []
    if person.get("id") not in (None, ""):
        conditions.append(Customer.external_id == str(person["id"])[:128])
    for key, normalize, column in (("email", normalize_email, Customer.email),
                                   ("phone", lambda v: normalize_phone(v, region),
                                    Customer.phone)):
        if person.get(key):
            try:
                conditions.append(column == normalize(str(person[key])))
            except InvalidInput:
                continue
    if not conditions:
        return []
    return list(session.scalars(select(Customer).where(
        Customer.shop_id == shop_id, or_(*conditions)).order_by(Customer.id)))


def redact_customer(session: Session, services: Services, shop: Shop,
                    person: dict[str, Any]) -> dict[str, Any]:
    erased = 0
    for customer in _matching(session, shop.id, person, shop.locale.split("-")[-1]):
        if privacy.erase_found(session, services, customer.id, source=SOURCE) is not None:
            erased += 1
    _forget_bodies(session, shop.id, person)
    return {"erased": erased}


def _forget_bodies(session: Session, shop_id: int, person: dict[str, Any]) -> None:
    """Kept deliveries (refused or dead) that name the person lose their body."""
    values = [str(v).lower() for v in (person.get("id"), person.get("email"),
                                       person.get("phone")) if v not in (None, "")]
    if not values:
        return
    for row in session.scalars(select(StoreWebhook).where(
            StoreWebhook.shop_id == shop_id, StoreWebhook.body != "")):
        if any(v in row.body.lower() for v in values):
            row.body = privacy.ERASED


def data_request(session: Session, services: Services, shop: Shop, person: dict[str, Any],
                 request_id: str) -> dict[str, Any]:
    """The export of every customer the request names, mailed to the shop's owners."""
    exports = [privacy.export_customer(session, shop.id, c.external_id,
                                       services.settings.hash_key, services.clock())
               for c in _matching(session, shop.id, person, shop.locale.split("-")[-1])
               if c.external_id and not c.external_id.startswith(privacy.TOMBSTONE_PREFIX)]
    owners = list(session.scalars(select(StaffUser).where(
        StaffUser.shop_id == shop.id, StaffUser.role == Role.OWNER).order_by(StaffUser.id)))
    document = json.dumps({"shopify_data_request": request_id, "customers": exports},
                          ensure_ascii=False, indent=2, default=str)
    for owner in owners:
        outbox.enqueue(session, hash_key=services.settings.hash_key, shop_id=shop.id,
                       kind="store_data_request", purpose=Purpose.TRANSACTIONAL,
                       channel="email", recipient=owner.email, locale=shop.locale,
                       idempotency_key=f"store_data_request:{shop.id}:{owner.id}:"
                                       f"{request_id or secrets.token_hex(8)}"[:128],
                       context={"shop_name": shop.name, "request": request_id,
                                "found": str(len(exports)), "export": document},
                       now=services.clock())
    return {"exported": len(exports), "sent_to_owners": len(owners)}


def redact_shop(session: Session, services: Services, shop: Shop) -> dict[str, Any]:
    """Every customer of the shop erased (their amounts stay under tombstones), the store's
    connection removed and the inbox's kept bodies cleared."""
    erased = 0
    ids = list(session.scalars(select(Customer.id).where(Customer.shop_id == shop.id)))
    for customer_id in ids:
        if privacy.erase_found(session, services, customer_id, source=SOURCE) is not None:
            erased += 1
    for row in session.scalars(select(StoreWebhook).where(StoreWebhook.shop_id == shop.id,
                                                         StoreWebhook.body != "")):
        row.body = privacy.ERASED
    uninstalled(session, services, shop.id)
    return {"erased": erased}
