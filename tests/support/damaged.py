"""Hypothesis strategies for bodies a webhook must survive: arbitrary JSON, and real requests
with one to three parts replaced by arbitrary values or removed (so the damage reaches the
platform SDKs and adapters, past the first shape check)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

KEYS = ["request", "session", "type", "intent", "queryResult", "command", "meta", "state",
        "sessionInfo", "fulfillmentInfo", "shop", "id", "customer", "order_id", "amount",
        "name", "slots", "nlu", "user", "userId", "user_id", "application", "context",
        "System", "timestamp", "locale", "value", "parameters", "tokens", "entities"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=5),
    max_leaves=20)

_REMOVE = object()


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def _apply(base: dict[str, Any], edits: list[tuple[tuple[Any, ...], Any]]) -> dict[str, Any]:
    body = copy.deepcopy(base)
    for path, replacement in edits:
        parent: Any = body
        try:
            for step in path[:-1]:
                parent = parent[step]
            if replacement is _REMOVE:
                del parent[path[-1]]
            else:
                parent[path[-1]] = replacement
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced this part
    return body


def damaged(base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """`base` with one to three of its parts replaced (or removed)."""
    paths = _paths(base)
    edit = st.tuples(st.sampled_from(paths), json_values | st.just(_REMOVE))
    return st.lists(edit, min_size=1, max_size=3).map(lambda edits: _apply(base, edits))


def bodies(base: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Mostly damaged real requests, sometimes any JSON at all."""
    return st.one_of(damaged(base), damaged(base), damaged(base), json_values)
