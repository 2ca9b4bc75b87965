"""Signing in and out, audited (issue #13, ADR 0035): receivers of Django's `user_logged_in`
and `user_logged_out`, which fire for every way a session begins or ends (the login page, the
session limits, test clients' `force_login`). Failed passwords and lockouts are audited where
axes decides them (lockout.py); the second factor in services.mfa_*."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.http import HttpRequest

from eapcase.accounts.models import User
from eapcase.core import clock
from eapcase.security import lockout, services


def _address(request: HttpRequest | None) -> str | None:
    return lockout.client_address(request) if request is not None else None


def signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if isinstance(user, User):
        services.sign_in_record(user=user, address=_address(request), at=clock.now())


def signed_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if isinstance(user, User):
        how = getattr(request, "eapcase_logout_how", "logout")
        services.sign_out_record(user=user, address=_address(request), at=clock.now(), how=how)


def connect() -> None:
    user_logged_in.connect(signed_in, dispatch_uid="eapcase.security.signins.signed_in")
    user_logged_out.connect(signed_out, dispatch_uid="eapcase.security.signins.signed_out")
