"""Access to the app's Services from a request, without globals."""

from __future__ import annotations

from flask import current_app

from core.services import Services


def services() -> Services:
    found: Services = current_app.extensions["referrals.services"]
    return found
