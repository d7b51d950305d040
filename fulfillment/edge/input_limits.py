"""Input limits at the edge, before any route parses a byte: body size and JSON nesting per
surface, and no NUL or lone surrogate in a JSON string, a route parameter or a query value.

Why here and not in each view: Python's json raises RecursionError (a 500) on deep input,
PostgreSQL refuses NUL in text (a 500 deep inside a transaction, with the row's values in
the log), and a lone surrogate cannot be encoded as UTF-8 (a 500 when it is written or
logged). Refusing them once, as a 400 with a reason, keeps every surface honest.

Limits fit each platform's real requests: Alexa, Dialogflow and Alice requests are a few KB
(the samples in shared/protocol-samples are at most 8.6 KB and 11 levels deep; an Alexa
APL visual context adds some); the shop API's bodies (a program, a customer, an event)
are far smaller still."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import Flask, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from core import strict_json
from core.assistants import NAMES
from core.errors import MalformedRequest


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_depth: int


VOICE = Limits(max_bytes=128 * 1024, max_depth=64)  # a real request: < 10 KB, < 12 deep
SHOP_API = Limits(max_bytes=64 * 1024, max_depth=32)  # a program or an event: < 4 KB
OTHER_JSON = Limits(max_bytes=1024 * 1024, max_depth=64)  # anything else sent as JSON
# Path prefix -> limits. These bodies are read as JSON whatever their Content-Type says.
# Every assistant's webhook from the one list (a list written here once missed Salute).
SURFACES: tuple[tuple[str, Limits], ...] = (
    *((f"/{name}/", VOICE) for name in NAMES), ("/api/", SHOP_API))

DESCRIPTION = (
    f"Before anything else every request body is checked: at most {SHOP_API.max_bytes} "
    f"bytes, JSON nested at most {SHOP_API.max_depth} levels, UTF-8, and no string (key or "
    "value) holding U+0000 or an unpaired surrogate; route and query parameters hold "
    "neither. Anything else is a 400 with error.code body_too_large, too_deep, "
    "malformed_json or invalid_characters.")
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")  # after parsing, a valid pair is one char
# In JSON text a NUL or a surrogate can only be written as a \u escape: a raw control
# character is invalid JSON (json.loads refuses it) and a raw surrogate is invalid UTF-8
# (refused before parsing). A body without such an escape needs no walk of its strings.
_FORBIDDEN_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
# One token at a time, left to right: a whole string (escapes included; an unterminated
# one runs to the end), or a bracket. Strings are skipped in one step, so the scan is
# linear whatever the body holds.
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*+(?:\\|"|\Z)|[\[\]{}]', re.DOTALL)
_OPENERS = frozenset(b"[{")
# /r/<code> and /qr/<code>: a person's garbled link gets the "no such invite" page (404);
# those views resolve codes in memory and never send the raw value to the database.
ANSWER_404 = frozenset({"links"})
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


class InputRejected(MalformedRequest):
    """400: the body or a parameter breaks an edge limit; the code names which."""


def nesting_depth_exceeds(raw: bytes, max_depth: int) -> bool:
    """True when brackets outside strings nest deeper than `max_depth` (a cheap pre-scan:
    the body is not parsed, and the scan stops at the first level too deep)."""
    if raw.count(b"[") + raw.count(b"{") <= max_depth:
        return False
    depth = 0
    for match in _TOKEN.finditer(raw):
        token = match.group()
        if len(token) != 1 or token == b'"':
            continue  # a string
        if token[0] in _OPENERS:
            depth += 1
            if depth > max_depth:
                return True
        else:
            depth -= 1
    return False


def forbidden_text(value: Any) -> bool:
    """True when any string in a parsed JSON value (keys included) holds a NUL or a lone
    surrogate. Iterative: the depth is already bounded, but no recursion is needed."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _FORBIDDEN.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def check_text(name: str, value: str) -> None:
    if _FORBIDDEN.search(value):
        raise InputRejected(f"{name} holds a NUL or an unpaired surrogate character.",
                            code="invalid_characters")


def check_body(raw: bytes, limits: Limits) -> Any:
    """Size, depth and characters of a JSON body; returns the parsed value, or None when it
    is not JSON at all (the route answers that in its own words, after its own checks)."""
    if len(raw) > limits.max_bytes:
        raise _too_large(limits)
    if nesting_depth_exceeds(raw, limits.max_depth):
        raise InputRejected(f"The JSON nests deeper than {limits.max_depth} levels.",
                            code="too_deep")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputRejected("The body is not UTF-8 (RFC 8259 §8.1).",
                            code="malformed_json") from exc
    try:
        value = strict_json.loads(text)
    except strict_json.NonFiniteNumber as exc:
        raise InputRejected(f"The JSON holds {exc}, which is not a JSON number "
                            "(RFC 8259 §6).", code="malformed_json") from exc
    except ValueError:
        return None
    if _FORBIDDEN_ESCAPE.search(raw) is not None and forbidden_text(value):
        raise InputRejected("A JSON string holds a NUL or an unpaired surrogate character.",
                            code="invalid_characters")
    return value


def _too_large(limits: Limits) -> InputRejected:
    return InputRejected(f"The body is larger than {limits.max_bytes} bytes.",
                         code="body_too_large")


def limits_for(path: str, is_json: bool) -> Limits | None:
    for prefix, limits in SURFACES:
        if path.startswith(prefix):
            return limits
    return OTHER_JSON if is_json else None


def guard_request() -> None:
    """before_request: route parameters and query values first, then the body (JSON, or
    the fields of a form)."""
    if request.blueprint not in ANSWER_404:
        for name, value in (request.view_args or {}).items():
            if isinstance(value, str):
                check_text(f"The route parameter {name}", value)
    for name, value in request.args.items(multi=True):
        check_text(f"The query parameter {name}", name + value)
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    limits = limits_for(request.path, request.is_json)
    if limits is None:
        if request.mimetype in _FORMS:  # the console's login, Twilio's callbacks
            for name, value in request.form.items(multi=True):
                check_text(f"The form field {name}", name + value)
        return
    request.max_content_length = limits.max_bytes  # refuses before reading past the limit
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge as exc:
        raise _too_large(limits) from exc
    g.json_body = check_body(raw, limits)


def install(app: Flask) -> None:
    app.before_request(guard_request)
