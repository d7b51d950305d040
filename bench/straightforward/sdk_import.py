"""Importing flask-ask-sdk on this OpenSSL, for the straightforward skill.

flask_ask_sdk imports ask_sdk_webservice_support.verifier, which imports certvalidator ->
oscrypto 1.3.0, whose libcrypto version check cannot parse OpenSSL "3.0.19" and raises
LibraryNotFoundError at import (wbond/oscrypto #75, #78). The straightforward skill checks
signatures with `cryptography` (alexa_skill.SignatureVerifier), so when that import fails a
`certvalidator` module whose validator refuses to run stands in, and flask-ask-sdk then
imports as it is. On a machine where oscrypto works, nothing is replaced."""

from __future__ import annotations

import sys
import types
from typing import Any


def _stand_in() -> None:
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
            raise RuntimeError("certvalidator cannot load on this OpenSSL")

    errors.ValidationError, errors.PathError = ValidationError, PathError  # type: ignore[attr-defined]
    module.CertificateValidator = CertificateValidator  # type: ignore[attr-defined]
    module.errors = errors  # type: ignore[attr-defined]
    sys.modules["certvalidator"], sys.modules["certvalidator.errors"] = module, errors


def importable() -> None:
    """Make `import flask_ask_sdk` work here."""
    try:
        import certvalidator  # noqa: F401
    except Exception:  # oscrypto's LibraryNotFoundError, or any sibling of it
        _stand_in()
