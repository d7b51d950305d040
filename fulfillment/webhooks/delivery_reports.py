"""Inbound messaging webhooks: Twilio replies (STOP / START) and delivery status callbacks,
both signature-checked with Twilio's RequestValidator, and the email unsubscribe link
(GET shows a confirmation, POST unsubscribes: one-click per RFC 8058)."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from twilio.request_validator import RequestValidator

from core.contacts import normalize_phone
from core.errors import InvalidInput, Unauthorized
from core.messaging import delivery_reports, suppressions
from core.messaging.delivery_reports import ReportStatus
from core.messaging.unsubscribe import read_token
from fulfillment.context import services
from fulfillment.web.auth import public

bp = Blueprint("messaging_hooks", __name__)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _check_twilio_signature() -> None:
    svc = services()
    token = svc.settings.twilio.auth_token if svc.settings.twilio else ""
    if not svc.settings.verify_requests:
        return
    if not token:
        raise Unauthorized("Twilio is not configured.", code="twilio_not_configured")
    signature = request.headers.get("X-Twilio-Signature", "")
    url = svc.settings.public_base_url + request.full_path.rstrip("?")
    if not RequestValidator(token).validate(url, request.form.to_dict(), signature):
        raise Unauthorized("Bad X-Twilio-Signature.", code="bad_signature")


@bp.post("/hooks/twilio/inbound")
@public("verified by the Twilio signature, or a signed unsubscribe token")
def twilio_inbound() -> ResponseReturnValue:
    _check_twilio_signature()
    svc = services()
    sender = request.form.get("From", "").removeprefix("whatsapp:")
    channel = "whatsapp" if request.form.get("From", "").startswith("whatsapp:") else "sms"
    try:
        phone = normalize_phone(sender, allow_fictional=True)
    except InvalidInput:
        return Response(EMPTY_TWIML, mimetype="text/xml")
    with svc.db.session() as session:
        suppressions.inbound_keyword(session, svc, channel=channel, phone=phone,
                                     body=request.form.get("Body") or "")
    return Response(EMPTY_TWIML, mimetype="text/xml")


@bp.post("/hooks/twilio/status")
@public("verified by the Twilio signature, or a signed unsubscribe token")
def twilio_status() -> ResponseReturnValue:
    """delivered -> delivered; failed / undelivered -> dead, or retried later when the carrier
    said the handset was only unreachable. The report is kept on the row even when it beats
    the worker's own `sent` (the worker applies it then)."""
    _check_twilio_signature()
    svc = services()
    sid, status = request.form.get("MessageSid", ""), request.form.get("MessageStatus", "")
    if not sid or status not in set(ReportStatus):
        return Response(EMPTY_TWIML, mimetype="text/xml")
    ours = request.args.get("m", "")
    message_id = int(ours) if ours.isascii() and ours.isdigit() and len(ours) <= 18 else None
    with svc.db.session() as session:
        delivery_reports.apply_report(session, svc, provider="Twilio", provider_id=sid,
                                      status=ReportStatus(status), message_id=message_id,
                                      error_code=request.form.get("ErrorCode", "")[:16])
    return Response(EMPTY_TWIML, mimetype="text/xml")


@bp.route("/u/<token>", methods=["GET", "POST"])
@public("verified by the Twilio signature, or a signed unsubscribe token")
def unsubscribe(token: str) -> ResponseReturnValue:
    svc = services()
    shop_id, channel, recipient_hash = read_token(svc.settings.secret_key, token)
    with svc.db.session() as session:
        shop_name = suppressions.shop_name(session, shop_id)
        if request.method == "POST":
            suppressions.unsubscribe(session, svc, shop_id=shop_id, channel=channel,
                                     recipient_hash=recipient_hash)
    return render_template("unsubscribe.html", shop_name=shop_name, token=token,
                           done=request.method == "POST")
