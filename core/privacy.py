"""A customer's own data: everything we hold about them as one document (GDPR art. 15,
152-FZ art. 14), and erasure (art. 17) that leaves the ledger's amounts under a tombstone
id, cancels what is queued to them, and keeps them from being messaged again.

Which table goes where is declared here (EXPORTED, HOLDS_NO_CUSTOMER_DATA); a test walks
the models and fails when a table is in neither, so a new table cannot be forgotten."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ScalarResult, String, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session

from core import cache_invalidation, shops, voice_sessions
from core.clock import as_utc
from core.errors import NotFound
from core.hashing import keyed_hash
from core.models import (
    Click,
    ConsoleSession,
    ConsoleTurn,
    Conversion,
    Customer,
    DigestSubscription,
    ErasureRequest,
    ExternalImage,
    LedgerEntry,
    Message,
    MessageStatus,
    OAuthClient,
    OAuthCode,
    OAuthToken,
    OutboundWebhook,
    PairingChallenge,
    Referral,
    ReferralCode,
    Reminder,
    Share,
    ShopEvent,
    Suppression,
    VoiceIdentity,
    VoiceSession,
)
from core.models.privacy import ErasureStatus as ErasureStatus  # for the layers above
from core.models.stores import StoreJob, StoreJobStatus, StoreWebhook
from core.paging import Page, page_of
from core.services import Services

# table -> the key of the export document that holds its rows
EXPORTED = {
    "customers": "profile",
    "voice_identities": "voice_identities",
    "pairing_challenges": "pairing_challenges",
    "referral_codes": "codes",
    "shares": "shares",
    "clicks": "clicks",
    "messages": "messages",
    "suppressions": "opt_outs",
    "referrals": "referrals",
    "conversions": "conversions",
    "ledger_entries": "ledger",
    "shop_events": "shop_events",
    "outbound_webhooks": "webhooks_to_shop",
    "external_images": "hosted_images",
    "reminders": "reminders",
    "digest_subscriptions": "digest",
    "erasure_requests": "erasure_requests",
    # Support staff simulating turns as this customer (their voice id, their words).
    "console_sessions": "support_console",
    "console_turns": "support_console",
    # A caller's dialog state between turns on an assistant that carries none (Salute).
    "voice_sessions": "voice_sessions",
    # The store's side: discounts and reward codes made for the customer, store webhooks
    # whose results name them.
    "store_jobs": "store_codes",
    "store_webhooks": "store_webhooks",
    # MCP sign-ins (ChatGPT, Claude, Alexa+): the one-time codes and tokens bound to one of
    # the customer's identities (only hashes of the secrets; when, by which client).
    "oauth_codes": "mcp_sign_ins",
    "oauth_tokens": "mcp_sign_ins",
}
# Tables that hold no customer's data: the shop itself, its keys, program and staff,
# console sign-in throttles (keyed hashes of staff accounts and addresses), and the MCP
# server's registered OAuth clients (an app's name and redirect URIs, not a person's).
HOLDS_NO_CUSTOMER_DATA = frozenset({"shops", "shop_credentials", "programs", "staff_users",
                                    "login_throttles", "staff_sessions", "store_connections",
                                    "webhook_endpoints", "assistant_status",
                                    "cache_invalidations", "shopify_installs",
                                    "oauth_clients"})

ERASED = "[erased]"
TOMBSTONE_PREFIX = "erased_"
PENDING_STATUSES = (MessageStatus.CREATED, MessageStatus.FAILED, MessageStatus.SENDING)
CHANNELS_OF_PHONE = ("sms", "whatsapp")


def subject_hash(hash_key: str, shop_id: int, external_id: str) -> str:
    """The shop's customer id, hashed so an erasure request can be found again without
    keeping the id (hash_key is the server's secret; the shop id keeps shops apart)."""
    return keyed_hash(hash_key, f"erasure:{shop_id}:{external_id}")


def _iso(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value else None


def find_customer(session: Session, shop_id: int, external_id: str, *,
                  lock: bool = False) -> Customer | None:
    query = select(Customer).where(Customer.shop_id == shop_id,
                                   Customer.external_id == external_id)
    if external_id.startswith(TOMBSTONE_PREFIX):
        return None  # a tombstone is not a customer anyone can ask about
    return session.scalar(query.with_for_update() if lock else query)


# --- export ---------------------------------------------------------------------------

@dataclass
class Related:
    """The rows that belong to (or name) one customer, found once for export and erasure."""

    customer: Customer
    identities: list[VoiceIdentity]
    codes: list[ReferralCode]
    addresses: set[str]
    address_hashes: set[str]
    messages: list[Message]
    referrals_made: list[Referral]
    referrals_received: list[Referral]


def _addresses(customer: Customer, identities: list[VoiceIdentity],
               challenges: list[PairingChallenge], own_messages: list[Message]) -> set[str]:
    found = {a for a in (customer.email, customer.email_canonical, customer.phone) if a}
    found |= {c.address for c in challenges}
    found |= {m.recipient for m in own_messages if m.kind != "invite_friend"}
    return {a for a in found if a and a != ERASED}


def _challenges(session: Session, customer: Customer,
                identities: list[VoiceIdentity]) -> list[PairingChallenge]:
    clauses: list[Any] = [PairingChallenge.address.in_(
        [a for a in (customer.email, customer.phone) if a])]
    for identity in identities:
        clauses.append((PairingChallenge.assistant == identity.assistant)
                       & (PairingChallenge.assistant_user_id == identity.assistant_user_id))
    return list(session.scalars(select(PairingChallenge).where(
        PairingChallenge.shop_id == customer.shop_id, or_(*clauses))
        .order_by(PairingChallenge.id)))


def related(session: Session, customer: Customer, hash_key: str) -> Related:
    identities = list(session.scalars(select(VoiceIdentity).where(
        VoiceIdentity.customer_id == customer.id).order_by(VoiceIdentity.id)))
    own = list(session.scalars(select(Message).where(Message.customer_id == customer.id)))
    addresses = _addresses(customer, identities, _challenges(session, customer, identities), own)
    hashes = {keyed_hash(hash_key, a) for a in addresses}
    messages = list(session.scalars(select(Message).where(
        Message.shop_id == customer.shop_id,
        or_(Message.customer_id == customer.id, Message.recipient_hash.in_(hashes)))
        .order_by(Message.id))) if hashes else own
    return Related(
        customer=customer, identities=identities,
        codes=list(session.scalars(select(ReferralCode).where(
            ReferralCode.customer_id == customer.id).order_by(ReferralCode.id))),
        addresses=addresses, address_hashes=hashes, messages=messages,
        referrals_made=list(session.scalars(select(Referral).where(
            Referral.referrer_id == customer.id).order_by(Referral.id))),
        referrals_received=list(session.scalars(select(Referral).where(
            Referral.friend_id == customer.id).order_by(Referral.id))))


def _mentions(column: Any, values: Iterable[str]) -> Any:
    """Rows whose JSON text mentions any value, as stored (PostgreSQL) or JSON-escaped
    (SQLite keeps non-ASCII as \\uXXXX): a cheap prefilter, checked exactly in Python."""
    text = func.lower(cast(column, String))
    patterns = set()
    for value in values:
        patterns.add(value.lower())
        patterns.add(json.dumps(value.lower())[1:-1])
    return or_(*[text.contains(p, autoescape=True) for p in sorted(patterns)])


def _personal_values(rel: Related) -> set[str]:
    c = rel.customer
    values = {c.external_id or "", c.name or "", *rel.addresses}
    values |= {i.assistant_user_id for i in rel.identities}
    values |= {code.code for code in rel.codes}
    values |= {code.spoken_name for code in rel.codes}
    return {v for v in values if v and len(v.strip()) >= 3 and not v.startswith(
        TOMBSTONE_PREFIX)}


def _mentioning(session: Session, rel: Related, model: Any, *columns: Any) -> list[Any]:
    """Rows of this shop whose JSON columns name the customer: matched in SQL, then
    confirmed in Python (a substring match may be another customer's longer value)."""
    values = _personal_values(rel)
    if not values:
        return []
    rows: ScalarResult[Any] = session.scalars(select(model).where(
        model.shop_id == rel.customer.shop_id,
        or_(*(_mentions(column, values) for column in columns))).order_by(model.id))
    return [r for r in rows
            if _contains_any([getattr(r, c.key) for c in columns], values)]


def _events(session: Session, rel: Related) -> list[ShopEvent]:
    return _mentioning(session, rel, ShopEvent, ShopEvent.payload, ShopEvent.result)


def _webhooks(session: Session, rel: Related) -> list[OutboundWebhook]:
    return _mentioning(session, rel, OutboundWebhook, OutboundWebhook.payload)


def _store_webhooks(session: Session, rel: Related) -> list[StoreWebhook]:
    return _mentioning(session, rel, StoreWebhook, StoreWebhook.result, StoreWebhook.body)


def _console(session: Session, rel: Related) -> tuple[list[ConsoleSession], list[ConsoleTurn]]:
    """Console conversations that name the customer (staff simulating their turns)."""
    values = _personal_values(rel)
    if not values:
        return [], []
    sessions = [r for r in session.scalars(select(ConsoleSession).where(or_(
        ConsoleSession.user.in_(values), _mentions(ConsoleSession.conversation, values))))
        if _contains_any([r.user, r.conversation], values)]
    turns = [r for r in session.scalars(select(ConsoleTurn).where(
        _mentions(ConsoleTurn.result, values)).order_by(ConsoleTurn.id))
        if _contains_any([r.result], values)]
    return sessions, turns


def _voice_sessions(session: Session, rel: Related, hash_key: str,
                    values: set[str] | None = None) -> list[VoiceSession]:
    """Dialog states kept for the customer's linked callers, or naming them (a state
    from before the caller was linked: the address being paired, their code). Erasure
    passes the values it found before it began changing them."""
    c = rel.customer
    values = _personal_values(rel) if values is None else values
    callers = {(i.assistant, voice_sessions.caller_key(hash_key, i.assistant,
                                                       i.assistant_user_id))
               for i in rel.identities}
    clauses: list[Any] = [(VoiceSession.assistant == a) & (VoiceSession.caller == k)
                          for a, k in sorted(callers)]
    if values:
        clauses.append(_mentions(VoiceSession.state, values))
    if not clauses:
        return []
    rows = session.scalars(select(VoiceSession).where(
        VoiceSession.shop_id == c.shop_id, or_(*clauses)).order_by(VoiceSession.updated_at))
    return [r for r in rows if (r.assistant, r.caller) in callers
            or _contains_any([r.state], values)]


def _bound(model: type[OAuthCode] | type[OAuthToken], identities: list[VoiceIdentity]) -> Any:
    """OAuth rows of sign-ins bound to one of these identities (assistant and subject)."""
    return or_(*[(model.assistant == i.assistant) & (model.subject == i.assistant_user_id)
                 for i in identities])


def _sign_ins(session: Session, rel: Related) -> tuple[list[OAuthCode], list[OAuthToken]]:
    """MCP sign-ins of the customer: the codes and tokens issued to their identities."""
    if not rel.identities:
        return [], []
    shop_id = rel.customer.shop_id
    codes = list(session.scalars(select(OAuthCode).where(
        OAuthCode.shop_id == shop_id, _bound(OAuthCode, rel.identities))
        .order_by(OAuthCode.id)))
    tokens = list(session.scalars(select(OAuthToken).where(
        OAuthToken.shop_id == shop_id, _bound(OAuthToken, rel.identities))
        .order_by(OAuthToken.id)))
    return codes, tokens


def _sign_in_rows(session: Session, rel: Related) -> list[dict[str, Any]]:
    codes, tokens = _sign_ins(session, rel)
    pks = {c.client_pk for c in codes} | {t.client_pk for t in tokens}
    clients = {c.id: c for c in session.scalars(select(OAuthClient).where(
        OAuthClient.id.in_(pks)))} if pks else {}

    def client(pk: int) -> dict[str, Any]:
        found = clients.get(pk)
        return {"client": found.name if found else None, "host": found.host if found else None}

    return ([{"id": c.id, "kind": "authorization_code", **client(c.client_pk),
              "assistant": c.assistant, "scope": c.scope, "created_at": _iso(c.created_at),
              "used_at": _iso(c.used_at)} for c in codes]
            + [{"id": t.id, "kind": "token", **client(t.client_pk), "assistant": t.assistant,
                "scope": t.scope, "created_at": _iso(t.created_at),
                "expires_at": _iso(t.expires_at),
                "refresh_expires_at": _iso(t.refresh_expires_at),
                "revoked_at": _iso(t.revoked_at)} for t in tokens])


def _contains_any(data: Any, values: set[str]) -> bool:
    text = json.dumps(data, ensure_ascii=False, default=str).lower()
    return any(v.lower() in text for v in values)


def _code_of(codes: dict[int, str], code_id: int | None) -> str | None:
    return codes.get(code_id) if code_id is not None else None


def export_customer(session: Session, shop_id: int, external_id: str, hash_key: str,
                    now: datetime) -> dict[str, Any]:
    """One JSON document with everything this shop's service holds about the customer."""
    customer = find_customer(session, shop_id, external_id)
    if customer is None:
        raise NotFound("No such customer.", code="unknown_customer")
    rel = related(session, customer, hash_key)
    codes = {c.id: c.code for c in rel.codes}
    code_ids = list(codes)
    referral_ids = [r.id for r in rel.referrals_made + rel.referrals_received]
    people = {c.id: c.external_id for c in session.scalars(select(Customer).where(
        Customer.id.in_({r.referrer_id for r in rel.referrals_received}
                        | {r.friend_id for r in rel.referrals_made})))}
    all_codes = dict(codes)
    missing = {r.code_id for r in rel.referrals_received} - set(all_codes)
    if missing:
        all_codes.update({row.id: row.code for row in session.execute(
            select(ReferralCode.id, ReferralCode.code).where(ReferralCode.id.in_(missing)))})
    challenges = _challenges(session, customer, rel.identities)
    return {
        "generated_at": _iso(now),
        "profile": {
            "id": customer.external_id, "name": customer.name, "email": customer.email,
            "phone": customer.phone, "locale": customer.locale, "timezone": customer.timezone,
            "signed_up_at": _iso(customer.signed_up_at), "created_at": _iso(customer.created_at)},
        "consents": {
            "email": {"consent": customer.consent_email,
                      "confirmed_at": _iso(customer.email_confirmed_at)},
            "sms": {"consent": customer.consent_sms,
                    "confirmed_at": _iso(customer.phone_confirmed_at)},
            "evidence": [{"message": m.id, "kind": m.kind, "channel": m.channel,
                          "at": _iso(m.created_at), **(m.evidence or {})}
                         for m in rel.messages if m.customer_id == customer.id and m.evidence],
        },
        "opt_outs": [{"id": s.id, "channel": s.channel, "reason": s.reason,
                      "created_at": _iso(s.created_at), "lifted_at": _iso(s.lifted_at)}
                     for s in session.scalars(select(Suppression).where(
                         Suppression.recipient_hash.in_(rel.address_hashes),
                         or_(Suppression.shop_id.is_(None), Suppression.shop_id == shop_id))
                         .order_by(Suppression.id))] if rel.address_hashes else [],
        "voice_identities": [{"id": i.id, "assistant": i.assistant,
                              "assistant_user_id": i.assistant_user_id,
                              "linked_at": _iso(i.linked_at), "created_at": _iso(i.created_at)}
                             for i in rel.identities],
        "pairing_challenges": [{"id": p.id, "assistant": p.assistant, "channel": p.channel,
                                "address": p.address, "attempts": p.attempts,
                                "created_at": _iso(p.created_at),
                                "verified_at": _iso(p.verified_at)} for p in challenges],
        "codes": [{"id": c.id, "code": c.code, "spoken_name": c.spoken_name,
                   "active": c.active, "created_at": _iso(c.created_at)} for c in rel.codes],
        "shares": [{"id": s.id, "code": _code_of(codes, s.code_id), "channel": s.channel,
                    "assistant": s.assistant, "recipient": s.recipient_kind,
                    "created_at": _iso(s.created_at)}
                   for s in session.scalars(select(Share).where(
                       Share.customer_id == customer.id).order_by(Share.id))],
        # Clicks on the customer's links: when and from where, not the visitors' hashes.
        "clicks": [{"id": k.id, "code": _code_of(codes, k.code_id), "channel": k.channel,
                    "is_bot": k.is_bot, "created_at": _iso(k.created_at)}
                   for k in session.scalars(select(Click).where(
                       Click.code_id.in_(code_ids)).order_by(Click.id))] if code_ids else [],
        "messages": [{"id": m.id, "kind": m.kind, "channel": m.channel,
                      "recipient": m.recipient,
                      "direction": "from_customer" if m.customer_id == customer.id
                      else "to_customer",
                      "status": m.status, "locale": m.locale,
                      "created_at": _iso(m.created_at), "sent_at": _iso(m.sent_at),
                      "delivered_at": _iso(m.delivered_at),
                      "subject": (m.rendered or {}).get("subject"),
                      "text": (m.rendered or {}).get("text") or (m.rendered or {}).get("sms")}
                     for m in rel.messages],
        "referrals": {
            "made": [{"id": r.id, "friend": people.get(r.friend_id), "status": r.status,
                      "code": all_codes.get(r.code_id), "created_at": _iso(r.created_at)}
                     for r in rel.referrals_made],
            "received": [{"id": r.id, "referrer": people.get(r.referrer_id),
                          "status": r.status, "code": all_codes.get(r.code_id),
                          "created_at": _iso(r.created_at)} for r in rel.referrals_received]},
        "conversions": [{"id": c.id, "referral": c.referral_id, "order_id": c.order_id,
                         "amount": c.amount, "currency": c.currency,
                         "refunded_amount": c.refunded_amount, "created_at": _iso(c.created_at)}
                        for c in session.scalars(select(Conversion).where(
                            Conversion.referral_id.in_(referral_ids)).order_by(Conversion.id))]
        if referral_ids else [],
        "ledger": [{"id": e.id, "side": e.side, "kind": e.kind, "amount": e.amount,
                    "currency": e.currency, "status": e.status, "type": e.entry_type,
                    "referral": e.referral_id, "hold_until": _iso(e.hold_until),
                    "approved_at": _iso(e.approved_at), "created_at": _iso(e.created_at)}
                   for e in session.scalars(select(LedgerEntry).where(
                       LedgerEntry.customer_id == customer.id).order_by(LedgerEntry.id))],
        "shop_events": [{"id": e.id, "event_id": e.event_id, "type": e.type,
                         "received_at": _iso(e.received_at), "payload": e.payload}
                        for e in _events(session, rel)],
        "webhooks_to_shop": [{"id": w.id, "event_type": w.event_type, "status": w.status,
                              "payload": w.payload, "created_at": _iso(w.created_at)}
                             for w in _webhooks(session, rel)],
        "hosted_images": [{"id": i.id, "platform": i.platform, "code": i.code,
                           "status": i.status, "created_at": _iso(i.created_at)}
                          for i in session.scalars(select(ExternalImage).where(
                              ExternalImage.shop_id == shop_id,
                              ExternalImage.code.in_(list(codes.values())))
                              .order_by(ExternalImage.id))] if codes else [],
        "reminders": [{"id": r.id, "weekday": r.weekday, "local_time": r.local_time,
                       "timezone": r.timezone, "active": r.active,
                       "next_run_at": _iso(r.next_run_at), "last_sent_at": _iso(r.last_sent_at),
                       "stopped_at": _iso(r.stopped_at), "evidence": r.evidence,
                       "created_at": _iso(r.created_at)}
                      for r in session.scalars(select(Reminder).where(
                          Reminder.customer_id == customer.id).order_by(Reminder.id))],
        "digest": [{"id": d.id, "channel": d.channel, "only_when_new": d.only_when_new,
                    "active": d.active, "stopped_at": _iso(d.stopped_at),
                    "evidence": d.evidence, "created_at": _iso(d.created_at)}
                   for d in session.scalars(select(DigestSubscription).where(
                       DigestSubscription.customer_id == customer.id))],
        "support_console": _console_rows(session, rel),
        "voice_sessions": [{"assistant": v.assistant, "session_id": v.session_id,
                            "state": v.state, "updated_at": _iso(v.updated_at)}
                           for v in _voice_sessions(session, rel, hash_key)],
        "mcp_sign_ins": _sign_in_rows(session, rel),
        "store_codes": [{"id": j.id, "kind": j.kind, "code": j.code, "status": j.status,
                         "created_at": _iso(j.created_at), "done_at": _iso(j.done_at)}
                        for j in session.scalars(select(StoreJob).where(
                            StoreJob.customer_id == customer.id).order_by(StoreJob.id))],
        "store_webhooks": [{"id": w.id, "platform": w.platform, "topic": w.topic,
                            "status": w.status, "result": w.result, "body": w.body,
                            "received_at": _iso(w.received_at)}
                           for w in _store_webhooks(session, rel)],
        "erasure_requests": [{"id": e.id, "source": e.source, "status": e.status,
                              "created_at": _iso(e.created_at)}
                             for e in session.scalars(select(ErasureRequest).where(
                                 ErasureRequest.customer_id == customer.id)
                                 .order_by(ErasureRequest.id))],
    }


def _console_rows(session: Session, rel: Related) -> list[dict[str, Any]]:
    sessions, turns = _console(session, rel)
    return ([{"id": s.key, "kind": "console_session", "shop": s.shop_slug,
              "created_at": _iso(s.created_at), "conversation": s.conversation}
             for s in sessions]
            + [{"id": t.id, "kind": "console_turn", "created_at": _iso(t.created_at),
                "result": t.result} for t in turns])


# --- erasure --------------------------------------------------------------------------

@dataclass
class ErasureOutcome:
    request_id: int
    status: str  # completed | requested
    tombstone: str | None
    already: bool  # this call found the work done before
    requested_at: datetime
    completed_at: datetime | None
    erased: dict[str, int] = field(default_factory=dict)


def _outcome(row: ErasureRequest, already: bool) -> ErasureOutcome:
    return ErasureOutcome(row.id, row.status, row.tombstone, already, row.created_at,
                          row.completed_at, dict(row.summary or {}))


def _scrub(data: Any, values: set[str], external_id: str | None, tombstone: str) -> Any:
    """A JSON value with the customer's values replaced: their own object (the one with
    their id) becomes {"id": tombstone}, any string holding a value becomes [erased]."""
    if isinstance(data, dict):
        if external_id is not None and data.get("id") == external_id:
            return {"id": tombstone}
        if external_id is not None and data.get("customer_id") == external_id and \
                isinstance(data.get("customer"), dict):
            # An order's buyer as the store named them (a name the customer's own row
            # may not hold): all of it goes.
            data = {**data, "customer": {"id": tombstone}}
        return {k: _scrub(v, values, external_id, tombstone) for k, v in data.items()}
    if isinstance(data, list):
        return [_scrub(v, values, external_id, tombstone) for v in data]
    if isinstance(data, str):
        if external_id is not None and data == external_id:
            return tombstone
        low = data.lower()
        return ERASED if any(v.lower() in low for v in values) else data
    return data


def _suppress(session: Session, shop_id: int, rel: Related, hash_key: str) -> int:
    """Hashed opt-outs on every channel we know an address of (and phones on every text
    channel): a later import of the same address is never messaged."""
    wanted: set[tuple[str, str]] = set()
    for address in rel.addresses:
        h = keyed_hash(hash_key, address)
        if "@" in address:
            wanted.add(("email", h))
        elif address.startswith("+"):
            wanted |= {(channel, h) for channel in CHANNELS_OF_PHONE}
    for m in rel.messages:
        if m.customer_id != rel.customer.id or m.kind != "invite_friend":
            wanted.add((m.channel, m.recipient_hash))
    existing: set[tuple[str, str]] = set()
    if wanted:
        existing = {(row.channel, row.recipient_hash) for row in session.execute(
            select(Suppression.channel, Suppression.recipient_hash).where(
                Suppression.shop_id == shop_id, Suppression.lifted_at.is_(None),
                Suppression.recipient_hash.in_({h for _, h in wanted})))}
    for channel, h in sorted(wanted - existing):
        session.add(Suppression(shop_id=shop_id, channel=channel, recipient_hash=h,
                                reason="erased"))
    return len(wanted - existing)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _erase_rows(session: Session, services: Services, rel: Related,
                tombstone: str) -> dict[str, int]:
    c = rel.customer
    values = _personal_values(rel)
    counts: dict[str, int] = {}
    counts["suppressions"] = _suppress(session, c.shop_id, rel, services.settings.hash_key)
    cancelled = 0
    for m in rel.messages:
        if m.status in PENDING_STATUSES:
            m.status, cancelled = MessageStatus.SUPPRESSED, cancelled + 1
        m.recipient = ERASED
        m.context, m.rendered = {}, {}
        m.evidence = {"erased": True, "confirmed": bool((m.evidence or {}).get("confirmed"))}
        m.last_error = "erased" if m.last_error else None
        m.lease_until = None
    counts["messages"], counts["messages_cancelled"] = len(rel.messages), cancelled
    sign_in_codes, tokens = _sign_ins(session, rel)
    for token in tokens:
        # The sign-in ends with the identity it was bound to: no refresh, and the subject
        # is the tombstone, so the host is told the sign-in no longer exists (401).
        token.subject, token.refresh_hash, token.code_id = tombstone, None, None
    session.flush()
    for sign_in_code in sign_in_codes:
        session.delete(sign_in_code)
    counts["mcp_sign_ins"] = len(sign_in_codes) + len(tokens)
    challenges = _challenges(session, c, rel.identities)
    for challenge in challenges:
        session.delete(challenge)
    counts["pairing_challenges"] = len(challenges)
    for identity in rel.identities:
        session.delete(identity)
    counts["voice_identities"] = len(rel.identities)
    code_ids = [code.id for code in rel.codes]
    old_codes = [code.code for code in rel.codes]
    if old_codes:
        counts["hosted_images"] = _rowcount(session.execute(delete(ExternalImage).where(
            ExternalImage.shop_id == c.shop_id, ExternalImage.code.in_(old_codes))))
    for code in rel.codes:
        code.code, code.spoken_name, code.active = f"~{tombstone}~{code.id}", "", False
    counts["codes"] = len(rel.codes)
    if code_ids:
        clicks = list(session.scalars(select(Click).where(Click.code_id.in_(code_ids))))
        for click in clicks:
            click.ip_hash, click.user_agent = None, ""
        counts["clicks"] = len(clicks)
    shares = list(session.scalars(select(Share).where(Share.customer_id == c.id)))
    for share in shares:
        share.recipient_hash = None
    counts["shares"] = len(shares)
    for referral in rel.referrals_received:
        referral.ip_hash = None
    counts["referrals"] = len(rel.referrals_made) + len(rel.referrals_received)
    events = _events(session, rel)
    for event in events:
        event.payload = _scrub(event.payload, values, c.external_id, tombstone)
        event.result = _scrub(event.result, values, c.external_id, tombstone)
    counts["shop_events"] = len(events)
    hooks = _webhooks(session, rel)
    for hook in hooks:
        hook.payload = _scrub(hook.payload, values, c.external_id, tombstone)
    counts["webhooks_to_shop"] = len(hooks)
    console_sessions, console_turns = _console(session, rel)
    for console_session in console_sessions:
        if _contains_any([console_session.user], values):
            console_session.user = ERASED
        console_session.conversation = _scrub(console_session.conversation, values,
                                              c.external_id, tombstone)
    for turn in console_turns:
        turn.result = _scrub(turn.result, values, c.external_id, tombstone)
    counts["support_console"] = len(console_sessions) + len(console_turns)
    states = _voice_sessions(session, rel, services.settings.hash_key, values)
    for state in states:
        session.delete(state)
    counts["voice_sessions"] = len(states)
    store_hooks = _store_webhooks(session, rel)
    for store_hook in store_hooks:
        store_hook.result = _scrub(store_hook.result, values, c.external_id, tombstone)
        store_hook.body = _scrub(store_hook.body, values, c.external_id, tombstone)
    counts["store_webhooks"] = len(store_hooks)
    jobs = session.scalars(select(StoreJob).where(StoreJob.customer_id == c.id)).all()
    for job in jobs:  # the store keeps its discount; we keep no code naming them
        job.code, job.result = None, _scrub(job.result, values, c.external_id, tombstone)
        job.key = f"{job.kind}:{tombstone}:{job.id}"[:128]  # keys spelled the code
        if job.status == StoreJobStatus.PENDING:
            job.status = StoreJobStatus.FAILED
            job.last_error = "customer erased"
    counts["store_codes"] = len(jobs)
    for entry in session.scalars(select(LedgerEntry).where(LedgerEntry.customer_id == c.id)):
        entry.note = _scrub(entry.note, values, None, tombstone)
    counts["reminders"] = _rowcount(session.execute(delete(Reminder).where(
        Reminder.customer_id == c.id)))
    counts["digest"] = _rowcount(session.execute(delete(DigestSubscription).where(
        DigestSubscription.customer_id == c.id)))
    c.external_id, c.name = tombstone, ""
    c.email = c.email_canonical = c.phone = c.timezone = None
    c.email_confirmed_at = c.phone_confirmed_at = None
    c.consent_email = c.consent_sms = False
    return counts


def _subject(services: Services, customer: Customer) -> str:
    ident = customer.external_id or f"customer:{customer.id}"
    return subject_hash(services.settings.hash_key, customer.shop_id, ident)


def request_erasure(session: Session, services: Services, customer: Customer, *,
                    source: str) -> ErasureOutcome:
    """Record that the customer asked (by voice): the shop sees the request and completes
    it with DELETE /customers/{id}. A customer the shop never named (voice only) has no
    record at the shop to reconcile, so theirs is completed at once."""
    locked = session.scalar(select(Customer).where(Customer.id == customer.id)
                            .with_for_update())
    if locked is None or (locked.external_id or "").startswith(TOMBSTONE_PREFIX):
        raise NotFound("No such customer.", code="unknown_customer")
    if locked.external_id is None:
        return _erase(session, services, locked, source)
    found = session.scalar(select(ErasureRequest).where(
        ErasureRequest.customer_id == locked.id,
        ErasureRequest.status == ErasureStatus.REQUESTED))
    if found is not None:
        return _outcome(found, True)
    row = ErasureRequest(shop_id=locked.shop_id, customer_id=locked.id, source=source,
                         subject_hash=_subject(services, locked), created_at=services.clock())
    session.add(row)
    session.flush()
    return _outcome(row, False)


def erase_customer(session: Session, services: Services, shop_id: int, external_id: str,
                   *, source: str = "api") -> ErasureOutcome:
    """Erase now, by the shop's id. Idempotent: an id erased before answers with the same
    request."""
    customer = find_customer(session, shop_id, external_id, lock=True)
    if customer is None:
        done = session.scalar(select(ErasureRequest).where(
            ErasureRequest.shop_id == shop_id,
            ErasureRequest.subject_hash == subject_hash(services.settings.hash_key, shop_id,
                                                        external_id),
            ErasureRequest.status == ErasureStatus.COMPLETED,
        ).order_by(ErasureRequest.id.desc()).limit(1))
        if done is None:
            raise NotFound("No such customer.", code="unknown_customer")
        return _outcome(done, True)
    return _erase(session, services, customer, source)


def erase_found(session: Session, services: Services, customer_id: int, *,
                source: str) -> ErasureOutcome | None:
    """Erase a customer found by other means than the shop's id (a store's redaction
    request names them by its own id, email or phone). None: already erased."""
    customer = session.scalar(select(Customer).where(Customer.id == customer_id)
                              .with_for_update())
    if customer is None or (customer.external_id or "").startswith(TOMBSTONE_PREFIX):
        return None
    return _erase(session, services, customer, source)


def _erase(session: Session, services: Services, customer: Customer,
           source: str) -> ErasureOutcome:
    """The customer row is locked (FOR UPDATE) by the caller, so a share racing this either
    finishes before (and is erased with the rest) or starts after and finds nobody."""
    now = services.clock()
    row = session.scalar(select(ErasureRequest).where(
        ErasureRequest.customer_id == customer.id,
        ErasureRequest.status == ErasureStatus.REQUESTED))
    if row is None:
        row = ErasureRequest(shop_id=customer.shop_id, customer_id=customer.id, source=source,
                             subject_hash=_subject(services, customer), created_at=now)
        session.add(row)
    tombstone = TOMBSTONE_PREFIX + secrets.token_hex(8)
    rel = related(session, customer, services.settings.hash_key)
    forgotten = [code.code for code in rel.codes]
    row.summary = _erase_rows(session, services, rel, tombstone)
    row.status, row.tombstone, row.completed_at = ErasureStatus.COMPLETED, tombstone, now
    cache_invalidation.announce(session, shop_id=customer.shop_id, reason="codes_erased")
    session.flush()
    for code in forgotten:  # this process's cache at once; the others at their next check
        services.codes.forget(code)
    return _outcome(row, False)


def erasure_requests(session: Session, shop_id: int, *, status: str | None = None,
                     after: int = 0, limit: int = 50) -> list[tuple[ErasureRequest, str | None]]:
    """The shop's erasure requests with the customer's current id (the tombstone once done)."""
    query = (select(ErasureRequest, Customer.external_id)
             .outerjoin(Customer, Customer.id == ErasureRequest.customer_id)
             .where(ErasureRequest.shop_id == shop_id, ErasureRequest.id > after)
             .order_by(ErasureRequest.id).limit(limit))
    if status:
        query = query.where(ErasureRequest.status == status)
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


# --- retention ------------------------------------------------------------------------

RETENTION_DEFAULTS = {"clicks_days": 180, "message_bodies_days": 90}
RETENTION_LIMITS = (1, 3650)
VOICE_SESSIONS_KEPT = timedelta(hours=1)  # longer than any assistant's session lasts
FINISHED = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.DEAD,
            MessageStatus.SUPPRESSED)


def retention_of(shop: Any) -> dict[str, int]:
    """How long this shop keeps clicks' hashed IP and user agent, and message texts."""
    return {**RETENTION_DEFAULTS, **(shop.setting("retention") or {})}


@dataclass
class Pruned:
    clicks: int = 0
    messages: int = 0
    voice_sessions: int = 0


def prune(services: Services, *, batch: int = 1000) -> Pruned:
    """Clear what each shop's retention says is too old, in batches (one transaction each,
    so a long backlog never holds locks for long): clicks keep their count, channel and
    time but lose the hashed IP and user agent; finished messages keep their status,
    channel and times but lose the text and what it was made from. Voice dialog states
    idle for longer than any assistant's session are dropped."""
    from core.models import Shop

    total = Pruned()
    now = services.clock()
    with services.db.session() as session:
        shops = [(s.id, retention_of(s)) for s in session.scalars(select(Shop))]
    for shop_id, keep in shops:
        clicks_cutoff = now - timedelta(days=keep["clicks_days"])
        bodies_cutoff = now - timedelta(days=keep["message_bodies_days"])
        while (n := _in_transaction(services, _prune_clicks, shop_id, clicks_cutoff, batch)):
            total.clicks += n
            if n < batch:
                break
        while (n := _in_transaction(services, _prune_messages, shop_id, bodies_cutoff, batch)):
            total.messages += n
            if n < batch:
                break
    total.voice_sessions = voice_sessions.prune(services, VOICE_SESSIONS_KEPT)
    return total


def _in_transaction(services: Services, step: Any, *args: Any) -> int:
    with services.db.session() as session:
        return int(step(session, *args))


def _prune_clicks(session: Session, shop_id: int, cutoff: datetime, batch: int) -> int:
    ids = list(session.scalars(select(Click.id).where(
        Click.shop_id == shop_id, Click.created_at < cutoff,
        or_(Click.ip_hash.is_not(None), Click.user_agent != "")).limit(batch)))
    if ids:
        session.execute(update(Click).where(Click.id.in_(ids)).values(ip_hash=None,
                                                                      user_agent=""))
    return len(ids)


def _prune_messages(session: Session, shop_id: int, cutoff: datetime, batch: int) -> int:
    empty = "{}"
    ids = list(session.scalars(select(Message.id).where(
        Message.shop_id == shop_id, Message.created_at < cutoff,
        Message.status.in_(FINISHED),
        or_(cast(Message.rendered, String) != empty, cast(Message.context, String) != empty))
        .limit(batch)))
    if ids:
        session.execute(update(Message).where(Message.id.in_(ids)).values(rendered={},
                                                                          context={}))
    return len(ids)


# --- use cases: one call each, scoped to the shop, opening their own unit of work --------

def export(services: Services, shop_id: int, external_id: str) -> dict[str, Any]:
    """export_customer for the shop, now by the injected clock."""
    with services.db.session() as uow:
        return export_customer(uow, shop_id, external_id, services.settings.hash_key,
                               services.clock())


def erase(services: Services, shop_id: int, external_id: str, *,
          source: str = "api") -> ErasureOutcome:
    """erase_customer in a unit of work of its own."""
    with services.db.session() as uow:
        return erase_customer(uow, services, shop_id, external_id, source=source)


@dataclass(frozen=True)
class ErasureLine:
    id: int
    customer: str | None  # the customer's id now (the tombstone once erased)
    source: str  # api | voice
    status: str  # requested | completed
    requested_at: datetime
    completed_at: datetime | None


def erasure_page(services: Services, shop_id: int, *, status: str | None, after: int,
                 limit: int) -> Page[ErasureLine]:
    with services.db.session() as uow:
        rows = erasure_requests(uow, shop_id, status=status, after=after, limit=limit + 1)
    return page_of(rows, limit, lambda row: ErasureLine(
        row[0].id, row[1], row[0].source, row[0].status, row[0].created_at,
        row[0].completed_at), key=lambda row: row[0].id)


def retention(services: Services, shop_id: int) -> dict[str, int]:
    with services.db.session() as uow:
        return retention_of(shops.get(uow, shop_id))


def set_retention(services: Services, shop_id: int, changes: dict[str, int]) -> dict[str, int]:
    """Days to keep clicks' hashed IPs and user agents, and message texts (the fields
    given change, the others stay); the prune job applies them."""
    with services.db.session() as uow:
        shop = shops.get(uow, shop_id)
        shop.settings = {**(shop.settings or {}), "retention": {**retention_of(shop), **changes}}
        return retention_of(shop)
