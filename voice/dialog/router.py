"""Dispatch a Turn to its handler (placeholder until the handlers land)."""

from __future__ import annotations

from core.services import Services
from voice.turn import Reply, Speech, Turn


def handle(turn: Turn, services: Services) -> Reply:
    return Reply(Speech.of("Sorry, this skill is still being built."), end_session=True,
                 intent=turn.intent)
