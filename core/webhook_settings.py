"""A shop's outbound webhook endpoints, one per event type: save a URL (checked against
private addresses now, and again at every send by core.outbound), a signing secret made
and shown once, rotated or the endpoint removed; the recent deliveries for the page."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import outbound
from core.errors import FieldErrors, InvalidInput
from core.models import WEBHOOK_EVENT_TYPES, OutboundWebhook, WebhookEndpoint
from core.services import Services

__all__ = ["WEBHOOK_EVENT_TYPES", "DeliveryLine", "EndpointLine", "Overview", "Saved",
           "change", "deliveries", "endpoints", "new_secret", "overview", "remove",
           "rotate_secret", "save"]


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Saved:
    endpoint_id: int
    secret: str | None  # set when a new secret was made: shown this once


def endpoints(session: Session, shop_id: int) -> dict[str, WebhookEndpoint]:
    rows = session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.shop_id == shop_id))
    return {row.event_type: row for row in rows}


def _event(event_type: object) -> str:
    if event_type not in WEBHOOK_EVENT_TYPES:
        raise FieldErrors({"event_type": "Unknown event type."})
    return str(event_type)


def save(session: Session, services: Services, *, shop_id: int, event_type: object,
         url: object) -> Saved:
    """Set the URL for one event type (a new endpoint gets a secret, shown once)."""
    kind = _event(event_type)
    text = str(url or "").strip()
    try:
        outbound.check_for(services, text)
    except InvalidInput as exc:
        raise FieldErrors({f"url_{kind}": exc.message}) from exc
    endpoint = endpoints(session, shop_id).get(kind)
    if endpoint is not None:
        endpoint.url, endpoint.active, endpoint.updated_at = text, True, services.clock()
        return Saved(endpoint.id, None)
    secret = new_secret()
    endpoint = WebhookEndpoint(shop_id=shop_id, event_type=kind, url=text,
                               secret_encrypted=services.box.seal(secret),
                               secret_prefix=secret[:10])
    session.add(endpoint)
    session.flush()
    return Saved(endpoint.id, secret)


def rotate_secret(session: Session, services: Services, *, shop_id: int,
                  event_type: object) -> str:
    endpoint = endpoints(session, shop_id).get(_event(event_type))
    if endpoint is None:
        raise FieldErrors({"event_type": "Set a URL for this event first."})
    secret = new_secret()
    endpoint.secret_encrypted, endpoint.secret_prefix = services.box.seal(secret), secret[:10]
    endpoint.updated_at = services.clock()
    return secret


def remove(session: Session, *, shop_id: int, event_type: object) -> None:
    endpoint = endpoints(session, shop_id).get(_event(event_type))
    if endpoint is not None:
        session.delete(endpoint)


def deliveries(session: Session, shop_id: int, limit: int = 50) -> list[OutboundWebhook]:
    return list(session.scalars(select(OutboundWebhook).where(
        OutboundWebhook.shop_id == shop_id).order_by(OutboundWebhook.id.desc()).limit(limit)))


# --- the settings page's use cases: one call each, scoped to the shop -------------------

@dataclass(frozen=True)
class EndpointLine:
    event_type: str
    url: str
    secret_prefix: str


@dataclass(frozen=True)
class DeliveryLine:
    id: int
    event_type: str
    status: str
    attempts: int
    last_status_code: int | None
    last_response: str | None
    last_error: str | None


@dataclass(frozen=True)
class Overview:
    endpoints: dict[str, EndpointLine]  # event type -> its endpoint
    deliveries: list[DeliveryLine]  # the latest, newest first


def overview(services: Services, shop_id: int) -> Overview:
    with services.db.session() as session:
        eps = {kind: EndpointLine(ep.event_type, ep.url, ep.secret_prefix)
               for kind, ep in endpoints(session, shop_id).items()}
        return Overview(eps, [DeliveryLine(d.id, d.event_type, d.status, d.attempts,
                                           d.last_status_code, d.last_response, d.last_error)
                              for d in deliveries(session, shop_id)])


class Change(StrEnum):
    SAVE = "save"
    ROTATE = "rotate"
    REMOVE = "remove"


def change(services: Services, shop_id: int, what: Change, *, event_type: object,
           url: object = "") -> str | None:
    """One change to the shop's endpoints in a unit of work of its own (FieldErrors
    naming the field otherwise); the new secret to show once, when one was made."""
    with services.db.session() as session:
        if what is Change.SAVE:
            return save(session, services, shop_id=shop_id, event_type=event_type,
                        url=url).secret
        if what is Change.ROTATE:
            return rotate_secret(session, services, shop_id=shop_id, event_type=event_type)
        remove(session, shop_id=shop_id, event_type=event_type)
        return None
