"""Yandex Alice: skill-id check and the route."""
