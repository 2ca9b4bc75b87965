"""Optimistic concurrency in the API (ADR 0038): a case's `ETag` is its version, and a write
that changes the case honours `If-Match`.

GET of a case answers `ETag: "N"`; a write that changes it answers the new one (and carries
`version` in its body, so an idempotent replay says it too). A write sent with
`If-Match: "N"` is refused with 409 (the pages' status for the same refusal, with what changed
since in the body) when the case is no longer at N, before anything is written. Without
`If-Match` (or with `*`) the write is not checked: clients written before versions existed
keep working."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from rest_framework.request import Request

from eapcase.cases.models import Case
from eapcase.cases.record import expecting
from eapcase.core.errors import ServiceError

HEADER = "If-Match"
_STRONG = re.compile(r'"(\d{1,18})"')


def etag(version: int) -> str:
    """A case's version as a strong entity tag."""
    return f'"{version}"'


def if_match(request: Request) -> int | None:
    """The version the client read, from `If-Match`; None when it sent none (or `*`)."""
    raw = request.headers.get(HEADER)
    if raw is None or raw.strip() == "*":
        return None
    found = _STRONG.fullmatch(raw.strip())
    if found is None:
        raise ServiceError(
            'must be one ETag as GET of the case returned it (such as "12"), or *', field=HEADER
        )
    return int(found.group(1))


@contextmanager
def if_match_case(request: Request, case: Case) -> Iterator[None]:
    """Refuse the writes to `case` inside the block when `If-Match` names another version."""
    with expecting(case, if_match(request)):
        yield
