"""The API's documentation page, served offline: drf-spectacular's Swagger UI and Redoc load
their assets from a CDN, which the site never does (strict CSP, offline installs).

The page is the integrator's guide (`api.guide`: what each operation is for, an example request
and answer, authentication, errors, idempotency), with each operation's parameters taken from
the same OpenAPI schema as `/api/v1/schema/`, so the two cannot drift apart. It links to the
JSON schema and to DRF's browsable API (which ships its own static files)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe
from drf_spectacular.generators import SchemaGenerator

from eapcase.api import guide
from eapcase.api.errors import error_body

_METHODS = ("get", "post", "put", "patch", "delete")
_CODE = re.compile(r"`([^`]+)`")


def inline_code(text: str) -> SafeString:
    """The schema's Markdown-style `code` as HTML code, everything else escaped: the reader
    never sees a backtick."""
    return mark_safe(_CODE.sub(r"<code>\1</code>", escape(text)))  # noqa: S308 (escaped above)


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str
    required: bool
    description: SafeString


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    guide: guide.Guide | None
    summary: SafeString
    parameters: list[Parameter]


def operations(schema: dict[str, Any]) -> list[Operation]:
    """Every operation of the schema, in its order, with its guide (None when it has none)."""
    guides = {(g.method, g.path): g for g in guide.GUIDES}
    found = []
    for route, item in schema.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            found.append(
                Operation(
                    method=method.upper(),
                    path=route,
                    guide=guides.get((method.upper(), route)),
                    summary=inline_code(operation.get("summary", "")),
                    parameters=[
                        Parameter(
                            name=p.get("name", ""),
                            location={"query": "query", "path": "path", "header": "header"}.get(
                                p.get("in", ""), p.get("in", "")
                            ),
                            required=p.get("required", False),
                            description=inline_code(p.get("description", "")),
                        )
                        for p in operation.get("parameters", [])
                    ],
                )
            )
    return found


@require_safe
def docs(request: HttpRequest) -> HttpResponse:
    schema = SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
    return render(
        request,
        "api/docs.html",
        {
            "info": schema.get("info", {}),
            "operations": operations(schema),
            "error_example": guide.ERROR_EXAMPLE,
            "confirm_example": guide.CONFIRM_EXAMPLE,
            "stale_example": guide.STALE_EXAMPLE,
        },
    )


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Unknown addresses under /api/v1/ answer in the API's error shape."""
    return JsonResponse(error_body(None, "Not found."), status=404)
