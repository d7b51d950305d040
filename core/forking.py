"""What a forked child must not inherit. A server that builds the app once and forks its
workers (gunicorn's preload: the code and data are shared copy-on-write) hands each child a
copy of everything the parent opened: pooled database connections (two processes on one
socket or SQLite handle), file locks (flock belongs to the open file, so parent and child
would hold it at once), and objects whose threads did not survive the fork (a click queue
nobody flushes). Each such owner registers here what its child-side copy does instead."""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def in_child(owner: T, reset: Callable[[T], None]) -> None:
    """After a fork, in the child, call `reset(owner)` while `owner` is alive (held weakly:
    registering does not keep an object, or its engine, alive)."""
    ref = weakref.ref(owner)

    def after() -> None:
        found = ref()
        if found is not None:
            reset(found)

    os.register_at_fork(after_in_child=after)
