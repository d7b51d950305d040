"""Every background job in one table: its name, how long to wait after a pass, and the
function that makes its pass (built once per process: the outbox worker keeps its id). The
embedded server (`make run`) runs the whole table in threads; `python -m fulfillment jobs run
NAME` runs one job as its own process, as the Procfile and the systemd units do through the
commands named there (worker, rewards release, alice-images). The passes themselves are core
use cases: outbox delivery, reward release + outbound webhooks, Alice image uploads."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from core import alice_images, digest, privacy, reminders, rewards
from core.messaging.worker import Worker
from core.services import Services
from core.stores import jobs as store_jobs

log = logging.getLogger(__name__)
Pass = Callable[[], int]  # one pass; returns how much it did (0: nothing was due)


@dataclass(frozen=True)
class Job:
    name: str
    interval: float  # seconds to wait after a pass (after an idle one when `eager`)
    make: Callable[[Services], Pass]
    about: str
    eager: bool = False  # run again at once while there is work (the outbox)
    # The use case behind a counted job, for commands that print its counts (`digest --once`).
    counts: Callable[[Services], object] | None = None


def _outbox(services: Services) -> Pass:
    worker = Worker(services)
    return lambda: worker.run_once().total()


def _rewards(services: Services) -> Pass:
    def run() -> int:
        result, delivered = rewards.release_due(services)
        return result.held + result.approved + delivered

    return run


def _counted(name: str, interval: float, step: Callable[[Services], object],
             about: str) -> Job:
    """A use case that reports a dataclass of counts, as a job whose pass returns their sum."""
    def make(services: Services) -> Pass:
        def run() -> int:
            result = step(services)
            return sum(v for v in vars(result).values() if isinstance(v, int)
                       and not isinstance(v, bool))
        return run
    return Job(name, interval, make, about, counts=step)


JOBS: tuple[Job, ...] = (
    Job("outbox", 0.5, _outbox, "deliver queued messages (SMS, email, WhatsApp, Telegram)",
        eager=True),
    Job("rewards", 60.0, _rewards, "hold -> approve due rewards; send outbound webhooks"),
    Job("alice-images", 5.0, alice_images.upload_job, "upload QR images to Yandex Dialogs"),
    _counted("digest", 60.0, digest.run_due, "weekly digests to opted-in referrers"),
    _counted("reminders", 60.0, reminders.run_due, "reminders customers set by voice"),
    _counted("stores", 5.0, store_jobs.run_due, "discounts and reward codes in the "
             "shops' stores (Shopify, WooCommerce), webhook registration"),
    _counted("retention", 3600.0, privacy.prune, "drop click hashes and message texts "
             "past the shop's retention, and idle voice dialog states"),
)


def job(name: str) -> Job:
    for found in JOBS:
        if found.name == name:
            return found
    raise KeyError(f"no job {name!r}; jobs: {', '.join(j.name for j in JOBS)}")


class Running:
    """A job's loop in a daemon thread; stop() lets the pass in hand finish, then joins."""

    def __init__(self, spec: Job, services: Services) -> None:
        self.spec = spec
        self._pass = spec.make(services)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.loop, args=(self._stop,),
                                        name=f"job-{spec.name}", daemon=True)
        self._thread.start()

    def loop(self, stop: threading.Event) -> None:
        _loop(self.spec, self._pass, stop)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=15)


def run_forever(spec: Job, services: Services, stop: threading.Event) -> None:
    """One job in the calling thread until `stop` (the `jobs run` command)."""
    _loop(spec, spec.make(services), stop)


def _loop(spec: Job, one_pass: Pass, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            busy = one_pass() > 0
        except Exception:  # an outage must not end the job: the next pass runs
            log.exception("%s pass failed", spec.name)
            busy = False
        if not (busy and spec.eager):
            stop.wait(spec.interval)


def start_all(services: Services) -> list[Running]:
    running = [Running(spec, services) for spec in JOBS]
    log.info("started jobs: %s", ", ".join(spec.name for spec in JOBS))
    return running
