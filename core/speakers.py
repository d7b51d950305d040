"""Who is speaking: the customer a voice user is linked to at a shop, with their active code
and whether the shop wants share events, read in one statement at the start of a turn.

A turn used to read the customer, then the code, then the shop's webhook endpoints, each an
ORM query (the statement built, its cache key computed, the rows turned into objects): most
of a share turn's time. Here one prebuilt Core statement reads the columns, and the
customer and the code become ORM objects the session knows, as if it had loaded them
(`make_transient_to_detached`, then `add`: no SQL), so handlers work with them as before.

The read is FOR KEY SHARE of the customer (PostgreSQL; on SQLite a locking read starts the
write transaction, core.db): an erasure holds the customer FOR UPDATE, so a turn either
finishes before it or waits and then finds the voice identity gone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, exists, inspect, select
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict

from core.models import Customer, ReferralCode, VoiceIdentity, WebhookEndpoint
from core.referrals import _ACTIVE_CODE  # the partial index's own expression

SHARE_EVENT = "share.created"
_customers = Customer.__table__
_codes = ReferralCode.__table__
_identities = VoiceIdentity.__table__
_endpoints = WebhookEndpoint.__table__
_CUSTOMER = [c.key for c in _customers.columns]
_CODE = [c.key for c in _codes.columns]
_SHARE_WEBHOOKS = exists().where(
    _endpoints.c.shop_id == bindparam("shop_id"), _endpoints.c.event_type == SHARE_EVENT,
    _endpoints.c.active.is_(True)).label("share_webhooks")
_SPEAKER = (
    select(*_customers.columns, *(c.label(f"code_{c.key}") for c in _codes.columns),
           _SHARE_WEBHOOKS)
    .select_from(_identities.join(_customers, _identities.c.customer_id == _customers.c.id)
                 .outerjoin(_codes, and_(_codes.c.customer_id == _customers.c.id,
                                         _ACTIVE_CODE)))
    .where(_identities.c.shop_id == bindparam("shop_id"),
           _identities.c.assistant == bindparam("assistant"),
           _identities.c.assistant_user_id == bindparam("user"))
    .with_for_update(key_share=True, of=_customers))


@dataclass(frozen=True)
class Speaker:
    customer: Customer
    code: ReferralCode | None  # the active code; None before the customer's first share
    share_webhooks: bool | None  # the shop has an active share.created endpoint; None: unread


def speaker(session: Session, shop_id: int, assistant: str,
            voice_user_id: str | None) -> Speaker | None:
    """The customer this voice user was linked to at this shop, if any, with their code."""
    if not voice_user_id:
        return None
    row = session.execute(_SPEAKER, {"shop_id": shop_id, "assistant": assistant,
                                     "user": voice_user_id}).first()
    if row is None:
        return None
    n = len(_CUSTOMER)
    customer = _known(session, Customer, dict(zip(_CUSTOMER, row[:n], strict=True)))
    code_values = dict(zip(_CODE, row[n:-1], strict=True))
    code = _known(session, ReferralCode, code_values) if code_values["id"] is not None else None
    return Speaker(customer, code, bool(row[-1]))


def _known(session: Session, cls: Any, values: dict[str, Any]) -> Any:
    """The session's object for this row: the one it already has (its state wins, as a
    query's would by default), else one made from the row as a query's loader makes it
    (the instance without __init__, its values set as loaded, no history)."""
    found = session.identity_map.get(session.identity_key(cls, values["id"]))
    if found is not None:
        return found
    obj = inspect(cls).class_manager.new_instance()
    instance_dict(obj).update(values)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj
