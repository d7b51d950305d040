"""`python -m fulfillment rewards release`: move rewards through their hold period and send
reward.approved webhooks. The embedded server runs the same every minute."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

import click

from core import outbound, rewards
from core.services import Services

log = logging.getLogger(__name__)


def release_once(services: Services, batch: int = 500) -> tuple[rewards.ReleaseResult, int]:
    """Every due reward in transactions of `batch`, then every due webhook."""
    total = rewards.ReleaseResult()
    while True:
        with services.db.session() as session:
            step = rewards.release(session, services.clock(), batch=batch)
        total.held += step.held
        total.approved += step.approved
        if step.held < batch and step.approved < batch:
            break
    return total, outbound.deliver_due(services)


def start(services: Services) -> Any:
    """Release and webhook delivery every minute in the embedded server."""
    from fulfillment.background import every

    return every("rewards-job", 60.0, lambda: release_once(services))


def register(main: click.Group) -> None:
    @main.group("rewards")
    def rewards_group() -> None:
        """The reward ledger."""

    @rewards_group.command("release")
    @click.option("--every", type=float, default=None,
                  help="Keep running: a pass every N seconds until SIGTERM (a deployment's "
                       "rewards process); without it, one pass.")
    def release(every: float | None) -> None:
        """Hold -> approve due rewards and deliver reward.approved webhooks."""
        from fulfillment.cli import make_services

        services = make_services()
        try:
            if every is None:
                result, delivered = release_once(services)
                click.echo(f"held {result.held}, approved {result.approved}, webhooks "
                           f"delivered {delivered}")
                return
            stop = threading.Event()
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.set())
            log.warning("rewards release every %.0f s started", every)
            while not stop.is_set():
                try:
                    release_once(services)
                except Exception:  # a database outage must not end the job
                    log.exception("rewards release pass failed")
                stop.wait(every)
        finally:
            services.close()
