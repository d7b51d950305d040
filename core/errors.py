"""Domain errors carry a stable code; the HTTP layer maps codes to statuses, the voice
layer to a spoken apology."""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, details: object = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details


class NotFound(DomainError):
    code = "not_found"
    status = 404


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 422


class FieldErrors(InvalidInput):
    """Field name -> message, for the form that sent them (staff accounts, shop settings,
    webhook endpoints, API keys): every form answers its errors the same way."""

    code = "invalid_fields"

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("Some fields need attention: " + ", ".join(sorted(fields)) + ".",
                         details={"fields": sorted(fields)})
        self.fields = fields


class Conflict(DomainError):
    code = "conflict"
    status = 409


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429


class MalformedRequest(DomainError):
    """The body could not be read at all (not JSON, not an object)."""

    status = 400
