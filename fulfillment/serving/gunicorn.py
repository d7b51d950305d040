"""`python -m fulfillment serve`: the production server, gunicorn driven from code with the
app factory. The app is built once in the master and forked into the workers, shared
copy-on-write (fulfillment.serving.preload says what each child gets of its own: database
connections, lock files, click and status threads); each worker flushes its clicks when it
exits; the outbox worker and the other jobs run as their own processes (see the README's
Deploy section and the Procfile)."""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.app.base import BaseApplication

from core.config import Settings
from fulfillment.serving import preload

log = logging.getLogger(__name__)


class ProductionServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from core.services import bootstrap
        from fulfillment.app import create_app

        return create_app(services=bootstrap(self.settings))


def options(bind: str, workers: int, threads: int, timeout: int) -> dict[str, Any]:
    return {
        "bind": bind,
        "workers": workers,
        # Threads keep a worker answering while one request waits on the network (Amazon's
        # certificate, Google's keys); the app is thread-safe (the embedded server is too).
        "worker_class": "gthread" if threads > 1 else "sync",
        "threads": threads,
        "timeout": timeout,
        "graceful_timeout": 20,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "referrals-web",
        # One instance per machine should not be assumed (tests, blue/green): no shared
        # control socket in $HOME.
        "control_socket_disable": True,
        "preload_app": preload.preload_app,
        "when_ready": preload.when_ready,
        "pre_fork": preload.pre_fork,
        "worker_exit": preload.worker_exit,
        # Proxy headers are read by the app (TRUSTED_PROXIES), not by gunicorn.
        "forwarded_allow_ips": "",
    }


def run(settings: Settings, bind: str, workers: int, threads: int = 4,
        timeout: int = 30) -> None:
    settings.require_complete()  # refuse in the master, before any worker is forked
    log.info("production server on %s, %d workers x %d threads", bind, workers, threads)
    ProductionServer(settings, options(bind, workers, threads, timeout)).run()
