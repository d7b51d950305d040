"""`python -m fulfillment jobs list | run NAME [--once]`: any job of the table in
fulfillment/jobs.py as its own process (SIGTERM finishes the pass in hand, then exits)."""

from __future__ import annotations

import logging
import signal
import threading

import click

from fulfillment import jobs
from fulfillment.cli.services import make_services

log = logging.getLogger(__name__)


def register(main: click.Group) -> None:
    @main.group("jobs")
    def jobs_group() -> None:
        """Background jobs (the embedded server runs them all)."""

    @jobs_group.command("list")
    def list_jobs() -> None:
        """Name, interval and purpose of every job."""
        for spec in jobs.JOBS:
            click.echo(f"{spec.name:<14} every {spec.interval:>5g} s  {spec.about}")

    @jobs_group.command("run")
    @click.argument("name")
    @click.option("--once", is_flag=True, help="One pass, then exit.")
    def run(name: str, once: bool) -> None:
        """Run one job until SIGTERM / Ctrl-C."""
        try:
            spec = jobs.job(name)
        except KeyError as exc:
            raise click.UsageError(str(exc.args[0])) from None
        services = make_services()
        try:
            if once:
                click.echo(f"{spec.name}: {spec.make(services)()} done")
                return
            stop = threading.Event()
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.set())
            log.warning("job %s started", spec.name)
            jobs.run_forever(spec, services, stop)
            log.warning("job %s stopped cleanly", spec.name)
        finally:
            services.close()
