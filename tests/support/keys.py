"""Keys for tests, made the way an operator is told to (secrets.token_urlsafe(32)): fresh
for each test run, distinct, and strong enough for the start-up check (core.config)."""

from __future__ import annotations

import secrets

SECRET_KEY = secrets.token_urlsafe(32)
HASH_KEY = secrets.token_urlsafe(32)
