"""The shop API (JSON, Bearer API key) and the signed event webhook.

Each route is declared once with its schemas; the same declaration validates requests and
generates /api/v1/openapi.json, so the document cannot drift from the code."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import jsonschema
from flask import Blueprint, Response, current_app, g, jsonify, make_response, request
from flask.typing import ResponseReturnValue

from core import (
    accounts,
    analytics,
    credentials,
    customers,
    events,
    programs,
    referral_list,
    review,
)
from core.accounts import Role
from core.clock import as_utc
from core.customers import ENTRY_STATUSES
from core.errors import Forbidden, InvalidInput, MalformedRequest, Unauthorized
from core.paging import MAX_AFTER, Page
from core.referral_list import REFERRAL_STATUSES, ReferralLine
from core.stores import connections
from core.webhook_signing import HEADER
from fulfillment.context import services
from fulfillment.edge import input_limits
from fulfillment.web.auth import Policy, declare

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_LIMIT = 200
MAX_ID = 2**31 - 1  # the id columns are INTEGER: a larger id names nothing


@dataclass
class ApiRoute:
    method: str
    path: str  # OpenAPI style: /customers/{external_id}
    summary: str
    auth: str  # api_key | signature | none
    body: dict[str, Any] | None = None
    response: dict[str, Any] = field(default_factory=lambda: {"type": "object"})
    query: dict[str, dict[str, Any]] = field(default_factory=dict)
    status: int = 200
    # Documented only: a body the view validates itself (the raw bytes are signed).
    documented_body: dict[str, Any] | None = None
    errors: tuple[int, ...] = (400, 401, 404, 422)
    operation_id: str = ""
    path_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    # api_key routes: the least key role (core.accounts.Role) that may call it.
    role: Role | None = None


ROUTES: list[ApiRoute] = []
ERROR = {"type": "object", "properties": {"error": {"type": "object", "properties": {
    "code": {"type": "string"}, "message": {"type": "string"}, "details": {}}}}}
ERROR_TEXT = {400: "Malformed request", 401: "Not authenticated (the reason is in the error)",
              403: "The API key's role does not allow this (error.code key_role)",
              404: "Not found", 409: "Collided with concurrent events; send it again",
              422: "Invalid fields (named in error.details.fields)"}
PAGE = {"limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
        "after": {"type": "integer", "minimum": 0}}
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _authenticate() -> None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise Unauthorized("Send the shop's API key as `Authorization: Bearer <key>`.",
                           code="missing_api_key")
    holder = credentials.authenticate(services(), header[7:].strip())
    if holder is None:
        raise Unauthorized("Unknown or revoked API key.", code="bad_api_key")
    g.shop_id, g.shop_slug, g.api_role = holder.shop_id, holder.shop_slug, holder.role


def api(method: str, path: str, summary: str, *, auth: str = "api_key",
        body: dict[str, Any] | None = None, response: dict[str, Any] | None = None,
        query: dict[str, dict[str, Any]] | None = None, status: int = 200,
        documented_body: dict[str, Any] | None = None,
        errors: tuple[int, ...] = (400, 401, 404, 422),
        path_params: dict[str, dict[str, Any]] | None = None,
        blueprint: Blueprint | None = None,
        role: Role | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a route once: the declaration authenticates, checks the key's role,
    validates the query and the body, checks the answer under test, and is what
    openapi_document() publishes. An integer path parameter is matched by a bounded int
    converter (anything else: 404). `blueprint`: a surface's own blueprint under /api/v1
    (fulfillment.api.privacy), documented here all the same.

    `role` (api_key routes): the least role the key needs; by default reads (GET) need
    SUPPORT and changes need MANAGER (core.accounts)."""
    if auth == "api_key" and role is None:
        role = Role.SUPPORT if method == "GET" else Role.MANAGER
    if auth == "api_key":
        errors = tuple(sorted({*errors, 403}))
    route = ApiRoute(method, path, summary, auth, body, response or {"type": "object"},
                     query or {}, status, documented_body, errors, "", path_params or {},
                     role=role)
    ROUTES.append(route)

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        route.operation_id = view.__name__
        @functools.wraps(view)
        def wrapper(**kwargs: Any) -> Any:
            if auth == "api_key":
                _authenticate()
                if role is not None and not accounts.allows(g.api_role, role):
                    raise Forbidden(f"This API key is {g.api_role}; {method} {path} needs "
                                    f"a {role} key.", code="key_role")
            g.query = _checked_query(route.query)
            if body is not None:
                data = request.get_json(silent=True)
                if not isinstance(data, dict):
                    raise MalformedRequest("The body must be a JSON object.", code="malformed_json")
                _check(body, data)
                kwargs["data"] = _whole_numbers(data)
            answer = make_response(view(**kwargs))
            if current_app.testing:
                _check_response(route, answer.status_code, answer.get_json())
            return answer

        declare(wrapper, Policy("api_key", role=role) if auth == "api_key" else
                Policy("public", reason=f"authenticated by {auth}" if auth != "none" else
                       "public document"))
        (blueprint or bp).add_url_rule(_flask_rule(route), endpoint=view.__name__,
                                       view_func=wrapper, methods=[method])
        return wrapper

    return decorate


