"""`Idempotency-Key` on POST: a retried request creates nothing twice.

The first successful (2xx) answer to a POST carrying the header is stored with the key, in the
same transaction as the write. A later POST by the same user with the same key and the same
request (method, path and body) gets the stored answer back, with `Idempotent-Replayed: true`,
and writes nothing. The same key with a different request is refused with 422 (as the IETF
httpapi draft "The Idempotency-Key HTTP Header Field" advises); a refused request (4xx) is not
stored, so it may be corrected and sent again with the same key.

A key is remembered for `settings.EAPCASE_IDEMPOTENCY_HOURS` (24 by default): after that a
request with the same key is a new request, and the worker's daily duty purges the expired
rows (`idempotency_keys_purge`). Clients retry within minutes; a day bounds the table."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.db import IntegrityError, transaction
from rest_framework.request import Request
from rest_framework.response import Response

from eapcase.accounts.models import User
from eapcase.api.errors import IdempotencyKeyReused
from eapcase.api.models import IdempotencyKey
from eapcase.core import clock
from eapcase.core.errors import ServiceError

HEADER = "Idempotency-Key"
KEY_MAX = 255


class _KeyTaken(Exception):
    """Another request stored the same key first: roll this one back and replay."""


def request_hash(request: Request) -> str:
    payload = json.dumps(
        [request.method, request.path, request.data], sort_keys=True, default=str
    ).encode()
    return hashlib.sha256(payload).hexdigest()


def _key_of(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not key or len(key) > KEY_MAX or not key.isprintable() or not key.isascii():
        raise ServiceError(f"must be 1 to {KEY_MAX} printable ASCII characters", field=HEADER)
    return key


def idempotency_lifetime() -> timedelta:
    return timedelta(hours=settings.EAPCASE_IDEMPOTENCY_HOURS)


def idempotency_keys_purge(*, now: datetime) -> int:
    """Delete the keys older than their lifetime; the number deleted."""
    deleted, _ = IdempotencyKey.objects.filter(
        created_at__lte=now - idempotency_lifetime()
    ).delete()
    return deleted


def _replay(stored: IdempotencyKey, request: Request, digest: str) -> Response:
    if (stored.method, stored.path, stored.request_hash) != (request.method, request.path, digest):
        raise IdempotencyKeyReused("was used before for a different request", field=HEADER)
    return Response(
        stored.response_body,
        status=stored.response_status,
        headers={"Idempotent-Replayed": "true"},
    )


def idempotent(request: Request, write: Callable[[], Response]) -> Response:
    """Run `write` (a view's POST) at most once per (user, Idempotency-Key)."""
    key = _key_of(request)
    if key is None:
        return write()
    digest = request_hash(request)
    user = cast(User, request.user)
    mine = IdempotencyKey.objects.filter(user=user, key=key)
    now = clock.now()
    try:
        with transaction.atomic():
            stored = mine.select_for_update().first()
            if stored is not None and stored.created_at <= now - idempotency_lifetime():
                stored.delete()  # expired: forgotten, this is a new request
                stored = None
            if stored is not None:
                return _replay(stored, request, digest)
            response = write()
            if 200 <= response.status_code < 300:
                try:
                    with transaction.atomic():
                        IdempotencyKey.objects.create(
                            user=user,
                            key=key,
                            method=request.method or "",
                            path=request.path[:500],
                            request_hash=digest,
                            response_status=response.status_code,
                            response_body=_plain(response.data),
                            created_at=now,
                        )
                except IntegrityError as exc:
                    raise _KeyTaken from exc
            return response
    except _KeyTaken:
        return _replay(mine.get(), request, digest)


def _plain(data: Any) -> Any:
    """The answer as plain JSON values (what a replay returns)."""
    return json.loads(json.dumps(data, default=str))
