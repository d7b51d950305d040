"""Invite links and where a click lands."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from core import codes
from core.errors import InvalidInput
from core.models import ASSISTANTS, CHANNELS, Shop


def link_base(shop: Shop, default_base: str) -> str:
    return (shop.link_base_url or default_base).rstrip("/")


def invite_link(base: str, code: str, channel: str, assistant: str | None = None) -> str:
    """`{base}/r/{CODE}?c={channel}[&a={assistant}]`: the channel and the assistant that
    handed it out travel in the link so the click says where it came from."""
    if channel not in CHANNELS:
        raise InvalidInput(f"Unknown channel {channel!r}.", code="invalid_channel")
    if assistant is not None and assistant not in ASSISTANTS:
        raise InvalidInput(f"Unknown assistant {assistant!r}.", code="invalid_assistant")
    tail = f"&a={assistant}" if assistant else ""
    return f"{base.rstrip('/')}/r/{quote(code)}?c={channel}{tail}"


def qr_url(base: str, code: str, fmt: str = "png") -> str:
    return f"{base.rstrip('/')}/qr/{quote(code)}.{fmt}"


def landing_url(landing: str, code: str, channel: str) -> str:
    """The shop's landing page with the code attached; the shop's own query is kept."""
    parts = urlsplit(landing)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k not in {"ref", "utm_source", "utm_medium"}]
    query += [("ref", code), ("utm_source", "referral"), ("utm_medium", channel)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def code_from_ref(ref: str) -> str:
    """A signup's `ref` may be a bare code or a whole invite link."""
    ref = (ref or "").strip()
    if "/r/" in ref:
        ref = urlsplit(ref).path.rsplit("/r/", 1)[1].split("/")[0]
    return codes.heard(unquote(ref)).compact  # checked by find_code, however it was spelled


def channel_or_default(value: str | None) -> str:
    return value if value in CHANNELS else "web"


def assistant_or_none(value: str | None) -> str | None:
    """The `a=` of a followed link when it names an assistant we know; anything else None."""
    return value if value in ASSISTANTS else None
