"""The outside parts core and the layers above plug in, typed by what is asked of them.
Implementations live where they belong (Alexa's verifier in fulfillment, the profile client
in voice, channels in core.messaging); tests substitute real local servers or own PKIs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

# The bytes at an Alexa SignatureCertChainUrl (already checked against Amazon's rules).
CertFetcher = Callable[[str], bytes]
# status, headers, body of a GET (Google's signing certificates, with their max-age).
HttpGet = Callable[[str], tuple[int, dict[str, str], bytes]]


class RequestVerifier(Protocol):
    """Raises when the request is not genuinely from the assistant for this skill."""

    def verify(self, headers: Any, body: bytes, envelope: dict[str, Any], *,
               skill_id: str | None, now: datetime) -> None: ...


class ProfileLookup(Protocol):
    """The Alexa Customer Profile API: the account's mobile number and email, if granted."""

    def lookup_for(self, endpoint: str, token: str) -> Callable[[], dict[str, str] | None]:
        """A lookup the dialog calls only when it needs to know who is speaking."""
