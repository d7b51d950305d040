"""The shop API's customer use cases: save a customer by the shop's own id, and read their
reward ledger. Each is one call scoped to the shop, answering with plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import events, shops
from core.errors import NotFound
from core.models import Customer, LedgerEntry
from core.models.rewards import ENTRY_STATUSES
from core.paging import Page, page_of
from core.services import Services

__all__ = ["ENTRY_STATUSES", "CustomerRecord", "LedgerLine", "external_ids", "ledger", "save"]

CONSENT_FLAGS = ("consent_email", "consent_sms")


@dataclass(frozen=True)
class CustomerRecord:
    external_id: str
    name: str
    email: str | None
    phone: str | None  # E.164
    locale: str


def save(services: Services, shop_id: int, external_id: str,
         fields: dict[str, Any]) -> CustomerRecord:
    """Create or update by the shop's id (contacts read as a signed event reads them, in the
    shop's region), consents as given; no sign-up is recorded. Two first saves of one new
    id at once: the one that loses the insert runs again as an update."""
    try:
        return _save(services, shop_id, external_id, fields)
    except IntegrityError:
        return _save(services, shop_id, external_id, fields)


def _save(services: Services, shop_id: int, external_id: str,
          fields: dict[str, Any]) -> CustomerRecord:
    with services.db.session() as uow:
        shop = shops.get(uow, shop_id)
        customer, _ = events.upsert_customer(uow, shop.id, {**fields, "id": external_id},
                                             shop.locale.split("-")[-1], services.clock(),
                                             signing_up=False)
        for flag in CONSENT_FLAGS:
            if flag in fields:
                setattr(customer, flag, fields[flag])
        return CustomerRecord(customer.external_id or external_id, customer.name, customer.email,
                              customer.phone, customer.locale)


@dataclass(frozen=True)
class LedgerLine:
    id: int
    side: str  # friend | referrer | level2
    kind: str
    amount: int  # negative on a reversal
    currency: str
    status: str
    entry_type: str  # reward | reversal
    reverses_id: int | None
    referral_id: int
    hold_until: datetime | None
    approved_at: datetime | None
    created_at: datetime
    note: str


def _line(e: LedgerEntry) -> LedgerLine:
    return LedgerLine(e.id, e.side, e.kind, e.amount, e.currency, e.status, e.entry_type,
                      e.reverses_id, e.referral_id, e.hold_until, e.approved_at,
                      e.created_at, e.note)


def ledger(services: Services, shop_id: int, external_id: str, *, after: int,
           limit: int) -> Page[LedgerLine]:
    """One customer's reward entries, oldest first; NotFound for an id the shop has not."""
    with services.db.session() as uow:
        customer_id = uow.scalar(select(Customer.id).where(
            Customer.shop_id == shop_id, Customer.external_id == external_id))
        if customer_id is None:
            raise NotFound("No such customer.", code="unknown_customer")
        rows = list(uow.scalars(select(LedgerEntry).where(
            LedgerEntry.customer_id == customer_id, LedgerEntry.id > after)
            .order_by(LedgerEntry.id).limit(limit + 1)))
        return page_of(rows, limit, _line, key=lambda e: e.id)


def external_ids(services: Services, shop_id: int, *, limit: int = 50) -> list[str]:
    """The shop's first customer ids in order (the console's customer picker)."""
    with services.db.session() as uow:
        return [c for c in uow.scalars(select(Customer.external_id).where(
            Customer.shop_id == shop_id, Customer.external_id.is_not(None))
            .order_by(Customer.external_id).limit(limit)) if c is not None]
