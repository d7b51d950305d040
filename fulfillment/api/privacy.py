"""Shop API routes for a customer's own data: export, erasure, erasure requests. Declared
with the shop API's `api` decorator (same auth, validation, OpenAPI document) on a
blueprint of their own."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue

from core import privacy
from core.errors import InvalidInput
from fulfillment.api.shop import (
    INT,
    NULL_STR,
    NULL_TIME,
    PAGE,
    STR,
    TIME,
    _iso,
    _obj,
    _page,
    _paged,
    api,
    page_of,
)
from fulfillment.context import services

_ERASURE_STATUSES = [s.value for s in privacy.ErasureStatus]

bp = Blueprint("privacy_api", __name__, url_prefix="/api/v1")
MAX_ID = 128
EXTERNAL_ID = {"external_id": {"type": "string", "minLength": 1, "maxLength": MAX_ID,
                               "description": "the shop's customer id"}}
ARRAY = {"type": "array", "items": {"type": "object"}}
EXPORT = _obj(
    ["generated_at", "profile", "consents", "opt_outs", "voice_identities",
     "pairing_challenges", "codes", "shares", "clicks", "messages", "referrals",
     "conversions", "ledger", "shop_events", "webhooks_to_shop", "hosted_images",
     "reminders", "digest", "support_console", "voice_sessions", "store_codes",
     "store_webhooks", "mcp_sign_ins", "erasure_requests"],
    generated_at=TIME,
    profile=_obj(["id", "name", "email", "phone", "locale", "timezone", "signed_up_at",
                  "created_at"], id=STR, name=STR, email=NULL_STR, phone=NULL_STR,
                 locale=STR, timezone=NULL_STR, signed_up_at=NULL_TIME, created_at=NULL_TIME),
    consents=_obj(["email", "sms", "evidence"], email={"type": "object"},
                  sms={"type": "object"}, evidence=ARRAY),
    referrals=_obj(["made", "received"], made=ARRAY, received=ARRAY),
    **{key: ARRAY for key in ("opt_outs", "voice_identities", "pairing_challenges", "codes",
                              "shares", "clicks", "messages", "conversions", "ledger",
                              "shop_events", "webhooks_to_shop", "hosted_images", "reminders",
                              "digest", "support_console", "voice_sessions", "store_codes",
                              "store_webhooks", "mcp_sign_ins", "erasure_requests")})
EXPORT["description"] = ("Everything held about the customer. Addresses and message texts "
                         "as stored; clicks on their links without the visitors' hashes.")
ERASURE = _obj(
    ["request", "status", "customer", "already_erased", "requested_at", "completed_at",
     "erased"],
    request=INT, status={"enum": _ERASURE_STATUSES},
    customer={**NULL_STR, "description": "the tombstone id the ledger keeps once erased"},
    already_erased={"type": "boolean", "description": "true: erased by an earlier call"},
    requested_at=TIME, completed_at=NULL_TIME,
    erased={"type": "object", "additionalProperties": {"type": "integer"},
            "description": "rows changed per table"})
ERASURE_REQUEST = _obj(["id", "customer", "source", "status", "requested_at", "completed_at"],
                       id=INT, customer=NULL_STR, source={"enum": ["api", "voice"]},
                       status={"enum": _ERASURE_STATUSES}, requested_at=TIME,
                       completed_at=NULL_TIME)


def _external_id(value: str) -> str:
    if len(value) > MAX_ID:
        raise InvalidInput("The customer id is longer than 128 characters.", code="schema",
                           details={"fields": ["external_id"]})
    return value


def _erasure(outcome: privacy.ErasureOutcome) -> dict[str, Any]:
    return {"request": outcome.request_id, "status": outcome.status,
            "customer": outcome.tombstone, "already_erased": outcome.already,
            "requested_at": _iso(outcome.requested_at),
            "completed_at": _iso(outcome.completed_at), "erased": outcome.erased}


@api("GET", "/customers/{external_id}/export", "Everything held about one customer, as one "
     "JSON document (right of access).", response=EXPORT, errors=(400, 401, 404, 422),
     path_params=EXTERNAL_ID, blueprint=bp)
def export_customer(external_id: str) -> ResponseReturnValue:
    return jsonify(privacy.export(services(), g.shop_id, _external_id(external_id)))


@api("DELETE", "/customers/{external_id}", "Erase a customer (right to erasure): contacts, "
     "voice identities, message texts and recipients, hashed IPs and user agents go; ledger "
     "amounts stay under a tombstone id; queued messages are cancelled; their addresses are "
     "suppressed; their code stops resolving. Idempotent.", response=ERASURE,
     errors=(400, 401, 404, 422), path_params=EXTERNAL_ID, blueprint=bp)
def erase_customer(external_id: str) -> ResponseReturnValue:
    return jsonify(_erasure(privacy.erase(services(), g.shop_id, _external_id(external_id),
                                          source="api")))


@api("GET", "/erasure-requests", "Erasure requests, oldest first (customers who asked by "
     "voice are `requested` until DELETE /customers/{id} completes them); ?status=.",
     query={**PAGE, "status": {"enum": _ERASURE_STATUSES}},
     response=page_of(ERASURE_REQUEST), errors=(400, 401, 422), blueprint=bp)
def list_erasure_requests() -> ResponseReturnValue:
    limit, after = _page()
    status = request.args.get("status") or None
    if status is not None and status not in _ERASURE_STATUSES:
        raise InvalidInput("status must be requested or completed.", code="schema",
                           details={"fields": ["status"]})
    page = privacy.erasure_page(services(), g.shop_id, status=status, after=after,
                                limit=limit)
    answer: ResponseReturnValue = _paged(page, lambda row: {
        "id": row.id, "customer": row.customer, "source": row.source, "status": row.status,
        "requested_at": _iso(row.requested_at), "completed_at": _iso(row.completed_at)})
    return answer


DAYS = {"type": "integer", "minimum": privacy.RETENTION_LIMITS[0],
        "maximum": privacy.RETENTION_LIMITS[1]}
RETENTION_IN = {"type": "object", "additionalProperties": False, "properties": {
    "clicks_days": {**DAYS, "description": "days clicks keep the hashed IP and user agent "
                    f"(default {privacy.RETENTION_DEFAULTS['clicks_days']})"},
    "message_bodies_days": {**DAYS, "description": "days a finished message keeps its text "
                            f"(default {privacy.RETENTION_DEFAULTS['message_bodies_days']})"}}}
RETENTION_OUT = _obj(["clicks_days", "message_bodies_days"], clicks_days=INT,
                     message_bodies_days=INT)


@api("GET", "/retention", "How long clicks' hashed IPs and user agents, and message texts, "
     "are kept.", response=RETENTION_OUT, errors=(400, 401), blueprint=bp)
def get_retention() -> ResponseReturnValue:
    return jsonify(privacy.retention(services(), g.shop_id))


@api("PUT", "/retention", "Set how long clicks' hashed IPs and user agents, and message "
     "texts, are kept (1 to 3650 days); a job clears older ones hourly.", body=RETENTION_IN,
     response=RETENTION_OUT, errors=(400, 401, 422), blueprint=bp)
def put_retention(data: dict[str, Any]) -> ResponseReturnValue:
    return jsonify(privacy.set_retention(services(), g.shop_id, data))