def _flask_rule(route: ApiRoute) -> str:
    def converter(match: re.Match[str]) -> str:
        schema = route.path_params.get(match.group(1))
        if schema and schema.get("type") == "integer":
            return f"<int(min={schema['minimum']}, max={schema['maximum']}):{match.group(1)}>"
        return f"<{match.group(1)}>"

    return re.sub(r"\{(\w+)\}", converter, route.path)


# ASCII digits only (int() also reads "٣" and "1_0"), within what int() converts.
_INTEGER = re.compile(r"-?[0-9]{1,4000}")


def _checked_query(declared: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The declared query parameters, typed and checked against their schemas; a wrong or
    an undeclared one is a 422 naming it (a misspelt ?limt= must not silently mean 50)."""
    values: dict[str, Any] = {}
    wrong: list[str] = sorted(set(request.args) - set(declared))
    for name, schema in declared.items():
        raw = request.args.get(name)
        if raw is None:
            continue
        value: Any = raw
        if schema.get("type") == "integer":
            if not _INTEGER.fullmatch(raw):
                wrong.append(name)
                continue
            value = int(raw)
        if list(jsonschema.Draft202012Validator(schema).iter_errors(value)):
            wrong.append(name)
            continue
        values[name] = value
    if wrong:
        raise InvalidInput("Invalid query parameters: " + ", ".join(wrong) + ".",
                           code="schema", details={"fields": wrong})
    return values


def _whole_numbers(value: Any) -> Any:
    """JSON Schema counts 5000.0 as an integer; the columns and rules want an int. These
    bodies declare no fractional numbers, so every whole float becomes an int."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(v) for v in value]
    return value


def _check(schema: dict[str, Any], data: dict[str, Any]) -> None:
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(data))
    if errors:
        fields = sorted({events._field_of(e) for e in errors})
        raise InvalidInput("Invalid fields: " + ", ".join(fields) + ".", code="schema",
                           details={"fields": fields})


def _check_response(route: ApiRoute, status: int, data: Any) -> None:
    """Under test every answer is checked against the status and schema the document
    publishes, so a view that drifts from its declaration fails the tests that call it."""
    if status != route.status:
        raise AssertionError(f"{route.method} {route.path} answered {status}, documented "
                             f"{route.status}")
    errors = list(jsonschema.Draft202012Validator(route.response).iter_errors(data))
    if errors:
        raise AssertionError(f"{route.method} {route.path} answered outside its documented "
                             f"schema: {[e.message for e in errors]}")


def page_of(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": ["data", "next"], "additionalProperties": False,
            "properties": {"data": {"type": "array", "items": item},
                           "next": {"type": ["integer", "null"],
                                    "description": "Pass as ?after= for the next page."}}}


def _obj(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "additionalProperties": False,
            "properties": props}


STR, INT, NULL_STR = {"type": "string"}, {"type": "integer"}, {"type": ["string", "null"]}
NULL_INT = {"type": ["integer", "null"]}
TIME = {"type": "string", "format": "date-time"}
NULL_TIME = {"type": ["string", "null"], "format": "date-time"}


def _page() -> tuple[int, int]:
    """limit and after, already checked against PAGE by the route's declaration."""
    query = g.get("query") or {}
    return query.get("limit", 50), min(query.get("after", 0), MAX_AFTER)


def _paged(page: Page[Any], render: Callable[[Any], dict[str, Any]]) -> Response:
    """Keyset pagination: `next` is the last id of this page, to pass as ?after=."""
    return jsonify({"data": [render(item) for item in page.items], "next": page.next})


