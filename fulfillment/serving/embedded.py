"""`make run`: one process serving HTTP with the background work beside it, stopping
cleanly (clicks flushed, worker finished) on Ctrl-C or SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading

from werkzeug.serving import make_server

from core.services import Services
from fulfillment import jobs
from fulfillment.app import create_app

log = logging.getLogger(__name__)


def serve(services: Services) -> None:
    app = create_app(services=services)
    settings = services.settings
    server = make_server(settings.host, settings.port, app, threaded=True)
    running = jobs.start_all(services) if settings.embedded_worker else []

    def _shutdown(signum: int, _frame: object) -> None:
        log.info("signal %s: shutting down", signum)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _shutdown)
    signal.signal(signal.SIGINT, _shutdown)
    log.info("serving on %s (database %s)", services.base_url, settings.database_url)
    print(f" * Voice referrals on {services.base_url}  (console: {services.base_url}/console)",
          flush=True)
    try:
        server.serve_forever()
    finally:
        for job in running:
            job.stop()
        services.close()
        log.info("stopped; clicks flushed")
