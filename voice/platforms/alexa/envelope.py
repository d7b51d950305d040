"""Whether a body is an Alexa request envelope the ask SDK can read.

With verification on, only Amazon's (signed) envelopes get this far; with it off (local
development, VERIFY_REQUESTS=0) anything does, and the SDK's SerializationException would be
the adapter's 500. Deserializing here, once, turns a malformed envelope into a 400 first,
and the envelope read is the one the skill then runs on."""

from __future__ import annotations

import logging
from typing import Any

from ask_sdk_core.exceptions import SerializationException
from ask_sdk_model.request_envelope import RequestEnvelope

from voice.platforms.alexa.serializer import ModelSerializer

log = logging.getLogger(__name__)
# Amazon sends a session with every one of these; the SDK refuses session attributes without.
IN_SESSION = ("LaunchRequest", "IntentRequest", "SessionEndedRequest")


# Read as objects by the verifier too; the SDK lets a list stand for any of them.
_OBJECTS = (("session",), ("context",), ("context", "System"), ("context", "System", "application"),
            ("session", "application"), ("request",))


def _not_an_object(raw: dict[str, Any]) -> str | None:
    for path in _OBJECTS:
        value: Any = raw
        for step in path:
            value = value.get(step) if isinstance(value, dict) else None
        if value is not None and not isinstance(value, dict):
            return ".".join(path)
    return None


def shape_problem(raw: dict[str, Any]) -> str | None:
    """Before verification (which reads these parts as objects): None, or what is wrong."""
    wrong = _not_an_object(raw)
    return None if wrong is None else f"{wrong} must be an object."


def read(serializer: ModelSerializer, raw: dict[str, Any] | None,
         body: bytes) -> tuple[Any, str | None]:
    """The SDK's RequestEnvelope and None, or (None, why the SDK cannot read it, in a
    sentence). `raw` is the body as the edge parsed it (UTF-8 JSON), read without parsing it
    again; None means the SDK reads the body itself. The envelope read here is the one the
    skill is invoked with."""
    try:
        envelope = (serializer.deserialize_parsed(raw, RequestEnvelope) if raw is not None
                    else serializer.deserialize(body.decode("utf-8"), RequestEnvelope))
    except (SerializationException, ValueError, TypeError, AttributeError) as exc:
        # The SDK's words for the operator (the log redaction takes out any phone or email
        # a slot carried); the caller is told no more than that a field has the wrong type.
        log.warning("unreadable Alexa envelope: %s", exc)
        return None, "The Alexa request envelope has fields of the wrong type."
    if envelope is None or envelope.request is None:
        return None, "Expected an Alexa request envelope."
    kind = envelope.request.object_type
    if kind in IN_SESSION and envelope.session is None:
        return None, f"A {kind} always carries a session."
    if kind == "IntentRequest" and not getattr(envelope.request.intent, "name", None):
        return None, "An IntentRequest always names its intent."
    return envelope, None
