"""One package per assistant, named as in core.assistants: `voice/platforms/<name>/`.
Each holds the same modules (docs/assistants.md): `webhook` (the AssistantPlatform of
voice.platform), `export`, `simulate` (the simulator's request builder) and
`connect` (the fields a shop fills in), plus its own protocol and API clients. This module
is the registry: it finds them by the names in core.assistants and imports them on use, so
no assistant imports another and the dialog imports none."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

from core.assistants import NAMES, of_variant

if TYPE_CHECKING:
    from core.services import Services
    from voice.platform import AssistantPlatform


def module(name: str, part: str) -> ModuleType:
    """voice.platforms.<name>.<part> for an assistant in core.assistants (KeyError else)."""
    if name not in NAMES:
        raise KeyError(name)
    return importlib.import_module(f"voice.platforms.{name}.{part}")


def platform(name: str, services: Services) -> AssistantPlatform:
    """The webhook side of assistant `name`, built for this app's services."""
    built: AssistantPlatform = module(name, "webhook").platform(services)
    return built


def of_variant_module(key: str, part: str) -> ModuleType:
    """The `part` module of the assistant a variant key ("dialogflow-es") belongs to."""
    return module(of_variant(key).name, part)
