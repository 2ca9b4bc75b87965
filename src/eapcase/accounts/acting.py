"""Who a page's or the API's write is by: the signed-in user of the request."""

from __future__ import annotations

from typing import Any

from eapcase.accounts.models import User
from eapcase.core.errors import PermissionDenied


def acting_user(request: Any) -> User:
    """The signed-in user behind a request. Every write is login-required, so an anonymous
    request reaching a write is refused rather than recorded as nobody's."""
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_active:
        raise PermissionDenied("sign in to do this")
    return user
