"""The one error type of Paddock: a code, a message and a status (rendered by error_handlers)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from webapp.outage import RETRY_AFTER_SECONDS

STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}
SERVICE_NAMES = {"postgresql": "its database", "redis": "its cache and message store"}


class AppError(Exception):
    """A domain failure with a stable code, a human message and an HTTP status."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int = 422,
        details: dict[str, Any] | None = None,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = details or {}
        # The form field a page shows the message beside, when there is one.
        self.field = field
        self.headers = headers or {}

    @classmethod
    def not_found(cls, what: str = "Not found") -> AppError:
        """Return the error for a thing that does not exist or is not visible."""
        return cls("not_found", what, status=404)

    @classmethod
    def forbidden(cls, message: str = "You are not allowed to do that") -> AppError:
        """Return the error for an authenticated caller acting beyond their rights."""
        return cls("forbidden", message, status=403)

    @classmethod
    def unauthorized(cls, message: str = "Authentication required") -> AppError:
        """Return the error for a missing, expired or invalid credential."""
        return cls("unauthorized", message, status=401)

    @classmethod
    def unavailable(cls, service: str) -> AppError:
        """Return the error for a request that could not reach PostgreSQL or Redis."""
        return cls(
            "service_unavailable",
            f"Paddock cannot reach {SERVICE_NAMES.get(service, service)} right now",
            status=503,
            details={"service": service, "retry_after_seconds": RETRY_AFTER_SECONDS},
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    @classmethod
    def from_validation(cls, exc: ValidationError) -> AppError:
        """Turn pydantic errors into a `validation_error` naming each field."""
        fields: dict[str, str] = {}
        for err in exc.errors():
            name = ".".join(str(part) for part in err["loc"]) or "body"
            fields.setdefault(name, err["msg"])
        summary = "; ".join(f"{name}: {msg}" for name, msg in fields.items())
        return cls("validation_error", f"Invalid input ({summary})", details={"fields": fields})

    def payload(self) -> dict[str, Any]:
        """Return the JSON error body of `api.md`."""
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}
