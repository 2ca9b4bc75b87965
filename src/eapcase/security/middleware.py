"""Middleware of the security app:

- `NoStoreMiddleware`: no dynamic answer (page, fragment, API) may be kept by a browser or a
  proxy cache; static files are served before it by whitenoise and keep their caching, and so
  does an answer its view marked `public` (only /favicon.ico, which holds no case data).
- `SessionTimeoutMiddleware`: ends a session past its idle or absolute limit (sessions.py).
- `SecondFactorMiddleware`: while `EAPCASE_REQUIRE_MFA` is on, a user logged in with a password
  but not yet verified by a second factor reaches only the enrolment and verification pages
  (and logging out, password reset); the rest answers with a redirect (pages) or a 403 in the
  API's error shape. Token-authenticated API calls carry no session and are not concerned:
  tokens are issued from a verified session.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from eapcase.security import sessions

Handler = Callable[[HttpRequest], HttpResponse]


class NoStoreMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "public" not in response.get("Cache-Control", ""):
            add_never_cache_headers(response)
        return response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _status_only(request: HttpRequest) -> bool:
    """The warning script's question; answering it must not extend the session."""
    return request.method == "GET" and request.path == reverse("security:session")


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            left = sessions.remaining(request.session)
            if left.expired:
                # Named in the sign-out's audit row (security/signins.py).
                request.eapcase_logout_how = f"expired ({left.expired})"  # type: ignore[attr-defined]
                logout(request)
                if _is_api(request):
                    return JsonResponse(
                        {"errors": [{"field": None, "message": "Your session has ended."}]},
                        status=401,
                    )
                if left.expired == "idle":
                    text = (
                        f"You were logged out after {settings.EAPCASE_SESSION_IDLE_MINUTES} "
                        "minutes without activity. Log in again to carry on."
                    )
                else:
                    text = (
                        f"You were logged out: a session lasts at most "
                        f"{settings.EAPCASE_SESSION_MAX_HOURS} hours. Log in again to carry on."
                    )
                messages.info(request, text)
                query = urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(f"{settings.LOGIN_URL}?{query}")
            if not _status_only(request):
                sessions.touch(request.session)
        return self.get_response(request)


# Reachable by a user who logged in with a password but has not given the second factor.
_OPEN_TO_UNVERIFIED = (
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/mfa/",
    "/accounts/session/",
    "/accounts/password/reset/",
    "/accounts/reset/",
    "/static/",
)


class SecondFactorMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            settings.EAPCASE_REQUIRE_MFA
            and user.is_authenticated
            and not user.is_verified()  # type: ignore[attr-defined]
            and not request.path.startswith(_OPEN_TO_UNVERIFIED)
        ):
            if _is_api(request):
                return JsonResponse(
                    {"errors": [{"field": None, "message": "Give your second factor first."}]},
                    status=403,
                )
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('security:mfa_verify')}?{query}")
        return self.get_response(request)
