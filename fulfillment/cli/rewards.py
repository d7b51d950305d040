"""`python -m fulfillment rewards release`: move rewards through their hold period and send
reward.approved webhooks. The embedded server runs the same every minute."""

from __future__ import annotations

import logging
import signal
import threading

import click

from core import rewards
from fulfillment.cli.services import make_services

log = logging.getLogger(__name__)


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

        services = make_services()
        try:
            if every is None:
                result, delivered = rewards.release_due(services)
                click.echo(f"held {result.held}, approved {result.approved}, webhooks "
                           f"delivered {delivered}")
                return
            stop = threading.Event()
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.set())
            log.warning("rewards release every %.0f s started", every)
            while not stop.is_set():
                try:
                    rewards.release_due(services)
                except Exception:  # a database outage must not end the job
                    log.exception("rewards release pass failed")
                stop.wait(every)
        finally:
            services.close()
