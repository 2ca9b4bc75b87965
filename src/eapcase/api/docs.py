"""The API's documentation page, served offline: drf-spectacular's Swagger UI and Redoc load
their assets from a CDN, which the site never does (strict CSP, offline installs). This page
is rendered on the server from the same OpenAPI schema as `/api/v1/schema/`: every operation
with its parameters and answers, linking to the JSON schema and to DRF's browsable API (which
ships its own static files) for trying requests with the session of the pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe
from drf_spectacular.generators import SchemaGenerator

from eapcase.api.errors import error_body

_METHODS = ("get", "post", "put", "patch", "delete")


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for route, item in schema.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            found.append(
                {
                    "method": method.upper(),
                    "path": route,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": [
                        {
                            "name": p.get("name", ""),
                            "location": p.get("in", ""),
                            "required": p.get("required", False),
                            "description": p.get("description", ""),
                        }
                        for p in operation.get("parameters", [])
                    ],
                    "responses": sorted(operation.get("responses", {})),
                }
            )
    return found


@require_safe
def docs(request: HttpRequest) -> HttpResponse:
    schema = SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
    return render(
        request,
        "api/docs.html",
        {"info": schema.get("info", {}), "operations": _operations(schema)},
    )


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Unknown addresses under /api/v1/ answer in the API's error shape."""
    return JsonResponse(error_body(None, "Not found."), status=404)
