"""Phone numbers and email addresses never reach a log line, not even in a traceback.

Normal flows log none, but error paths do: a database error quotes the statement's
parameters (and PostgreSQL's DETAIL the key values), an SDK exception quotes the slot value
it could not parse. So every record is redacted — its message, its formatted traceback and
its stack — before any handler formats it.

Two hooks, because each alone misses something:
- a LogRecord factory (`logging.setLogRecordFactory`) redacts every record as it is made,
  so handlers added after start-up (gunicorn's, Flask's default handler, a test's) are
  covered without anyone remembering to add a filter to them;
- a `RedactingFilter` on the handlers present at install time covers records that were not
  made by the factory (`logging.makeLogRecord`, e.g. records received from a queue or
  socket). Formatter wrappers were the alternative; they too miss handlers added later.

The traceback is rendered once, redacted, into `record.exc_text` (which `logging.Formatter`
prints instead of formatting `exc_info` again), and `exc_info` is dropped so no formatter
can render the raw one. Redaction is idempotent, so a record passing both hooks is fine."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

PHONE_MARK = "<phone>"
EMAIL_MARK = "<email>"

_EMAIL = re.compile(
    r"[A-Za-z0-9._%+-]+(?:@|%40)"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(?![A-Za-z0-9-])")
# International (+, or %2B when URL-encoded) with any of the usual separators; a
# parenthesised area code; and the North American 3-3-4 written form. Separators are
# spaces, dots, dashes, slashes and parentheses — never a line break.
_PHONE = re.compile(
    r"(?:(?<![\w%+])(?:\+|%2[Bb])\d[\d ()./-]{4,24}\d"
    r"|(?<![\w.])\(\d{2,5}\)[ .-]?\d{2,5}(?:[ .-]?\d{2,5}){0,2}"
    r"|(?<![\w.-])\d{3}[ .-]\d{3}[ .-]\d{4}(?![\w-]))")
_MIN_DIGITS = 7  # shorter is a code or a count, not a number anyone can call


def _phone(match: re.Match[str]) -> str:
    """Long runs are redacted too (a number followed by more digits must not slip out
    because the whole run has more than E.164's 15)."""
    text = match.group(0)
    digits = sum(c.isdigit() for c in text)
    if text.startswith(("%2B", "%2b")):
        digits -= 1  # the 2 of %2B
    return PHONE_MARK if digits >= _MIN_DIGITS else text


# A failed statement's parameters as SQLAlchemy quotes them (engines hide them, core.db;
# this covers any other), and the key values of PostgreSQL's DETAIL line.
_PARAMETERS = re.compile(r"\[parameters: .*?\](?=\n|$)", re.DOTALL)
_KEY_VALUES = re.compile(r"(Key \([^)]*\)=\().*?(\) )")
PARAMETERS_MARK = "[parameters: <redacted>]"


def redact(text: str) -> str:
    """The text with every email address and phone number replaced by a marker, and a
    failed statement's parameters and key values left out."""
    if not text:
        return text
    text = _KEY_VALUES.sub(r"\1<redacted>\2", _PARAMETERS.sub(PARAMETERS_MARK, text))
    return _PHONE.sub(_phone, _EMAIL.sub(EMAIL_MARK, text))


_formatter = logging.Formatter()


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact in place: message (args folded in), traceback and stack. Never raises: a
    record whose message cannot be formatted is left for the handler to report."""
    if getattr(record, "_redacted", False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # logging's own handleError reports a bad format later
        return record
    record.msg, record.args = redact(message), None
    if record.exc_info:
        if not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        record.exc_info = None
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._redacted = True
    return record


class RedactingFilter(logging.Filter):
    """For handlers: redact, never drop."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


_FILTER = RedactingFilter()


class _RedactingFactory:
    def __init__(self, inner: Callable[..., logging.LogRecord]) -> None:
        self.inner = inner

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(self.inner(*args, **kwargs))


def _all_handlers() -> list[logging.Handler]:
    loggers: list[Any] = [logging.getLogger(),
                          *logging.Logger.manager.loggerDict.values()]
    handlers = [h for lg in loggers for h in getattr(lg, "handlers", [])]
    if logging.lastResort is not None:
        handlers.append(logging.lastResort)
    return handlers


def install() -> None:
    """Called by every entry point (CLI, WSGI) once logging is configured; idempotent."""
    if not isinstance(logging.getLogRecordFactory(), _RedactingFactory):
        logging.setLogRecordFactory(_RedactingFactory(logging.getLogRecordFactory()))
    for handler in _all_handlers():
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)


def uninstall() -> None:
    """Undo `install` (tests)."""
    factory = logging.getLogRecordFactory()
    if isinstance(factory, _RedactingFactory):
        logging.setLogRecordFactory(factory.inner)
    for handler in _all_handlers():
        handler.removeFilter(_FILTER)
