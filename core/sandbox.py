"""Whether this deployment is the sandbox (demo and local development: messages captured,
the simulator's own credentials trusted, no calls to assistants' real APIs).

One function so the meaning can change in one place: today the sandbox is
`MESSAGING_MODE=sandbox`; an explicit `Settings.sandbox` (SANDBOX=1) wins once it exists."""

from __future__ import annotations

from core.config import Settings


def is_sandbox(settings: Settings) -> bool:
    return bool(getattr(settings, "sandbox", settings.messaging_mode == "sandbox"))
