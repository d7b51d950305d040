"""Local HTTP servers that speak the store APIs we call, as documented:

- Shopify Admin GraphQL: `POST /admin/api/<version>/graphql.json` with
  `X-Shopify-Access-Token`; webhookSubscriptionCreate, discountCodeBasicCreate and
  giftCardCreate, answering `userErrors` (HTTP 200) for a taken code, a missing required
  field or a topic already subscribed, 401 for a bad token, and THROTTLED when scripted.
- WooCommerce REST wc/v3: `POST /wp-json/wc/v3/coupons` and `/webhooks` with basic auth,
  error bodies `{code, message, data: {status}}` (a taken coupon code is
  `woocommerce_rest_coupon_code_already_exists`); coupon codes are kept lowercase, as
  WooCommerce does.

Failures are scripted per API: an HTTP status with headers (429 + Retry-After, 500), a
THROTTLED body, or a stall longer than the client's read timeout."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.support.http_servers import JsonHandler, serve

SHOPIFY_PATH = re.compile(r"^/admin/api/(\d{4}-\d{2})/graphql\.json$")
SHOPIFY_TOPICS = {"ORDERS_PAID", "ORDERS_CREATE", "REFUNDS_CREATE", "CUSTOMERS_CREATE",
                  "APP_UNINSTALLED"}


@dataclass
class Failure:
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    stall: float = 0.0  # seconds to wait before answering (a timeout for the client)


@dataclass
class FakeStore:
    url: str = ""
    failures: list[Failure] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)  # every request, failed too
    discounts: dict[str, dict[str, Any]] = field(default_factory=dict)  # code -> input
    gift_cards: dict[str, dict[str, Any]] = field(default_factory=dict)
    webhooks: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    strip_authorization: bool = False  # WooCommerce behind a server that drops the header
    domain: str = "demo-shop.myshopify.com"
    # Shopify's OAuth (the app's Dev Dashboard settings): client id and secret, the
    # allowed redirect URL, the clock its signed timestamps use, codes and tokens issued.
    oauth: dict[str, str] = field(default_factory=dict)
    # A browser walk's app runs on plain http on loopback: its webhook address is allowed
    # then (Shopify itself requires https).
    loopback_http: bool = False
    now: Callable[[], float] = time.time
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    refresh_tokens: dict[str, str] = field(default_factory=dict)

    def fail_next(self, *failures: Failure) -> None:
        self.failures.extend(failures)

    def _scripted(self) -> Failure | None:
        with self.lock:
            return self.failures.pop(0) if self.failures else None


def _user_error(field_path: list[str], code: str, message: str) -> dict[str, Any]:
    return {"field": field_path, "code": code, "message": message}


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _discount_errors(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The documented required fields of DiscountCodeBasicInput when creating: code,
    title, context (or the deprecated customerSelection), plus a valid customerGets."""
    errors = []
    for name in ("code", "title"):
        if not data.get(name):
            errors.append(_user_error(["basicCodeDiscount", name], "BLANK",
                                      f"{name.title()} can't be blank"))
    if not data.get("context") and not data.get("customerSelection"):
        errors.append(_user_error(["basicCodeDiscount", "context"], "BLANK",
                                  "Context can't be blank"))
    gets = data.get("customerGets") or {}
    value = gets.get("value") or {}
    if "percentage" in value:
        pct = value["percentage"]
        if not isinstance(pct, int | float) or not 0 < pct <= 1:
            errors.append(_user_error(["basicCodeDiscount", "customerGets", "value",
                                       "percentage"], "VALUE_OUTSIDE_RANGE",
                                      "Value must be between 0.0 and 1.0"))
    elif "discountAmount" in value:
        amount = _decimal((value["discountAmount"] or {}).get("amount"))
        if amount is None or amount <= 0:
            errors.append(_user_error(["basicCodeDiscount", "customerGets", "value",
                                       "discountAmount", "amount"], "INVALID",
                                      "Amount must be greater than 0"))
    else:
        errors.append(_user_error(["basicCodeDiscount", "customerGets", "value"], "BLANK",
                                  "Value can't be blank"))
    if not gets.get("items"):
        errors.append(_user_error(["basicCodeDiscount", "customerGets", "items"], "BLANK",
                                  "Items can't be blank"))
    minimum = (data.get("minimumRequirement") or {}).get("subtotal")
    if minimum is not None and _decimal(minimum.get("greaterThanOrEqualToSubtotal")) is None:
        errors.append(_user_error(["basicCodeDiscount", "minimumRequirement"], "INVALID",
                                  "Minimum subtotal is invalid"))
    return errors


