"""Work the embedded server runs beside the web threads (the outbox worker, reward release).
Each starter returns an object with `stop()`; the server stops them on shutdown."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

from core.services import Services

log = logging.getLogger(__name__)


class Stoppable(Protocol):
    def stop(self) -> None: ...


def starters() -> list[Callable[[Services], Stoppable]]:
    from fulfillment import alice, rewards_cli, stores_cli, worker_cli

    return [worker_cli.start, rewards_cli.start, alice.start, stores_cli.start]


def start_all(services: Services) -> list[Stoppable]:
    running = []
    for start in starters():
        running.append(start(services))
        log.info("started %s.%s", start.__module__, getattr(start, "__name__", start))
    return running


class BackgroundThread:
    """A daemon thread running `loop(stop_event)`; stop() sets the event and waits."""

    def __init__(self, name: str, loop: Callable[[threading.Event], None]) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=loop, args=(self._stop,), name=name,
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=15)


def every(name: str, interval: float, job: Callable[[], object]) -> BackgroundThread:
    """Run `job` every `interval` seconds; a failing pass is logged, the next one runs."""

    def loop(stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                job()
            except Exception:  # an outage must not end the job
                log.exception("%s pass failed", name)
            stop.wait(interval)

    return BackgroundThread(name, loop)
