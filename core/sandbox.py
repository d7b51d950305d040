"""Whether this deployment is the sandbox (demo and local development: messages captured,
the simulator's own credentials trusted, no calls to assistants' real APIs).

One function so the meaning lives in one place: the explicit `Settings.sandbox` (SANDBOX=1,
on in `make run`), never inferred from the messaging mode."""

from __future__ import annotations

from core.config import Settings


def is_sandbox(settings: Settings) -> bool:
    return settings.sandbox
