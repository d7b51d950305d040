"""The language a staff member reads the merchant pages in: their own choice, kept on their
account, or none (then their browser's Accept-Language decides)."""

from __future__ import annotations

from core.errors import FieldErrors
from core.models import StaffUser
from core.services import Services

LANGUAGES = ("en", "de", "ru")


def choose(services: Services, staff_id: int, language: str) -> str | None:
    """Keep `language` (one of LANGUAGES; "" forgets the choice) for this staff member."""
    if language and language not in LANGUAGES:
        raise FieldErrors({"language": "Choose English, Deutsch or Русский."})
    with services.db.session() as uow:
        row = uow.get(StaffUser, staff_id)
        if row is not None:
            row.language = language or None
    return language or None
