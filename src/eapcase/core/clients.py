"""Where a request came from, for the audit trail and the login lockout."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def client_address(request: Any) -> str | None:
    """The client's address. Behind `EAPCASE_PROXY_COUNT` proxies, each appends the address it
    saw to X-Forwarded-For: the one the outermost proxy saw is that many from the right (what
    the client wrote itself, further left, is not trusted)."""
    count = int(settings.EAPCASE_PROXY_COUNT)
    if count > 0:
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
        hops = [part.strip() for part in forwarded.split(",")]
        hops = [hop for hop in hops if hop]
        if len(hops) >= count:
            return hops[-count]
    remote: str | None = request.META.get("REMOTE_ADDR")
    return remote
