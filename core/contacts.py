"""Emails and phone numbers in one canonical form, so the same person is recognized."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from core.errors import InvalidInput

GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}


def normalize_email(raw: str) -> str:
    """The address as it should be stored (email-validator's normalization)."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidInput(f"Not a valid email address: {exc}", code="invalid_email") from exc


def canonical_email(raw: str) -> str:
    """One key per mailbox: lowercase, `+tag` stripped, Gmail dots removed."""
    return canonical_of_normalized(normalize_email(raw))


def canonical_of_normalized(normalized: str) -> str:
    """canonical_email of an address normalize_email already returned (validating an
    address is most of the work, and a signed event has just done it)."""
    local, _, domain = normalized.lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def region_of(locale: str | None) -> str | None:
    """en-US -> US: the default region for numbers said without a country code."""
    if locale and "-" in locale:
        return locale.split("-", 1)[1].upper()
    return None


def is_fictional(number: phonenumbers.PhoneNumber) -> bool:
    """NANP 555-0100..0199 is reserved for fiction (the demo's Alex lives there)."""
    national = str(number.national_number)
    return number.country_code == 1 and len(national) == 10 and national[3:8] == "55501"


def normalize_phone(
    raw: str, default_region: str | None = None, *, allow_fictional: bool = False
) -> str:
    """E.164 or an error: `format_number` alone would turn "12345" into "+112345"."""
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput("Not a valid phone number.", code="invalid_phone") from exc
    valid = phonenumbers.is_valid_number(number) or (allow_fictional and is_fictional(number))
    if not valid:
        raise InvalidInput("Not a valid phone number.", code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def looks_like_email(value: str) -> bool:
    return "@" in value


def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_phone(e164: str) -> str:
    return f"{e164[:3]}***{e164[-2:]}" if len(e164) > 6 else "***"
