"""`python -m fulfillment digest [--once]` and `python -m fulfillment reminders [--once]`:
queue due digests and voice-set reminders into the outbox (the outbox worker sends them);
`python -m fulfillment retention [--once]` clears old click hashes and message texts.
The embedded server runs the first two every minute and retention hourly; a deployment
under gunicorn runs these beside the worker. Any number of them may run at once: each
digest has one idempotency key per customer and period, each reminder one per reminder and
local date.

Each command is a job of fulfillment/jobs.py (its interval, its use case) with the words
below: the commands predate `jobs run NAME` and print the use case's counts."""

from __future__ import annotations

import json
import logging
import signal
import threading
from dataclasses import replace
from typing import Any

import click

from fulfillment import jobs
from fulfillment.cli.services import make_services

log = logging.getLogger(__name__)

# job name -> (what --once does, the command's help)
COMMANDS = {
    "digest": ("Queue", "Queue the digests due this period (opted-in referrers of shops "
                        "that send one)."),
    "reminders": ("Queue", "Queue the reminders customers set by voice that are due now."),
    "retention": ("Prune", "Clear clicks' hashed IPs and user agents and finished messages' "
                           "texts older than each shop's retention (defaults: 180 and 90 "
                           "days)."),
}


def _loop(once: bool, interval: float, spec: jobs.Job) -> None:
    """--once prints the use case's counts; otherwise the jobs table's loop for the job."""
    assert spec.counts is not None, f"job {spec.name} reports no counts"
    services = make_services(embedded_worker=False)
    try:
        if once:
            click.echo(json.dumps(_plain(spec.counts(services))))
            return
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        jobs.run_forever(replace(spec, interval=interval), services, stop)
    finally:
        services.close()


def _plain(result: object) -> dict[str, Any]:
    return dict(getattr(result, "__dict__", {}) or {"result": str(result)})


def _command(spec: jobs.Job, verb: str, about: str) -> click.Command:
    @click.command(spec.name, help=about)
    @click.option("--once", is_flag=True, help=f"{verb} what is due now, print counts, exit.")
    @click.option("--interval", default=spec.interval, show_default=True,
                  help="Seconds between passes.")
    def command(once: bool, interval: float) -> None:
        _loop(once, interval, spec)

    return command


def register(main: click.Group) -> None:
    for name, (verb, about) in COMMANDS.items():
        main.add_command(_command(jobs.job(name), verb, about))