# --- events ---------------------------------------------------------------------------

@api("POST", "/events", "Receive a signed shop event (customer.signup, order.completed, "
     "order.refunded). Header X-Referral-Signature: t=<unix>,v1=<hmac-sha256 hex of "
     "'{t}.{body}'>.", auth="signature", errors=(400, 401, 404, 409, 422),
     documented_body={"oneOf": list(events.SCHEMAS.values())},
     response=_obj(["event", "type", "replayed", "result"], event=STR, type=STR,
                   replayed={"type": "boolean", "description": "true: the answer the first "
                             "delivery of this event (or of this order) got"},
                   result={"type": "object"}))
def receive_event() -> ResponseReturnValue:
    outcome = events.receive(services(), request.get_data(cache=False), request.headers.get(HEADER))
    return jsonify(outcome.as_dict())


# --- program ----------------------------------------------------------------------------

PROGRAM = programs.SCHEMA  # one validator: the program editor checks the same
PROGRAM_OUT = {**PROGRAM, "required": [*programs.FIELDS, "version", "active", "created_at"],
               "properties": {**PROGRAM["properties"], "version": INT,
                              "active": {"type": "boolean"}, "created_at": NULL_TIME}}


@api("GET", "/program", "The active program.", response=PROGRAM_OUT)
def get_program() -> ResponseReturnValue:
    return jsonify(programs.active_of(services(), g.shop_id))


@api("PUT", "/program", "Create a new active version of the program (history is kept).",
     body=PROGRAM, response=PROGRAM_OUT, status=201)
def put_program(data: dict[str, Any]) -> ResponseReturnValue:
    return jsonify(programs.publish(services(), g.shop_id, data)), 201


@api("GET", "/program/history", "Every version of the program, newest first.",
     response=_obj(["data"], data={"type": "array", "items": PROGRAM_OUT}))
def program_history() -> ResponseReturnValue:
    return jsonify({"data": programs.versions(services(), g.shop_id)})


# --- customers and ledger ---------------------------------------------------------------

CUSTOMER = {"type": "object", "additionalProperties": False, "properties": {
    "email": {"type": ["string", "null"]}, "phone": {"type": ["string", "null"]},
    "name": {"type": ["string", "null"], "maxLength": 200},
    "locale": {"type": ["string", "null"], "maxLength": 16},
    "consent_email": {"type": "boolean"}, "consent_sms": {"type": "boolean"}}}


CUSTOMER_OUT = _obj(["id", "name", "email", "phone", "locale"], id=STR, name=STR,
                    email=NULL_STR, phone={**NULL_STR, "description": "E.164"}, locale=STR)


@api("PUT", "/customers/{external_id}", "Create or update a customer by the shop's id.",
     body=CUSTOMER, response=CUSTOMER_OUT,
     path_params={"external_id": {"type": "string", "minLength": 1, "maxLength": 128}})
def upsert_customer(external_id: str, data: dict[str, Any]) -> ResponseReturnValue:
    if len(external_id) > 128:
        raise InvalidInput("The customer id is longer than 128 characters.", code="schema",
                           details={"fields": ["external_id"]})
    saved = customers.save(services(), g.shop_id, external_id, data)
    return jsonify({"id": saved.external_id, "name": saved.name, "email": saved.email,
                    "phone": saved.phone, "locale": saved.locale})


