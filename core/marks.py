"""`N_`: gettext's "mark only". Text core hands to people's pages (KPI definitions, review
evidence labels) is marked here and translated where it is shown (fulfillment/locale)."""

from __future__ import annotations


def N_(message: str) -> str:
    return message
