"""`/healthz`: the health report as JSON for monitors (no login; no personal data)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from eapcase.core import clock
from eapcase.ops.health import health_check


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    health = health_check(now=clock.now())
    return JsonResponse(health.as_json(), status=200 if health.healthy else 503)
