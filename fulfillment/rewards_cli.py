"""`python -m fulfillment rewards release`: move rewards through their hold period and send
reward.approved webhooks. The embedded server runs the same every minute."""

from __future__ import annotations

import logging
import threading

import click

from core import outbound, rewards
from core.services import Services

log = logging.getLogger(__name__)


def release_once(services: Services) -> tuple[rewards.ReleaseResult, int]:
    with services.db.session() as session:
        result = rewards.release(session, services.clock())
    return result, outbound.deliver_due(services)


class RewardsJob:
    """A daemon thread for the embedded server; stop() ends it within a second."""

    def __init__(self, services: Services, interval: float = 60.0) -> None:
        self._services, self._interval = services, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rewards-job", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                release_once(self._services)
            except Exception:  # a bad pass must not end the job
                log.exception("rewards job pass failed")
            self._stop.wait(self._interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def start(services: Services) -> RewardsJob:
    return RewardsJob(services)


def register(main: click.Group) -> None:
    @main.group("rewards")
    def rewards_group() -> None:
        """The reward ledger."""

    @rewards_group.command("release")
    def release() -> None:
        """Hold -> approve due rewards and deliver reward.approved webhooks."""
        from fulfillment.cli import make_services

        services = make_services()
        try:
            result, delivered = release_once(services)
        finally:
            services.close()
        click.echo(f"held {result.held}, approved {result.approved}, webhooks delivered "
                   f"{delivered}")
