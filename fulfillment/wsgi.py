"""WSGI entry point for gunicorn (`gunicorn fulfillment.wsgi:app`): configuration from the
environment, clicks flushed when the worker exits. Without SECRET_KEY or HASH_KEY, or with
a messaging channel configured by half, it refuses to load with one line naming the
variable."""

import atexit
import sys

from core import log_redaction
from core.config import ConfigError
from fulfillment.app import create_app

# gunicorn's "App failed to load": its arbiter stops instead of respawning the worker.
APP_LOAD_ERROR = 4

log_redaction.install()  # before the app exists: its first log lines are redacted too
try:
    app = create_app()
except ConfigError as exc:
    print(f"fulfillment.wsgi: {exc}", file=sys.stderr, flush=True)
    raise SystemExit(APP_LOAD_ERROR) from None
atexit.register(app.extensions["referrals.services"].close)
