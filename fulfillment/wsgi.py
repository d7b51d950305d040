"""WSGI entry point for gunicorn (`gunicorn fulfillment.wsgi:app`): configuration from the
environment, clicks flushed when the worker exits."""

import atexit

from core import log_redaction
from fulfillment.app import create_app

log_redaction.install()  # before the app exists: its first log lines are redacted too
app = create_app()
atexit.register(app.extensions["referrals.services"].close)
