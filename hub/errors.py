"""The hub's own exceptions; the API turns each into a 4xx JSON answer."""

from __future__ import annotations


class HubError(Exception):
    """A request the hub refuses; ``status`` is the HTTP status, ``field`` what was wrong."""

    status = 400

    def __init__(
        self, message: str, field: str | None = None, status: int | None = None, **extra: object
    ) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status
        self.message = message
        self.field = field
        self.extra = extra

    def to_json(self) -> dict[str, object]:
        return {"error": self.message, "field": self.field, **self.extra}


class Invalid(HubError):
    status = 422


class NotFound(HubError):
    status = 404


class Conflict(HubError):
    status = 409


class Forbidden(HubError):
    status = 403


class Unauthorized(HubError):
    status = 401


class PluginLoadError(RuntimeError):
    """A configured plugin could not be loaded; start-up stops with its name."""
