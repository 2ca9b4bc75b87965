"""Every API error as JSON: `{"errors": [{"field": ..., "message": ...}]}`.

The services' errors map to statuses: ServiceError 400, NotFound 404 (a missing case and one
the user may not see give the same body), PermissionDenied 403, Conflict 409,
NeedsConfirmation 409 (with the engine's `reasons`: send the request again with a `confirm`
field giving the reason to go ahead), StaleWrite 409 (`If-Match` named a version the case has
moved on from: `changes` since it and the `case` as it is now, ADR 0038). DRF's own errors
(401, 403, 404, 405, 406, 415, 429) are put in the same shape."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from eapcase.cases.changes import case_now, changes_since
from eapcase.cases.record import NeedsConfirmation, StaleWrite
from eapcase.core.errors import ServiceError


class IdempotencyKeyReused(ServiceError):
    """The key was used before for a different request (422)."""

    http_status = 422


def error_body(field: str | None, message: str) -> dict[str, Any]:
    return {"errors": [{"field": field, "message": message}]}


def _flatten(detail: Any, prefix: str | None = None) -> list[dict[str, Any]]:
    """DRF's nested error details as a flat list of {field, message}."""
    if isinstance(detail, dict):
        found: list[dict[str, Any]] = []
        for key, value in detail.items():
            name = None if key in ("non_field_errors", "detail") else str(key)
            field = f"{prefix}.{name}" if prefix and name else (name or prefix)
            found += _flatten(value, field)
        return found
    if isinstance(detail, list):
        found = []
        for item in detail:
            found += _flatten(item, prefix)
        return found
    return [{"field": prefix, "message": str(detail)}]


def _service_response(exc: ServiceError) -> Response:
    body = error_body(exc.field, exc.message)
    if isinstance(exc, NeedsConfirmation):
        body["reasons"] = exc.reasons
        body["confirm"] = "send the same request again with a confirm field giving your reason"
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, StaleWrite):
        now = case_now(exc.case)
        body["changes"] = [c.as_json() for c in changes_since(exc.case, exc.seen)]
        body["case"] = now.as_json()
        return Response(body, status=status.HTTP_409_CONFLICT, headers={"ETag": f'"{now.version}"'})
    # The statuses the pages use too (core.errors): NotFound 404, PermissionDenied 403...
    return Response(body, status=exc.http_status)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER for the API views (set on the views, see views.ApiView)."""
    if isinstance(exc, ServiceError):
        return _service_response(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None  # a real server error: Django's 500 handling
    detail = exc.detail if isinstance(exc, exceptions.APIException) else response.data
    response.data = {"errors": _flatten(detail)}
    return response
