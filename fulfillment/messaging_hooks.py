"""Inbound messaging webhooks: Twilio replies (STOP / START) and delivery status callbacks,
both signature-checked with Twilio's RequestValidator, and the email unsubscribe link
(GET shows a confirmation, POST unsubscribes: one-click per RFC 8058)."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import and_, or_, select
from twilio.request_validator import RequestValidator

from core.contacts import normalize_phone
from core.errors import InvalidInput, Unauthorized
from core.hashing import keyed_hash
from core.messaging.unsubscribe import read_token
from core.messaging.worker import MAX_ATTEMPTS, backoff
from core.models import Message, Shop, Suppression
from fulfillment.context import services

bp = Blueprint("messaging_hooks", __name__)
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "REVOKE", "OPTOUT", "OPT OUT",
              "CANCEL"}
START_WORDS = {"START", "UNSTOP", "YES"}
# Carrier errors worth another try later: queue overflow, handset unreachable, unknown.
RETRYABLE_CARRIER = {"30001", "30003", "30008"}
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _check_twilio_signature() -> None:
    svc = services()
    token = (svc.settings.twilio or {}).get("auth_token")
    if not svc.settings.verify_requests:
        return
    if not token:
        raise Unauthorized("Twilio is not configured.", code="twilio_not_configured")
    signature = request.headers.get("X-Twilio-Signature", "")
    url = svc.settings.public_base_url + request.full_path.rstrip("?")
    if not RequestValidator(token).validate(url, request.form.to_dict(), signature):
        raise Unauthorized("Bad X-Twilio-Signature.", code="bad_signature")


@bp.post("/hooks/twilio/inbound")
def twilio_inbound() -> ResponseReturnValue:
    _check_twilio_signature()
    svc = services()
    word = " ".join((request.form.get("Body") or "").upper().split())
    sender = request.form.get("From", "").removeprefix("whatsapp:")
    channel = "whatsapp" if request.form.get("From", "").startswith("whatsapp:") else "sms"
    try:
        phone = normalize_phone(sender, allow_fictional=True)
    except InvalidInput:
        return Response(EMPTY_TWIML, mimetype="text/xml")
    recipient_hash = keyed_hash(svc.settings.hash_key, phone)
    now = svc.clock()
    with svc.db.session() as session:
        active = session.scalars(select(Suppression).where(
            Suppression.channel == channel, Suppression.recipient_hash == recipient_hash,
            Suppression.shop_id.is_(None), Suppression.lifted_at.is_(None))).all()
        if word in STOP_WORDS and not active:
            # Our number serves every shop: a STOP to it stops every shop's texts.
            session.add(Suppression(shop_id=None, channel=channel, recipient_hash=recipient_hash,
                                    reason=f"inbound {word}", created_at=now))
        elif word in START_WORDS:
            for row in active:
                row.lifted_at = now
    return Response(EMPTY_TWIML, mimetype="text/xml")


@bp.post("/hooks/twilio/status")
def twilio_status() -> ResponseReturnValue:
    """delivered -> delivered; failed / undelivered -> dead, or retried later when the carrier
    said the handset was only unreachable. The report is kept on the row even when it beats
    the worker's own `sent` (the worker applies it then)."""
    _check_twilio_signature()
    svc = services()
    sid, status = request.form.get("MessageSid", ""), request.form.get("MessageStatus", "")
    if not sid or status not in ("delivered", "failed", "undelivered"):
        return Response(EMPTY_TWIML, mimetype="text/xml")
    target = Message.provider_message_id == sid
    ours = request.args.get("m", "")
    if ours.isascii() and ours.isdigit() and len(ours) <= 18:
        target = or_(target, and_(Message.id == int(ours), or_(
            Message.provider_message_id.is_(None), Message.provider_message_id == sid)))
    now = svc.clock()
    code = request.form.get("ErrorCode", "")[:16]
    with svc.db.session() as session:
        row = session.scalar(select(Message).where(target).limit(1).with_for_update())
        if row is None:
            return Response(EMPTY_TWIML, mimetype="text/xml")
        row.provider_status = status
        if status == "delivered":
            row.delivered_at = now
            if row.status == "sent":
                row.status = "delivered"
        else:
            row.last_error = f"Twilio {status} {code}".strip()
            if row.status == "sent":
                if code in RETRYABLE_CARRIER and row.attempts < MAX_ATTEMPTS:
                    row.status, row.provider_status = "failed", None
                    row.next_attempt_at = now + backoff(row.attempts)
                else:
                    row.status = "dead"
    return Response(EMPTY_TWIML, mimetype="text/xml")


@bp.route("/u/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> ResponseReturnValue:
    svc = services()
    shop_id, channel, recipient_hash = read_token(svc.settings.secret_key, token)
    with svc.db.session() as session:
        shop = session.get(Shop, shop_id)
        shop_name = shop.name if shop else ""
        if request.method == "POST":
            exists = session.scalar(select(Suppression.id).where(
                Suppression.shop_id == shop_id, Suppression.channel == channel,
                Suppression.recipient_hash == recipient_hash,
                Suppression.lifted_at.is_(None)))
            if exists is None:
                session.add(Suppression(shop_id=shop_id, channel=channel,
                                        recipient_hash=recipient_hash, reason="unsubscribe link",
                                        created_at=svc.clock()))
    return render_template("unsubscribe.html", shop_name=shop_name, token=token,
                           done=request.method == "POST")
