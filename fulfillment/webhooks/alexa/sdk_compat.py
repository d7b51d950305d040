"""Importing flask-ask-sdk on this OpenSSL.

flask_ask_sdk imports ask_sdk_webservice_support.verifier, which imports certvalidator ->
oscrypto 1.3.0, whose libcrypto version check cannot parse OpenSSL "3.0.19" and raises
LibraryNotFoundError at import (wbond/oscrypto #75, #78; fixed only on its master). We
never use that verifier (ours is fulfillment.webhooks.alexa.signature, built on
`cryptography`), so when the import fails we stand in a `certvalidator` module whose
validator refuses to run, then import flask-ask-sdk normally. On a machine where oscrypto
works, nothing is replaced."""

from __future__ import annotations

import sys
import types
from typing import Any


class _CertvalidatorUnavailable(RuntimeError):
    pass


def _install_placeholder() -> None:
    for name in [m for m in sys.modules if m.split(".")[0] in ("certvalidator", "oscrypto")]:
        del sys.modules[name]
    module = types.ModuleType("certvalidator")
    errors = types.ModuleType("certvalidator.errors")

    class ValidationError(Exception):
        pass

    class PathError(Exception):
        pass

    class CertificateValidator:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise _CertvalidatorUnavailable(
                "certvalidator cannot load on this OpenSSL; "
                "use fulfillment.webhooks.alexa.signature")

    errors.ValidationError, errors.PathError = ValidationError, PathError  # type: ignore[attr-defined]
    module.CertificateValidator = CertificateValidator  # type: ignore[attr-defined]
    module.errors = errors  # type: ignore[attr-defined]
    sys.modules["certvalidator"], sys.modules["certvalidator.errors"] = module, errors


def skill_adapter_class() -> type:
    """flask-ask-sdk's SkillAdapter, with one addition: `dispatch_with(call)`.

    SkillAdapter.dispatch_request hands the body to WebserviceSkillHandler, which calls
    `skill.invoke(request_envelope, context=None)`: nothing of this request can reach the
    handlers except through global or context-local state. `dispatch_with` does the same
    invoke -> serialize with the skill's serializer (no SDK verifiers: ours ran before,
    with reasons) on the envelope the webhook already read with that serializer, and
    passes our per-request call object as the SDK's own `context`, which ask-sdk-core puts
    on HandlerInput.context."""
    try:
        import certvalidator  # noqa: F401
    except Exception:  # oscrypto's LibraryNotFoundError, or any sibling of it
        _install_placeholder()
    from ask_sdk_model import RequestEnvelope
    from flask import Response, jsonify
    from flask_ask_sdk.skill_adapter import SkillAdapter

    class CallSkillAdapter(SkillAdapter):  # type: ignore[misc]
        def dispatch_with(self, call: object, envelope: RequestEnvelope) -> Response:
            response = self._skill.invoke(request_envelope=envelope, context=call)
            return jsonify(self._skill.serializer.serialize(response))

        @property
        def serializer(self) -> Any:
            """The skill's serializer: read the envelope with it before `dispatch_with`."""
            return self._skill.serializer

    return CallSkillAdapter
