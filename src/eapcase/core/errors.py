"""Errors the services raise; views, the API and commands turn them into messages.

`http_status` is the one mapping to HTTP: the pages' middleware (`web.errors`) and the API's
exception handler (`api.errors`) both answer with it, so a page and the API never disagree
about what a refusal is."""

from __future__ import annotations


class ServiceError(Exception):
    """A refused write. `field` names the input at fault (None when it is the whole request)."""

    http_status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class NotFound(ServiceError):
    """The object does not exist or the actor may not see it (the same answer for both)."""

    http_status = 404


class Conflict(ServiceError):
    """The write contradicts the current state (a closed case, a question already answered)."""

    http_status = 409


class PermissionDenied(ServiceError):
    """The actor may see the case but not do this to it."""

    http_status = 403