def shopify_query_hmac(secret: str, params: dict[str, str]) -> str:
    """Shopify's signature of the URLs it sends to an app: hex HMAC-SHA256 of the other
    parameters sorted, `name=value` joined by `&` (shopify.dev/docs/apps/build/
    authentication-authorization/access-tokens/authorization-code-grant, step 1 and 3)."""
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "hmac")
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


@contextmanager
def fake_shopify(token: str) -> Iterator[FakeStore]:
    """Also the OAuth endpoints of the authorization code grant, as documented at
    https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/
    authorization-code-grant: GET /admin/oauth/authorize (the merchant approves; here a
    page with an Install button) redirects to the app's redirect_uri with code, hmac, host,
    shop, state and timestamp; POST /admin/oauth/access_token exchanges client_id,
    client_secret and the one-use code for {access_token, scope} (with `expiring: 1`,
    plus expires_in, refresh_token and refresh_token_expires_in; grant_type=refresh_token
    renews them: shopify.dev/docs/apps/build/authentication-authorization/access-tokens/
    offline-access-tokens)."""
    state = FakeStore()
    state.tokens.add(token)

    class Handler(JsonHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            state.calls.append({"path": self.path, "headers": dict(self.headers), "body": b""})
            if parts.path == "/admin/oauth/authorize":
                return self._authorize(query)
            if parts.path == "/admin/oauth/approve":
                return self._approve(query)
            self.reply(404, {"errors": "Not Found"})

        def _authorize(self, query: dict[str, str]) -> None:
            if query.get("client_id") != state.oauth.get("api_key"):
                return self._html(400, "<h1>Oauth error invalid_request: The client_id is "
                                       "invalid</h1>")
            if query.get("redirect_uri") != state.oauth.get("redirect_uri"):
                return self._html(400, "<h1>Oauth error invalid_request: The redirect_uri "
                                       "is not whitelisted</h1>")
            approve = f"{state.url}/admin/oauth/approve?" + urlencode(query)
            self._html(200, f"<h1>Install app</h1><p id='scopes'>{query.get('scope')}</p>"
                            f"<a id='install' href='{approve}'>Install</a>")

        def _approve(self, query: dict[str, str]) -> None:
            code = secrets.token_hex(16)
            state.codes[code] = {"client_id": query.get("client_id"),
                                 "scope": query.get("scope", "")}
            params = {"code": code, "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvZGVtbw",
                      "shop": state.domain, "state": query.get("state", ""),
                      "timestamp": str(int(state.now()))}
            params["hmac"] = shopify_query_hmac(state.oauth["api_secret"], params)
            self.send_response(302)
            self.send_header("Location", f"{query['redirect_uri']}?{urlencode(params)}")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _html(self, status: int, html: str) -> None:
            payload = f"<!doctype html><html><body>{html}</body></html>".encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _access_token(self, raw: bytes) -> None:
            try:
                data = json.loads(raw)
            except ValueError:
                data = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            if data.get("client_id") != state.oauth.get("api_key") or \
                    data.get("client_secret") != state.oauth.get("api_secret"):
                return self.reply(400, {"error": "invalid_client",
                                        "error_description": "Client credentials are invalid"})
            if data.get("grant_type") == "refresh_token":
                if data.get("refresh_token") not in state.refresh_tokens:
                    return self.reply(400, {"error": "invalid_grant"})
                state.tokens.discard(state.refresh_tokens.pop(data["refresh_token"]))
                scope = "write_discounts"
            else:
                grant = state.codes.pop(str(data.get("code")), None)
                if grant is None:
                    return self.reply(400, {"error": "invalid_request", "error_description":
                                            "The authorization code was not found or was "
                                            "already used"})
                scope = grant["scope"]
            issued = token if data.get("grant_type") != "refresh_token" else \
                "shpat_" + secrets.token_hex(16)
            state.tokens.add(issued)
            answer: dict[str, Any] = {"access_token": issued, "scope": scope}
            if data.get("expiring") in (1, "1") or data.get("grant_type") == "refresh_token":
                refresh = "shprt_" + secrets.token_hex(16)
                state.refresh_tokens[refresh] = issued
                answer.update(expires_in=3600, refresh_token=refresh,
                              refresh_token_expires_in=7776000)
            self.reply(200, answer)

        def do_POST(self) -> None:
            raw = self.body()
            state.calls.append({"path": self.path, "headers": dict(self.headers), "body": raw})
            if self.path == "/admin/oauth/access_token":
                return self._access_token(raw)
            if not SHOPIFY_PATH.match(self.path):
                return self.reply(404, {"errors": "Not Found"})
            if self.headers.get("X-Shopify-Access-Token") not in state.tokens:
                return self.reply(401, {"errors": "[API] Invalid API key or access token "
                                                  "(unrecognized login or wrong password)"})
            failure = state._scripted()
            if failure is not None:
                time.sleep(failure.stall)
                return self._fail(failure)
            try:
                request = json.loads(raw)
                query, variables = request["query"], request.get("variables") or {}
            except (ValueError, KeyError, TypeError):
                return self.reply(400, {"errors": {"query": "Required parameter missing or "
                                                            "invalid"}})
            with state.lock:
                if "shopName" in query:  # the connect test
                    return self.reply(200, {"data": {"shop": {
                        "name": "Demo Shop", "myshopifyDomain": state.domain}}})
                if "webhookSubscriptionCreate" in query:
                    return self.reply(200, {"data": {"webhookSubscriptionCreate":
                                                     self._webhook(variables)}})
                if "discountCodeBasicCreate" in query:
                    return self.reply(200, {"data": {"discountCodeBasicCreate":
                                                     self._discount(variables)}})
                if "discountCodeBasicUpdate" in query:
                    return self.reply(200, {"data": {"discountCodeBasicUpdate":
                                                     self._discount_update(variables)}})
                if "discountRedeemCodeBulkAdd" in query:
                    return self.reply(200, {"data": {"discountRedeemCodeBulkAdd":
                                                     self._codes_add(variables)}})
                if "giftCardCreate" in query:
                    return self.reply(200, {"data": {"giftCardCreate":
                                                     self._gift_card(variables)}})
            self.reply(200, {"errors": [{"message": "Field doesn't exist on type "
                                         "'Mutation'", "extensions": {"code":
                                                                      "undefinedField"}}]})

        def _fail(self, failure: Failure) -> None:
            payload = json.dumps(failure.body if failure.body is not None
                                 else {"errors": "Internal Server Error"}).encode()
            self.send_response(failure.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in failure.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def _webhook(self, variables: dict[str, Any]) -> dict[str, Any]:
            topic = variables.get("topic")
            sub = variables.get("webhookSubscription") or {}
            uri = sub.get("uri") or sub.get("callbackUrl")
            if topic not in SHOPIFY_TOPICS:
                return {"webhookSubscription": None, "userErrors": [
                    {"field": ["topic"], "message": "Topic is invalid"}]}
            if not uri or not (str(uri).startswith("https://") or (
                    state.loopback_http and str(uri).startswith("http://127.0.0.1:"))):
                return {"webhookSubscription": None, "userErrors": [
                    {"field": ["webhookSubscription", "callbackUrl"],
                     "message": "Address protocol https:// is required"}]}
            if any(w["topic"] == topic and w["uri"] == uri for w in state.webhooks):
                return {"webhookSubscription": None, "userErrors": [
                    {"field": ["webhookSubscription", "callbackUrl"],
                     "message": "Address for this topic has already been taken"}]}
            made = {"id": f"gid://shopify/WebhookSubscription/{len(state.webhooks) + 1}",
                    "topic": topic, "uri": uri, "format": sub.get("format")}
            state.webhooks.append(made)
            return {"webhookSubscription": made, "userErrors": []}

        def _discount(self, variables: dict[str, Any]) -> dict[str, Any]:
            data = variables.get("basicCodeDiscount") or {}
            errors = _discount_errors(data)
            code = str(data.get("code") or "")
            if code and code.upper() in {c.upper() for c in state.discounts}:
                errors.append(_user_error(["basicCodeDiscount", "code"], "TAKEN",
                                          "Code must be unique. Please try a different "
                                          "code."))
            if errors:
                return {"codeDiscountNode": None, "userErrors": errors}
            node_id = f"gid://shopify/DiscountCodeNode/{len(state.discounts) + 1}"
            state.discounts[code] = {**data, "_id": node_id}
            return {"codeDiscountNode": {"id": node_id}, "userErrors": []}

        def _discount_update(self, variables: dict[str, Any]) -> dict[str, Any]:
            owner = next((c for c, d in state.discounts.items()
                          if d.get("_id") == variables.get("id")), None)
            if owner is None:
                return {"codeDiscountNode": None, "userErrors": [_user_error(
                    ["id"], "INVALID", "Discount does not exist")]}
            changes = variables.get("basicCodeDiscount") or {}
            merged = {**state.discounts[owner], **changes}
            errors = _discount_errors(merged)
            if errors:
                return {"codeDiscountNode": None, "userErrors": errors}
            state.discounts[owner] = merged
            return {"codeDiscountNode": {"id": merged["_id"]}, "userErrors": []}

        def _codes_add(self, variables: dict[str, Any]) -> dict[str, Any]:
            """Another code for an existing discount (the bulk job is asynchronous in
            Shopify; here it is done at once). Taken codes are refused as Shopify does."""
            discount_id = variables.get("discountId")
            owner = next((c for c, d in state.discounts.items() if d.get("_id") == discount_id),
                         None)
            if owner is None:
                return {"bulkCreation": None, "userErrors": [_user_error(
                    ["discountId"], "INVALID", "Discount does not exist")]}
            taken = {c.upper() for c in state.discounts} | {
                a.upper() for d in state.discounts.values() for a in d.get("_aliases", [])}
            added = [c["code"] for c in variables.get("codes") or []
                     if c.get("code") and c["code"].upper() not in taken]
            state.discounts[owner].setdefault("_aliases", []).extend(added)
            return {"bulkCreation": {"id": f"gid://shopify/DiscountRedeemCodeBulkCreation/"
                                           f"{len(state.discounts)}"}, "userErrors": []}

        def _gift_card(self, variables: dict[str, Any]) -> dict[str, Any]:
            data = variables.get("input") or {}
            code = str(data.get("code") or "")
            # GiftCardCreateInput.initialAmount (MoneyInput: amount, currencyCode) since
            # 2026-07, where initialValue is deprecated: a deprecated field is refused here
            # so a client still sending it fails its test.
            amount = data.get("initialAmount") or {}
            value = _decimal(amount.get("amount")) if isinstance(amount, dict) else None
            errors = []
            if "initialValue" in data:
                errors.append(_user_error(["input", "initialValue"], "INVALID",
                                          "initialValue is deprecated: use initialAmount"))
            if value is None or value <= 0 or not re.fullmatch(
                    r"[A-Z]{3}", str(amount.get("currencyCode", ""))):
                errors.append(_user_error(["input", "initialAmount"], "GREATER_THAN",
                                          "Initial amount must be greater than 0"))
            if code and not re.fullmatch(r"[A-Za-z0-9]{8,20}", code):
                errors.append(_user_error(["input", "code"], "INVALID",
                                          "Code must be 8-20 letters and numbers"))
            if code in state.gift_cards:
                errors.append(_user_error(["input", "code"], "TAKEN", "Code has already "
                                          "been taken"))
            if errors:
                return {"giftCard": None, "giftCardCode": None, "userErrors": errors}
            state.gift_cards[code] = data
            return {"giftCard": {"id": f"gid://shopify/GiftCard/{len(state.gift_cards)}",
                                 "maskedCode": "•••• " + code[-4:]},
                    "giftCardCode": code, "userErrors": []}

    with serve(Handler) as url:
        state.url = url
        yield state


def throttled() -> Failure:
    """Shopify's answer when the query cost exceeds the bucket: HTTP 200, THROTTLED."""
    return Failure(200, body={"errors": [{"message": "Throttled",
                                          "extensions": {"code": "THROTTLED"}}],
                              "extensions": {"cost": {"requestedQueryCost": 10,
                                                      "throttleStatus": {
                                                          "maximumAvailable": 1000.0,
                                                          "currentlyAvailable": 0,
                                                          "restoreRate": 50.0}}}})


WOO_TYPES = ("percent", "fixed_cart", "fixed_product")


@contextmanager
def fake_woocommerce(consumer_key: str, consumer_secret: str) -> Iterator[FakeStore]:
    state = FakeStore()
    expected = "Basic " + base64.b64encode(f"{consumer_key}:{consumer_secret}".encode()).decode()

    class Handler(JsonHandler):
        def authorized(self) -> bool:
            """Basic auth, or the key pair as query parameters (WooCommerce reads both
            over https); a server that strips Authorization (`strip_authorization`) loses
            the first, as some hosts' Apache configurations do."""
            query = parse_qs(urlsplit(self.path).query)
            if query.get("consumer_key") == [consumer_key] and \
                    query.get("consumer_secret") == [consumer_secret]:
                return True
            return not state.strip_authorization and \
                self.headers.get("Authorization") == expected

        def do_GET(self) -> None:
            state.calls.append({"path": self.path, "headers": dict(self.headers), "body": b""})
            if urlsplit(self.path).path != "/wp-json/wc/v3/webhooks":
                return self.reply(404, {"code": "rest_no_route", "message": "No route was "
                                        "found matching the URL and request method.",
                                        "data": {"status": 404}})
            if not self.authorized():
                return self.reply(401, {"code": "woocommerce_rest_cannot_view",
                                        "message": "Sorry, you cannot list resources.",
                                        "data": {"status": 401}})
            self.reply(200, state.webhooks[:1])

        def do_POST(self) -> None:
            raw = self.body()
            state.calls.append({"path": self.path, "headers": dict(self.headers), "body": raw})
            allowed = self.authorized()
            self.path = urlsplit(self.path).path  # routes below match the path alone
            if not allowed:
                return self.reply(401, {"code": "woocommerce_rest_cannot_create",
                                        "message": "Sorry, you are not allowed to create "
                                                   "resources.", "data": {"status": 401}})
            failure = state._scripted()
            if failure is not None:
                time.sleep(failure.stall)
                return self.reply(failure.status, failure.body or {
                    "code": "internal_server_error", "message": "There has been a critical "
                    "error on this website.", "data": {"status": failure.status}})
            try:
                data = json.loads(raw)
            except ValueError:
                return self.reply(400, {"code": "rest_invalid_json", "message": "Invalid "
                                        "JSON body passed.", "data": {"status": 400}})
            with state.lock:
                if self.path == "/wp-json/wc/v3/coupons":
                    return self._coupon(data)
                update = re.match(r"^/wp-json/wc/v3/coupons/(\d+)$", self.path)
                if update and self.command == "PUT":
                    return self._coupon_update(int(update.group(1)), data)
                if self.path == "/wp-json/wc/v3/webhooks":
                    return self._webhook(data)
            self.reply(404, {"code": "rest_no_route", "message": "No route was found "
                             "matching the URL and request method.", "data": {"status": 404}})

        def _coupon(self, data: dict[str, Any]) -> None:
            code = str(data.get("code") or "").strip().lower()
            if not code:
                return self.reply(400, {"code": "rest_missing_callback_param",
                                        "message": "Missing parameter(s): code",
                                        "data": {"status": 400, "params": ["code"]}})
            if data.get("discount_type", "fixed_cart") not in WOO_TYPES:
                return self.reply(400, {"code": "rest_invalid_param",
                                        "message": "Invalid parameter(s): discount_type",
                                        "data": {"status": 400}})
            if code in state.discounts:
                return self.reply(400, {"code": "woocommerce_rest_coupon_code_already_exists",
                                        "message": "The coupon code already exists",
                                        "data": {"status": 400}})
            coupon = {**data, "id": 700 + len(state.discounts), "code": code}
            state.discounts[code] = coupon
            self.reply(201, coupon)

        do_PUT = do_POST

        def _coupon_update(self, coupon_id: int, data: dict[str, Any]) -> None:
            code = next((c for c, d in state.discounts.items() if d.get("id") == coupon_id),
                        None)
            if code is None:
                return self.reply(404, {"code": "woocommerce_rest_shop_coupon_invalid_id",
                                        "message": "Invalid ID.", "data": {"status": 404}})
            if data.get("discount_type", "fixed_cart") not in WOO_TYPES:
                return self.reply(400, {"code": "rest_invalid_param",
                                        "message": "Invalid parameter(s): discount_type",
                                        "data": {"status": 400}})
            state.discounts[code] = {**state.discounts[code], **data}
            self.reply(200, state.discounts[code])

        def _webhook(self, data: dict[str, Any]) -> None:
            if data.get("topic") not in ("order.created", "order.updated", "order.deleted",
                                         "customer.created"):
                return self.reply(400, {"code": "rest_invalid_param", "message": "Invalid "
                                        "parameter(s): topic", "data": {"status": 400}})
            made = {**data, "id": 10 + len(state.webhooks)}
            state.webhooks.append(made)
            self.reply(201, made)

    with serve(Handler) as url:
        state.url = url
        yield state
