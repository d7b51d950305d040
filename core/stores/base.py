"""The one small interface every store platform implements (Shopify, WooCommerce; InSales or
1C-Bitrix later): make (and update) the friend's discount, issue a referrer's reward code,
register our webhooks, and turn the platform's verified webhook into neutral events core
already knows (customer, order.completed with the codes typed at checkout, order.refunded).

Errors say whether trying again can help (5xx, 429, timeouts) and how long to wait; the
job that calls a store decides when to try again, never a voice turn."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Protocol
from urllib.parse import urlsplit

from babel.numbers import get_currency_precision

from core.wording import N_


class StoreError(Exception):
    """A call to the store failed. `retryable`: the same call may succeed later."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None,
                 code: str = "store_error") -> None:
        super().__init__(message)
        self.message = message  # a core.wording.Reason where a person reads it
        self.retryable, self.retry_after, self.code = retryable, retry_after, code


class AlreadyExists(StoreError):
    """The store already has this code: for a code we chose ourselves, that means done."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False, code="code_taken")


class BadWebhook(Exception):
    """A webhook we cannot trust (signature missing or wrong) or cannot read."""

    def __init__(self, message: str, *, status: int = 401, code: str = "bad_signature") -> None:
        super().__init__(message)
        self.status, self.code = status, code


@dataclass(frozen=True)
class DiscountSpec:
    """A discount in neutral terms. `kind`: percent (amount = whole percent) or fixed
    (amount in minor units of `currency`)."""

    code: str
    title: str
    kind: str
    amount: int
    currency: str
    minimum_minor: int = 0
    once_per_customer: bool = True
    usage_limit: int | None = None
    email: str | None = None  # restrict to this buyer where the platform can
    # More spellings of the same code where the platform lets one discount have several
    # (ALEX-427183 beside ALEX427183: people type what they heard, with the dash).
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Issued:
    code: str
    store_id: str
    kind: str = "discount"  # discount | gift_card
    note: str = ""  # e.g. why the aliases could not be added


@dataclass
class Delivery:
    """One verified webhook: the store's delivery id (for dedupe), its topic, and what it
    means in neutral terms. `customers`: buyer details to keep (customers/create)."""

    delivery_id: str
    topic: str
    events: list[dict[str, Any]] = field(default_factory=list)
    customers: list[dict[str, Any]] = field(default_factory=list)
    ping: bool = False
    # False only for WooCommerce's unsigned ping: answered, but it proves nothing about the
    # secret, so it must not move the "last verified webhook" status.
    signed: bool = True
    # What an app-level topic asks (core.stores.compliance): uninstalled, redact_customer,
    # data_request, redact_shop.
    actions: list[dict[str, Any]] = field(default_factory=list)


class StorePlatform(Protocol):
    name: str

    def create_discount(self, spec: DiscountSpec) -> Issued: ...

    def update_discount(self, store_id: str, spec: DiscountSpec) -> Issued: ...

    def issue_reward_code(self, spec: DiscountSpec, *, gift_card: bool) -> Issued: ...

    def register_webhooks(self, callback_url: str) -> list[str]: ...

    def probe(self) -> str: ...

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> Delivery: ...

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> Delivery: ...


def hmac_base64_matches(secret: str, body: bytes, header: str | None) -> bool:
    """base64(HMAC-SHA256(secret, raw body)) compared in constant time (Shopify and
    WooCommerce sign the same way)."""
    import base64

    if not secret or not header:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    try:
        return hmac.compare_digest(expected, header.strip().encode("ascii"))
    except UnicodeEncodeError:
        return False


def store_id(value: Any, name: str) -> str:
    """A store's id for one of its records, as we keep it: at most 100 characters (our
    columns take 128 with a prefix such as `shopify:refund:`; Shopify's and WooCommerce's
    ids are integers). A longer or empty one is refused with a reason (422) rather than
    failing at the column."""
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise BadWebhook(f"{name} is missing or not an id.", status=422, code="schema")
    text = str(value)
    if len(text) > 100:
        raise BadWebhook(f"{name} is longer than 100 characters.", status=422,
                         code="out_of_range")
    return text


MAX_AMOUNT = Decimal(10) ** 12  # in major units: far above any order (core caps at 10**15 minor)


def to_minor(value: Any, currency: str) -> int:
    """"598.94" USD -> 59894; "1500" JPY -> 1500 (the currency's own precision)."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise BadWebhook(f"not an amount: {value!r}", status=422, code="schema") from exc
    if not amount.is_finite():
        raise BadWebhook(f"not an amount: {value!r}", status=422, code="schema")
    if abs(amount) >= MAX_AMOUNT:  # "1e30": no order is that large, and quantizing it
        raise BadWebhook(f"amount out of range: {value!r}", status=422,  # overflows
                         code="out_of_range")
    scale = Decimal(10) ** get_currency_precision(currency)
    return int((amount * scale).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_minor(minor: int, currency: str) -> str:
    """59894 USD -> "598.94": the decimal string store APIs take."""
    digits = get_currency_precision(currency)
    return f"{Decimal(minor) / (Decimal(10) ** digits):.{digits}f}"


def check_public_url(url: str, *, allow_private: bool = False) -> str:
    """A URL a shop gives us, checked when we are about to call it: https, and a host that
    resolves to no private, loopback, link-local or metadata address (tests on loopback
    pass allow_private). Returns the address to connect to: the host is resolved once
    here and the call goes to that address (core.stores.http.pinned_session), so a second
    resolution cannot send it elsewhere (DNS rebinding)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username:
        raise StoreError(N_("not a store URL: %(url)s", url=repr(url)), retryable=False,
                         code="bad_store_url")
    if parts.scheme != "https" and not allow_private:
        raise StoreError(N_("the store must be reached over https"), retryable=False,
                         code="bad_store_url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as exc:
        raise StoreError(N_("cannot resolve %(host)s", host=parts.hostname),
                         retryable=True) from exc
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not allow_private:
        for address in addresses:
            if not address.is_global:
                raise StoreError(N_("%(host)s resolves to a non-public address",
                                    host=parts.hostname),
                                 retryable=False, code="bad_store_url")
    if not addresses:
        raise StoreError(N_("cannot resolve %(host)s", host=parts.hostname), retryable=True)
    return str(addresses[0])
