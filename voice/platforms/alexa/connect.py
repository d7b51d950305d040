"""What a shop fills in to connect Alexa (the connect page; core.assistant_setup stores it):
the skill id its requests must name."""

from __future__ import annotations

import re
from typing import Any

from core.assistant_setup import Setup, text
from core.secrets_box import SecretBox

_SKILL_ID = re.compile(r"^amzn1\.ask\.skill\.[0-9a-fA-F-]{8,64}$")


def configure(variant: str, form: dict[str, Any], settings: dict[str, Any],
              box: SecretBox) -> Setup:
    skill = text(form, "alexa_skill_id")
    errors = {} if _SKILL_ID.match(skill) else {
        "alexa_skill_id": "An Alexa skill id looks like amzn1.ask.skill.1a2b3c4d-…; copy it "
                          "from the developer console (Build → Endpoint)."}
    return Setup(changes={"alexa_skill_id": skill}, errors=errors)


def shown(settings: dict[str, Any], box: SecretBox, endpoint: str) -> dict[str, Any]:
    """What the page may show back (the id is not secret)."""
    return {"alexa_skill_id": settings.get("alexa_skill_id") or ""}


def try_headers(variant: str, values: dict[str, Any], secret: str) -> dict[str, str] | None:
    """The try-it box signs with the sandbox's keys."""
    return None
