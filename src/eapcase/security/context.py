"""Template context for every page: what the idle-logout warning needs to know."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from eapcase.security import sessions


def session_limits(request: HttpRequest) -> dict[str, Any]:
    user: Any = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not hasattr(request, "session"):
        return {}
    return {
        "session_limits": {
            "seconds": sessions.remaining(request.session).seconds,
            "warn_seconds": settings.EAPCASE_SESSION_WARNING_MINUTES * 60,
        }
    }
