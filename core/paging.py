"""Keyset pages: a list use case reads one row more than it shows, so it knows whether
there is a next page without counting; `next` is the last id shown, to pass as `after`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MAX_AFTER = 2**62  # past every id: a larger `after` names nothing and must not overflow


@dataclass(frozen=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    next: int | None  # the last id of this page when there are more, else None


def page_of(rows: Sequence[R], limit: int, render: Callable[[R], T],
            key: Callable[[R], int]) -> Page[T]:
    """`rows` as read with `limit + 1`: the first `limit` rendered, `next` their last key."""
    shown = rows[:limit]
    more = len(rows) > limit and bool(shown)
    return Page(tuple(render(r) for r in shown), key(shown[-1]) if more else None)
