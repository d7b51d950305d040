"""`python -m fulfillment worker`: deliver the outbox until SIGTERM / Ctrl-C (the batch in
hand is finished first). The embedded server runs the same loop in a thread."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import timedelta

import click

from core.messaging.worker import Worker
from fulfillment.cli.services import make_services

log = logging.getLogger(__name__)


def register(main: click.Group) -> None:
    @main.command("worker")
    @click.option("--once", is_flag=True, help="Process what is due now, then exit.")
    @click.option("--batch", default=50, show_default=True, help="Rows claimed per pass.")
    @click.option("--idle", default=0.5, show_default=True, help="Seconds to wait when idle.")
    @click.option("--lease", default=120, show_default=True,
                  help="Seconds a claimed row stays ours before another worker may retry it.")
    def worker(once: bool, batch: int, idle: float, lease: int) -> None:
        """Deliver queued messages (any number of workers may run against PostgreSQL)."""

        services = make_services()
        runner = Worker(services, batch=batch, lease=timedelta(seconds=lease))
        try:
            if once:
                total = 0
                while (done := runner.run_once().total()) > 0:
                    total += done
                click.echo(f"processed {total}")
                return
            stop = threading.Event()
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.set())
            log.warning("worker %s started", runner.id)
            runner.run(stop, idle=idle)
            log.warning("worker %s stopped cleanly", runner.id)
        finally:
            services.close()
