"""Who is speaking: the customer a voice user is linked to at a shop, with their active code
and whether the shop wants share events, read in one statement at the start of a turn.

One prebuilt statement, run at the driver (core.prepared), reads the columns; the customer
becomes an ORM object the session knows, as if it had loaded it (`make_transient_to_detached`,
then `add`: no SQL), so handlers work with it as before; the code, which a turn only reads,
is a plain value (making an ORM object costs about as much as the statement).

An erasure and a share must not cross (the share would write the erased address into a new
message). On PostgreSQL the read is FOR KEY SHARE of the customer: an erasure holds the
customer FOR UPDATE, so a turn either finishes before it or waits and then finds the voice
identity gone. On SQLite a locking read would take the database's one write lock for the
whole turn, dialog included, so the two web workers' turns could not overlap; the read is
plain there, and the turn's first write is conditional on the voice identity still being
there (`outbox.enqueue_once(linked_voice_identity=...)`): SQLite's writers take turns, so an
erasure either committed before that write (which then writes nothing) or starts after."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, exists, inspect, select
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict

from core.models import Customer, ReferralCode, VoiceIdentity, WebhookEndpoint
from core.prepared import Prepared
from core.referrals import ACTIVE_CODE  # the partial index's own expression

SHARE_EVENT = "share.created"
_customers = Customer.__table__
_codes = ReferralCode.__table__
_identities = VoiceIdentity.__table__
_endpoints = WebhookEndpoint.__table__
_CUSTOMER = [c.key for c in _customers.columns]
_CODE = ("id", "code", "spoken_name")
_SHARE_WEBHOOKS = exists().where(
    _endpoints.c.shop_id == bindparam("shop_id"), _endpoints.c.event_type == SHARE_EVENT,
    _endpoints.c.active.is_(True)).label("share_webhooks")
_READ = (
    select(*_customers.columns, *(_codes.c[key].label(f"code_{key}") for key in _CODE),
           _identities.c.id.label("voice_identity_id"), _SHARE_WEBHOOKS)
    .select_from(_identities.join(_customers, _identities.c.customer_id == _customers.c.id)
                 .outerjoin(_codes, and_(_codes.c.customer_id == _customers.c.id,
                                         ACTIVE_CODE)))
    .where(_identities.c.shop_id == bindparam("shop_id"),
           _identities.c.assistant == bindparam("assistant"),
           _identities.c.assistant_user_id == bindparam("user")))
_SPEAKER = Prepared(_READ.with_for_update(key_share=True, of=_customers),
                    variants={"sqlite": _READ})


@dataclass(frozen=True)
class ActiveCode:
    """The customer's active referral code as read with the speaker (core.referrals.CodeRef)."""

    id: int
    code: str
    spoken_name: str


@dataclass(frozen=True)
class Speaker:
    customer: Customer
    code: ActiveCode | None  # the active code; None before the customer's first share
    share_webhooks: bool | None  # the shop has an active share.created endpoint; None: unread
    voice_identity_id: int | None = None  # the link this turn came through (None: unknown)


def speaker(session: Session, shop_id: int, assistant: str,
            voice_user_id: str | None) -> Speaker | None:
    """The customer this voice user was linked to at this shop, if any, with their code."""
    if not voice_user_id:
        return None
    row = _SPEAKER.first(session, {"shop_id": shop_id, "assistant": assistant,
                                   "user": voice_user_id})
    if row is None:
        return None
    n, m = len(_CUSTOMER), len(_CUSTOMER) + len(_CODE)
    customer = _known(session, Customer, dict(zip(_CUSTOMER, row[:n], strict=True)))
    code = ActiveCode(*row[n:m]) if row[n] is not None else None
    return Speaker(customer, code, bool(row[m + 1]), voice_identity_id=row[m])


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
