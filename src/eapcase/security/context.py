"""Template context for every page: what the idle-logout warning needs to know, and whether
the second factor is still to be given (the menu is then hidden)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from eapcase.security import sessions


def session_limits(request: HttpRequest) -> dict[str, Any]:
    user: Any = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not hasattr(request, "session"):
        return {}
    verified = getattr(user, "is_verified", None)
    return {
        "session_limits": {
            "seconds": sessions.remaining(request.session).seconds,
            "warn_seconds": settings.EAPCASE_SESSION_WARNING_MINUTES * 60,
        },
        # Until the second factor is given the menu would only lead back to the verification.
        "second_factor_pending": bool(
            settings.EAPCASE_REQUIRE_MFA and verified is not None and not verified()
        ),
    }
