"""django-axes, audited: every failed password and every lockout becomes an audit row (through
`services.login_failure_record`), and axes' own log lines name neither user nor address.

Axes calls its handler from Django's `user_login_failed` signal; the handler is configured by
`AXES_HANDLER`, so the audit is written where axes decides, not by a signal receiver of ours."""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from eapcase.core import clients, clock
from eapcase.security import services


class AuditedAxesHandler(AxesDatabaseHandler):  # type: ignore[misc]
    """Axes' database handler, plus one audit row per failure and per lockout begun."""

    def user_login_failed(
        self,
        sender: Any,
        credentials: dict[str, Any],
        request: HttpRequest | None = None,
        **kwargs: Any,
    ) -> None:
        # Set by the backend when the user or address was already locked out before this try.
        already_locked = bool(getattr(request, "axes_locked_out", False))
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None:
            return
        locked_out = bool(getattr(request, "axes_locked_out", False))
        services.login_failure_record(
            username=get_client_username(request, credentials),
            address=getattr(request, "axes_ip_address", None),
            locked_out=locked_out,
            lockout_began=locked_out and not already_locked,
            at=clock.now(),
        )


def client_address(request: HttpRequest) -> str | None:
    """The client's address (core.clients), as axes and the audit trail both name it."""
    return clients.client_address(request)


def client_str(
    username: str | None,
    ip_address: str | None,
    user_agent: str | None,
    path_info: str | tuple[str, ...] | None,
    request: HttpRequest | None,
) -> str:
    """What axes writes in its log lines about a client: no username, no address (they are in
    the audit trail, which is protected; log files are not)."""
    return "a client (see the audit trail)"


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The lockout page, in the site's layout, with 429 Too Many Requests. It names no username
    (whoever is at the keyboard may not own the one they typed)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}
    return render(request, "security/lockout.html", context, status=429)
