"""What the simulator (the console, the connect page's "try it", the CLI) reads and writes
besides the turn itself, which goes through the real webhook: who the simulated customer
is to the assistant, the shop's assistant ids, and the messages a turn queued. Every call
is scoped to the simulated shop; what simulated turns queue is sent by the sandbox channel
only (core.messaging.outbox.simulated_turn)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from core import assistant_setup, referrals
from core.errors import NotFound
from core.models import Customer, Message, Shop, VoiceIdentity
from core.services import Services
from core.shop_copy import NEW_VOICE_USER_PREFIX

ANONYMOUS = ("new", "anonymous", "")




@dataclass(frozen=True)
class Caller:
    skill_id: str  # the shop's skill id for the platform ("" when not set)
    voice_user: str  # the assistant's id for the simulated customer


def caller(services: Services, shop_slug: str, *, assistant: str, skill_setting: str,
           user: str) -> Caller:
    """`user` by the shop's customer id -> that customer's voice id on `assistant` (made,
    linked, if missing); `new` -> a voice id nobody has used: fresh for each conversation,
    so a pairing done in one console session or YAML case leaves the next one's "new voice
    user" new (and copies of the shop for YAML cases leave such pairings out,
    core.shop_copy). NotFound for an unknown shop or customer."""
    with services.db.session() as uow:
        shop = referrals.shop_by_slug(uow, shop_slug)
        skill = shop.setting(skill_setting) or ""
        if user in ANONYMOUS:
            return Caller(skill, f"{NEW_VOICE_USER_PREFIX}{assistant}-{shop.id}-"
                                 f"{secrets.token_hex(8)}")
        customer = uow.scalar(select(Customer).where(Customer.shop_id == shop.id,
                                                     Customer.external_id == user))
        if customer is None:
            raise NotFound(f"No customer {user!r} in this shop.", code="unknown_customer")
        identity = uow.scalar(select(VoiceIdentity).where(
            VoiceIdentity.customer_id == customer.id, VoiceIdentity.assistant == assistant))
        if identity is None:
            identity = VoiceIdentity(shop_id=shop.id, assistant=assistant,
                                     assistant_user_id=f"sandbox-{assistant}-{customer.id}",
                                     customer_id=customer.id)
            uow.add(identity)
        return Caller(skill, identity.assistant_user_id)


def path_token(services: Services, shop_slug: str, assistant: str) -> str:
    """The shop's secret path token of `assistant` ("" if none yet), for the simulator's URL."""
    with services.db.session() as uow:
        shop = referrals.shop_by_slug(uow, shop_slug)
        return assistant_setup.path_token(dict(shop.settings or {}), services.box,
                                          assistant) or ""


@dataclass(frozen=True)
class GoogleAudience:
    audience: str  # what the shop's Dialogflow agent puts in its ID tokens
    service_agent: str


def google_audience(services: Services, shop_slug: str) -> GoogleAudience:
    with services.db.session() as uow:
        shop = referrals.shop_by_slug(uow, shop_slug)
        return GoogleAudience(shop.setting("dialogflow_audience") or "",
                              shop.setting("dialogflow_service_agent") or "")


def turn_messages(services: Services, shop_slug: str,
                  message_ids: list[int]) -> list[dict[str, Any]]:
    """The messages a turn named, and only those of the simulated shop, as the console
    shows them."""
    if not message_ids:
        return []
    with services.db.session() as uow:
        rows = uow.scalars(
            select(Message).join(Shop, Shop.id == Message.shop_id)
            .where(Message.id.in_(message_ids), Shop.slug == shop_slug)
            .order_by(Message.id)).all()
        return [{"id": m.id, "kind": m.kind, "channel": m.channel, "to": m.recipient,
                 "status": m.status, "context": m.context} for m in rows]
