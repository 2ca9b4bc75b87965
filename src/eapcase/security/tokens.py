"""DRF authentication by the hashed API tokens of this app, keeping the header integrators use:
`Authorization: Token <key>`. A read-only token may only read: anything but GET, HEAD and
OPTIONS is refused with 403.

It subclasses DRF's TokenAuthentication for the header parsing, the `WWW-Authenticate: Token`
challenge and drf-spectacular's `tokenAuth` scheme; the lookup is ours."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

from eapcase.core import clock
from eapcase.security import services


class ApiTokenAuthentication(TokenAuthentication):
    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        found = super().authenticate(request)
        if found is None:
            return None
        token = found[1]
        if token.read_only and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied("This token is read-only.")
        return found

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        token, refusal = services.token_for_key(key=key, at=clock.now())
        if token is None:
            raise exceptions.AuthenticationFailed(refusal)
        return token.user, token
