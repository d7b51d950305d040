"""`python -m fulfillment alice-images`: upload queued QR images to Yandex Dialogs so Alice
can show them as BigImage cards. The embedded server runs the same pass every few seconds;
a deployment whose web processes run under gunicorn runs this beside the outbox worker."""

from __future__ import annotations

import logging
import signal
import threading

import click

from core import alice_images
from fulfillment.cli.services import make_services

log = logging.getLogger(__name__)


def register(main: click.Group) -> None:
    @main.command("alice-images")
    @click.option("--once", is_flag=True, help="Upload what is due now, then exit.")
    @click.option("--interval", default=5.0, show_default=True,
                  help="Seconds between passes.")
    @click.option("--api-url", envvar="YANDEX_DIALOGS_URL", default=None,
                  help=f"The Dialogs API (default {alice_images.DIALOGS_API}; in the sandbox "
                  "a local stand-in unless this is given).")
    def alice_images_command(once: bool, interval: float, api_url: str | None) -> None:
        """Upload pending Alice QR images (429, 5xx and outages retried with backoff)."""
        from core.alice_images import upload_job

        services = make_services(embedded_worker=False)
        if api_url:
            services.adapters.yandex_dialogs_url = api_url
        if alice_images.uses_stand_in(services):
            click.echo("sandbox: QR images go to the local stand-in, not to Yandex "
                       "(set YANDEX_DIALOGS_URL to upload for real)")
        job = upload_job(services)
        try:
            if once:
                click.echo(f"uploaded {job()}")
                return
            stop = threading.Event()
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.set())
            log.warning("alice-images started (a pass every %.0f s)", interval)
            while not stop.is_set():
                try:
                    job()
                except Exception:  # a database outage must not end the job
                    log.exception("alice-images pass failed")
                stop.wait(interval)
        finally:
            services.close()
