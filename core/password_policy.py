"""What a staff password must be: at least 12 characters, not the email (nor its name
part), and not one of the 10,000 most common passwords (core/data/common_passwords.txt,
shipped, so no lookup leaves the machine), also not with digits or symbols tacked on."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

MIN_LENGTH = 12
MAX_LENGTH = 256
COMMON_FILE = Path(__file__).resolve().parent / "data" / "common_passwords.txt"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def problems(password: str, email: str = "") -> list[str]:
    """Why this password is refused (empty: accepted), in words for the form."""
    if len(password) < MIN_LENGTH:
        return [f"Use at least {MIN_LENGTH} characters."]
    if len(password) > MAX_LENGTH:
        return [f"Use at most {MAX_LENGTH} characters."]
    lowered = password.lower().strip()
    email = email.strip().lower()
    name = email.split("@")[0]
    if email and (lowered == email or (len(name) >= 4 and name in lowered)):
        return ["Do not use your email address in the password."]
    common = common_passwords()
    stem = lowered.rstrip("0123456789!@#$%^&*()-_=+.,?~ ")
    if not stem or lowered in common or stem in common or len(set(lowered)) <= 2:
        return ["That password is one of the most common ones; choose another."]
    return []
