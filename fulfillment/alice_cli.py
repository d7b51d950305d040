"""`python -m fulfillment alice-images`: upload queued QR images to Yandex Dialogs so Alice
can show them as BigImage cards. The embedded server runs the same pass every few seconds;
a deployment whose web processes run under gunicorn runs this beside the outbox worker."""

from __future__ import annotations

import logging
import signal
import threading

import click

from core import alice_images

log = logging.getLogger(__name__)


def register(main: click.Group) -> None:
    @main.command("alice-images")
    @click.option("--once", is_flag=True, help="Upload what is due now, then exit.")
    @click.option("--interval", default=5.0, show_default=True,
                  help="Seconds between passes.")
    @click.option("--api-url", envvar="YANDEX_DIALOGS_URL", default=alice_images.DIALOGS_API,
                  show_default=True, help="The Dialogs API (a local stand-in in tests).")
    def alice_images_command(once: bool, interval: float, api_url: str) -> None:
        """Upload pending Alice QR images (429 and 5xx retried with backoff)."""
        from fulfillment.cli import make_services

        services = make_services(embedded_worker=False)
        services.extras["yandex_dialogs_url"] = api_url
        try:
            if once:
                click.echo(f"uploaded {alice_images.upload_pending(services)}")
                return
            stop = threading.Event()
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.set())
            while not stop.is_set():
                try:
                    alice_images.upload_pending(services)
                except Exception:  # a database outage must not end the job
                    log.exception("alice-images pass failed")
                stop.wait(interval)
        finally:
            services.close()
