"""`python -m fulfillment digest [--once]` and `python -m fulfillment reminders [--once]`:
queue due digests and voice-set reminders into the outbox (the outbox worker sends them);
`python -m fulfillment retention [--once]` clears old click hashes and message texts.
The embedded server runs the first two every minute and retention hourly; a deployment
under gunicorn runs these beside the worker. Any number of them may run at once: each
digest has one idempotency key per customer and period, each reminder one per reminder and
local date."""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import click

from core import digest, privacy, reminders
from core.services import Services
from fulfillment import jobs
from fulfillment.cli.services import make_services

log = logging.getLogger(__name__)
INTERVAL = 60.0
RETENTION_INTERVAL = 3600.0


def _loop(once: bool, interval: float, job: Callable[[Services], object], name: str) -> None:
    """--once prints the use case's counts; otherwise the jobs table's loop for `name`."""
    services = make_services(embedded_worker=False)
    try:
        if once:
            click.echo(json.dumps(_plain(job(services))))
            return
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        jobs.run_forever(replace(jobs.job(name), interval=interval), services, stop)
    finally:
        services.close()


def _plain(result: object) -> dict[str, Any]:
    return dict(getattr(result, "__dict__", {}) or {"result": str(result)})


def register(main: click.Group) -> None:
    @main.command("digest")
    @click.option("--once", is_flag=True, help="Queue what is due now, print counts, exit.")
    @click.option("--interval", default=INTERVAL, show_default=True,
                  help="Seconds between passes.")
    def digest_command(once: bool, interval: float) -> None:
        """Queue the digests due this period (opted-in referrers of shops that send one)."""
        _loop(once, interval, digest.run_due, "digest")

    @main.command("reminders")
    @click.option("--once", is_flag=True, help="Queue what is due now, print counts, exit.")
    @click.option("--interval", default=INTERVAL, show_default=True,
                  help="Seconds between passes.")
    def reminders_command(once: bool, interval: float) -> None:
        """Queue the reminders customers set by voice that are due now."""
        _loop(once, interval, reminders.run_due, "reminders")

    @main.command("retention")
    @click.option("--once", is_flag=True, help="Prune what is due now, print counts, exit.")
    @click.option("--interval", default=RETENTION_INTERVAL, show_default=True,
                  help="Seconds between passes.")
    def retention_command(once: bool, interval: float) -> None:
        """Clear clicks' hashed IPs and user agents and finished messages' texts older than
        each shop's retention (defaults: 180 and 90 days)."""
        _loop(once, interval, privacy.prune, "retention")
