"""Reads of the security app."""

from __future__ import annotations

import base64
from typing import Any

from django.db.models import QuerySet
from django_otp.plugins.otp_static.models import StaticToken

from eapcase.accounts.models import User
from eapcase.security.models import ApiToken


def token_list(*, user: User) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first (revoked and expired ones too, marked as such)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def recovery_codes_left(user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


def totp_secret(device: Any) -> str:
    """The device's key in base32, for typing into an app that cannot scan."""
    return base64.b32encode(bytes(device.bin_key)).decode().rstrip("=")
