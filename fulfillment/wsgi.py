"""WSGI entry point for gunicorn (`gunicorn fulfillment.wsgi:app`): configuration from the
environment, clicks flushed when the worker exits."""

import atexit

from fulfillment.app import create_app

app = create_app()
atexit.register(app.extensions["referrals.services"].close)