def _iso(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value else None


LEDGER_ENTRY = _obj(
    ["id", "side", "kind", "amount", "currency", "status", "type", "reverses", "referral",
     "hold_until", "approved_at", "created_at", "note"],
    id=INT, side={"enum": ["friend", "referrer", "level2"]},
    kind={"enum": list(programs.REWARD_KINDS)},
    amount={**INT, "description": "minor units for money kinds, points for points, whole "
            "percent for percent_discount; negative on a reversal"},
    currency=STR, status={"enum": list(ENTRY_STATUSES)}, type={"enum": ["reward", "reversal"]},
    reverses=NULL_INT, referral=INT, hold_until=NULL_TIME, approved_at=NULL_TIME,
    created_at=TIME, note=STR)


def _entry(e: customers.LedgerLine) -> dict[str, Any]:
    return {"id": e.id, "side": e.side, "kind": e.kind, "amount": e.amount,
            "currency": e.currency, "status": e.status, "type": e.entry_type,
            "reverses": e.reverses_id, "referral": e.referral_id,
            "hold_until": _iso(e.hold_until), "approved_at": _iso(e.approved_at),
            "created_at": _iso(e.created_at), "note": e.note}


@api("GET", "/customers/{external_id}/ledger", "A customer's reward entries, oldest first.",
     query=PAGE, response=page_of(LEDGER_ENTRY))
def customer_ledger(external_id: str) -> ResponseReturnValue:
    limit, after = _page()
    return _paged(customers.ledger(services(), g.shop_id, external_id, after=after,
                                   limit=limit), _entry)


REFERRAL = _obj(
    ["id", "status", "reasons", "referrer", "friend", "code", "created_at", "reviewed_at"],
    id=INT, status={"enum": list(REFERRAL_STATUSES)},
    reasons={"type": "array", "items": STR, "description": "fraud rule reason codes"},
    referrer={**NULL_STR, "description": "the shop's customer id"}, friend=NULL_STR,
    code=STR, created_at=TIME, reviewed_at=NULL_TIME)


def _referral(r: ReferralLine) -> dict[str, Any]:
    return {"id": r.id, "status": r.status, "reasons": list(r.reasons),
            "referrer": r.referrer, "friend": r.friend, "code": r.code,
            "created_at": _iso(r.created_at), "reviewed_at": _iso(r.reviewed_at)}


def _status_filter() -> str | None:
    return (g.get("query") or {}).get("status")  # checked against its enum already


@api("GET", "/referrals", "Referrals, oldest first; filter with ?status=.",
     query={**PAGE, "status": {"enum": list(REFERRAL_STATUSES)}}, response=page_of(REFERRAL))
def list_referrals() -> ResponseReturnValue:
    limit, after = _page()
    return _paged(referral_list.page(services(), g.shop_id, status=_status_filter(),
                                     after=after, limit=limit), _referral)


# --- review queue -----------------------------------------------------------------------

@api("GET", "/review", "Flagged referrals waiting for a person.", query=PAGE,
     response=page_of(REFERRAL))
def review_queue() -> ResponseReturnValue:
    limit, after = _page()
    return _paged(review.queue(services(), g.shop_id, after=after, limit=limit), _referral)


def _decide(referral_id: int, decision: review.Decision) -> ResponseReturnValue:
    return jsonify(_referral(review.decide_as(services(), shop_id=g.shop_id,
                                              referral_id=referral_id, decision=decision,
                                              reviewer="api")))


@api("POST", "/review/{referral_id}/approve", "Approve a flagged referral: its rewards "
     "continue through the hold period.", response=REFERRAL,
     path_params={"referral_id": ID})
def approve_referral(referral_id: int) -> ResponseReturnValue:
    return _decide(referral_id, review.Decision.APPROVE)


@api("POST", "/review/{referral_id}/reject", "Reject a flagged referral: any rewards are "
     "reversed.", response=REFERRAL, path_params={"referral_id": ID})
def reject_referral(referral_id: int) -> ResponseReturnValue:
    return _decide(referral_id, review.Decision.REJECT)


# --- keys and KPIs -----------------------------------------------------------------------

@api("POST", "/keys/rotate", "Issue a new API key (shown once); the old one stops working.",
     response=_obj(["api_key"], api_key=STR))
def rotate_key() -> ResponseReturnValue:
    return jsonify({"api_key": credentials.replace_api_key(services(), g.shop_id)})


@api("POST", "/webhook-secrets/rotate", "Issue a new webhook secret (shown once); the old "
     "one keeps working for 7 days.", response=_obj(["webhook_secret"], webhook_secret=STR))
def rotate_webhook_secret() -> ResponseReturnValue:
    return jsonify({"webhook_secret": credentials.replace_webhook_secret(services(),
                                                                         g.shop_id)})


RATE = {"type": ["number", "null"], "description": "null when the divisor is 0"}
COUNTS = {"type": "object", "additionalProperties": INT}
SPLIT = _obj(["shares", "clicks", "click_through_rate", "signups", "conversions"],
             shares=INT, clicks=INT, click_through_rate=RATE, signups=INT, conversions=INT)
KPIS = {"type": "object", "required": [
    "shares", "clicks", "signups", "flagged", "conversions", "revenue_minor",
    "rewards_minor_by_status", "conversion_rate", "shares_total", "click_through_rate",
    "signup_rate", "refunded_minor", "rewards_minor", "by_channel", "by_assistant",
    "interval", "series", "top_referrers", "funnel", "range", "definitions"],
    "properties": {
        "shares": {**COUNTS, "description": "shares by channel"},
        "clicks": INT, "signups": INT, "flagged": INT, "conversions": INT,
        "revenue_minor": INT, "refunded_minor": INT, "shares_total": INT,
        "rewards_minor_by_status": COUNTS,
        "conversion_rate": {**RATE, "description": "conversions ÷ signups"},
        "click_through_rate": {**RATE, "description": "clicks ÷ shares"},
        "signup_rate": {**RATE, "description": "signups ÷ clicks"},
        "rewards_minor": _obj(["pending", "held", "approved", "reversed", "net"],
                              pending=INT, held=INT, approved=INT, reversed=INT, net=INT),
        "by_channel": {"type": "object", "additionalProperties": SPLIT},
        "by_assistant": {"type": "object", "additionalProperties": SPLIT},
        "interval": {"enum": list(analytics.INTERVALS)},
        "series": {"type": "array", "items": _obj(
            ["start", "shares", "clicks", "signups", "conversions"], start=STR, shares=INT,
            clicks=INT, signups=INT, conversions=INT)},
        "top_referrers": {"type": "array", "items": _obj(
            ["customer", "name", "signups", "conversions", "revenue_minor"], customer=STR,
            name=STR, signups=INT, conversions=INT, revenue_minor=INT)},
        "funnel": {"type": "array", "items": _obj(["step", "count", "rate"], step=STR,
                                                  count=INT, rate=RATE)},
        "range": _obj(["from", "to"], **{"from": NULL_STR, "to": NULL_STR}),
        "definitions": {"type": "object", "additionalProperties": STR}}}


@api("GET", "/kpis", "Shares by channel, clicks, signups, conversions and their rates "
     "(click-through = clicks ÷ shares, signup rate = signups ÷ clicks, conversion rate = "
     "conversions ÷ signups), revenue, rewards per status and net, splits by channel and "
     "assistant, a series (at most 400 buckets: the latest of a longer range), top "
     "referrers and the funnel, over an optional range of UTC days (from ≤ to, else 422).",
     response=KPIS, query={"from": {"type": "string", "format": "date"},
                           "to": {"type": "string", "format": "date"},
                           "interval": {"enum": list(analytics.INTERVALS)}})
def kpis() -> ResponseReturnValue:
    empty = [name for name in ("from", "to") if request.args.get(name) == ""]
    if empty:
        raise InvalidInput("Leave a date out rather than empty.", code="schema",
                           details={"fields": empty})
    return jsonify(analytics.report(services(), g.shop_id, start=request.args.get("from"),
                                    end=request.args.get("to"),
                                    interval=request.args.get("interval", "day")).as_dict())


# --- the shop's online store ------------------------------------------------------------

# At least one visible ASCII character, not "\S": "\x1c" is space to Python's strip() but
# not to the Rust/ECMA regex schemathesis validates with, so a credential our check strips
# to nothing passed the published schema (a flaky 422 on PUT /store).
_SECRET = {"type": "string", "minLength": 1, "maxLength": 500, "pattern": "[!-~]"}
_STORE_FIELDS: dict[str, Any] = {
    "platform": {"enum": ["shopify", "woocommerce"]},
    "shop_domain": {"type": "string", "maxLength": 300,
                    "pattern": "^[a-z0-9][a-z0-9-]*\\.myshopify\\.com$",
                    "description": "Shopify: example.myshopify.com"},
    "store_url": {"type": "string", "maxLength": 300,
                  "pattern": "^https?://[^\\s/?#@]+(/[^\\s?#]*)?$",
                  "description": "WooCommerce: the site's https URL"},
    "access_token": {**_SECRET, "description": "Shopify Admin API access token"},
    "consumer_key": _SECRET, "consumer_secret": _SECRET,
    "webhook_secret": {**_SECRET, "description": "Shopify: the app's API secret (it signs "
                       "webhooks); WooCommerce: made for you if absent"},
    "api_version": {"type": "string", "pattern": "^[0-9]{4}-(01|04|07|10)$",
                    "description": "Shopify Admin API version (default 2026-07)"},
    "gift_card_rewards": {"type": "boolean"}}
STORE = {"type": "object", "required": ["platform"], "additionalProperties": False,
         "properties": _STORE_FIELDS,
         "if": {"properties": {"platform": {"const": "shopify"}}},
         "then": {"required": ["shop_domain", "access_token", "webhook_secret"]},
         "else": {"required": ["store_url", "consumer_key", "consumer_secret"]}}
STORE_OUT = _obj(["platform", "store_url", "api_version", "token_hint", "gift_card_rewards",
                  "webhook_url", "webhooks_registered_at", "last_webhook_at", "last_error"],
                 platform=STR, store_url=STR, api_version=STR,
                 token_hint={**STR, "description": "the token's last 4 characters"},
                 gift_card_rewards={"type": "boolean"}, webhook_url=STR,
                 webhooks_registered_at=NULL_TIME, last_webhook_at=NULL_TIME,
                 last_error=NULL_STR,
                 webhook_secret={**STR, "description": "only when we made it: paste nowhere, "
                                 "we registered the webhooks with it"})


@api("PUT", "/store", "Connect the shop's store (Shopify or WooCommerce). Credentials are "
     "kept sealed; webhooks are registered and the friends' discounts created by a job.",
     body=STORE, response=STORE_OUT)
def put_store(data: dict[str, Any]) -> ResponseReturnValue:
    shopify_shop = data["platform"] == "shopify"
    req = connections.ConnectRequest(
        platform=data["platform"],
        store_url=data.get("shop_domain" if shopify_shop else "store_url", ""),
        webhook_secret=data.get("webhook_secret", ""),
        access_token=data.get("access_token", ""), consumer_key=data.get("consumer_key", ""),
        consumer_secret=data.get("consumer_secret", ""),
        api_version=str(data.get("api_version") or connections.SHOPIFY_API_VERSION),
        gift_card_rewards=data.get("gift_card_rewards", False))
    return jsonify(connections.connect_store(services(), g.shop_id, req).as_dict())


@api("GET", "/store", "The connected store and its status (last webhook, last error).",
     response=STORE_OUT)
def get_store() -> ResponseReturnValue:
    return jsonify(connections.store_status(services(), g.shop_id).as_dict())


INBOX_ROW = _obj(["id", "platform", "delivery_id", "topic", "status", "attempts",
                  "received_at", "last_error", "body"],
                 id=INT, platform=STR, delivery_id=STR, topic=STR,
                 status={"type": "string", "enum": ["pending", "refused", "dead"]},
                 attempts=INT, received_at={"type": "string", "format": "date-time"},
                 last_error=NULL_STR, body={**STR, "description": "the delivery as sent"})


@api("GET", "/store/inbox", "The store deliveries that need a person: refused with a reason "
     "(a value out of range), given up after their retries, or waiting for another try.",
     response=_obj(["deliveries"], deliveries={"type": "array", "items": INBOX_ROW}))
def get_store_inbox() -> ResponseReturnValue:
    from core.stores import inbound

    rows = inbound.problems(services(), g.shop_id)
    return jsonify({"deliveries": [r.as_dict() for r in rows]})


# --- the document -------------------------------------------------------------------------

@api("GET", "/openapi.json", "This document.", auth="none")
def openapi() -> ResponseReturnValue:
    return jsonify(openapi_document())


def openapi_document() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for route in ROUTES:
        op: dict[str, Any] = {
            "summary": route.summary, "operationId": route.operation_id,
            "responses": {
                str(route.status): {"description": "OK", "content": {"application/json": {
                    "schema": route.response}}},
                **{str(code): {"description": ERROR_TEXT[code], "content": {
                    "application/json": {"schema": ERROR}}} for code in route.errors}},
        }
        params = [{"name": name, "in": "path", "required": True,
                   "schema": route.path_params.get(name, {"type": "string"})}
                  for name in re.findall(r"\{(\w+)\}", route.path)]
        params += [{"name": name, "in": "query", "required": False, "schema": schema}
                   for name, schema in route.query.items()]
        if params:
            op["parameters"] = params
        if route.body is not None or route.documented_body is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": route.body or route.documented_body}}}
        if route.auth == "api_key":
            op["security"] = [{"apiKey": []}]
        elif route.auth == "signature":
            op["security"] = [{"signature": []}]
        paths.setdefault("/api/v1" + route.path, {})[route.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Voice referrals shop API", "version": "1",
                 "description": input_limits.DESCRIPTION},
        "paths": paths,
        "components": {"securitySchemes": {
            "apiKey": {"type": "http", "scheme": "bearer"},
            "signature": {"type": "apiKey", "in": "header", "name": HEADER}}},
    }
