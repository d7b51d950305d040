"""Work the embedded server runs beside the web threads (the outbox worker, reward release).
Each starter returns an object with `stop()`; the server stops them on shutdown."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from core.services import Services

log = logging.getLogger(__name__)


class Stoppable(Protocol):
    def stop(self) -> None: ...


def starters() -> list[Callable[[Services], Stoppable]]:
    from fulfillment import alice, rewards_cli, worker_cli

    return [worker_cli.start, rewards_cli.start, alice.start]


def start_all(services: Services) -> list[Stoppable]:
    running = []
    for start in starters():
        running.append(start(services))
        log.info("started %s.%s", start.__module__, getattr(start, "__name__", start))
    return running
