"""JSON as RFC 8259 defines it. Python's json also reads NaN, Infinity and -Infinity, which
no JSON document holds and PostgreSQL's JSONB refuses: a payload we keep would fail at its
insert, a 500 for what is bad input. Every body we parse for keeping reads through here."""

from __future__ import annotations

import json
from typing import Any


class NonFiniteNumber(ValueError):
    """NaN, Infinity or -Infinity; the message is the constant as written."""


def _refuse(constant: str) -> Any:
    raise NonFiniteNumber(constant)


def loads(text: str | bytes) -> Any:
    """json.loads, refusing the non-finite constants (a ValueError, as any bad JSON)."""
    return json.loads(text, parse_constant=_refuse)
