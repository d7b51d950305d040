"""The program editor's form <-> a program's values. Money is typed in the currency's
units ("10.00") and stored in minor units; points and percents are whole numbers. Every
value is then checked by core.programs.field_errors, the validator the API uses too."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import UnknownCurrencyError, get_currency_precision

from core import programs
from core.fraud import DEFAULT_ACTIONS, DEFAULT_LIMITS

MONEY_KINDS = ("fixed_discount", "gift_card", "cash")
TERMS_LANGUAGES = ("en", "de", "ru")
MAX_FIELD = 400


def _precision(currency: str) -> int:
    try:
        return int(get_currency_precision(currency))
    except (UnknownCurrencyError, ValueError, TypeError):
        return 2


def _money(text: str, digits: int) -> int | None:
    try:
        value = Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value.as_tuple().exponent < -digits:  # type: ignore[operator]
        return None
    minor = value * (10 ** digits)
    return int(minor) if minor < programs.MAX_MINOR else None


def _whole(text: str) -> int | None:
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 16:
        return None
    return int(text)


def parse(form: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """(values, errors): errors name the form's fields, with a message each."""
    def get(name: str) -> str:
        value = form.get(name, "")
        return value[:MAX_FIELD] if isinstance(value, str) else ""

    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    currency = get("currency").strip().upper()
    values["currency"] = currency
    digits = _precision(currency)
    for side in ("referrer", "friend"):
        kind = get(f"{side}_reward_kind")
        values[f"{side}_reward_kind"] = kind
        raw = get(f"{side}_reward_amount")
        amount = _money(raw, digits) if kind in MONEY_KINDS else _whole(raw)
        if amount is None:
            errors[f"{side}_reward_amount"] = (
                f"An amount like 10.{'0' * digits}" if kind in MONEY_KINDS and digits
                else "A whole number.")
        else:
            values[f"{side}_reward_amount"] = amount
    minimum = _money(get("min_order_amount") or "0", digits)
    if minimum is None:
        errors["min_order_amount"] = "An amount like 50.00, or 0 for no minimum."
    else:
        values["min_order_amount"] = minimum
    hold = _whole(get("hold_days"))
    if hold is None:
        errors["hold_days"] = programs.MESSAGES["hold_days"]
    else:
        values["hold_days"] = hold
    for name in ("cap_per_referrer_month", "cap_total", "level2_percent"):
        raw = get(name).strip()
        number = None if raw == "" else _whole(raw)
        if raw and number is None:
            errors[name] = programs.MESSAGES["level2_percent" if name == "level2_percent"
                                              else "cap"]
        else:
            values[name] = number
    values["terms"] = {lang: " ".join(get(f"terms.{lang}").split())
                       for lang in TERMS_LANGUAGES if get(f"terms.{lang}").strip()}
    rules: dict[str, Any] = {}
    for rule in DEFAULT_ACTIONS:
        rules[rule] = get(f"fraud_rules.{rule}") or DEFAULT_ACTIONS[rule]
    for limit, default in DEFAULT_LIMITS.items():
        raw = get(f"fraud_rules.{limit}").strip()
        number = _whole(raw) if raw else default
        if number is None:
            errors[f"fraud_rules.{limit}"] = programs.MESSAGES["fraud_limit"]
        else:
            rules[limit] = number
    values["fraud_rules"] = rules
    for name, message in programs.field_errors(values).items():
        errors.setdefault(name, message)
    return values, errors


def to_form(program: dict[str, Any]) -> dict[str, str]:
    """A saved program (programs.as_dict) as the form shows it."""
    currency = program["currency"]
    digits = _precision(currency)

    def money(minor: int) -> str:
        return f"{Decimal(minor) / (10 ** digits):.{digits}f}"

    out: dict[str, str] = {"currency": currency, "hold_days": str(program["hold_days"]),
                           "min_order_amount": money(program["min_order_amount"])}
    for side in ("referrer", "friend"):
        kind = program[f"{side}_reward_kind"]
        amount = program[f"{side}_reward_amount"]
        out[f"{side}_reward_kind"] = kind
        out[f"{side}_reward_amount"] = money(amount) if kind in MONEY_KINDS else str(amount)
    for name in ("cap_per_referrer_month", "cap_total", "level2_percent"):
        out[name] = "" if program[name] is None else str(program[name])
    terms = program.get("terms") or {}
    for lang in TERMS_LANGUAGES:
        out[f"terms.{lang}"] = str(terms.get(lang) or next(
            (v for k, v in terms.items() if k.startswith(lang + "-")), ""))
    rules = program.get("fraud_rules") or {}
    for rule, default in {**DEFAULT_ACTIONS, **DEFAULT_LIMITS}.items():
        out[f"fraud_rules.{rule}"] = str(rules.get(rule, default))
    return out
