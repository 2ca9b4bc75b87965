"""Template filters for instants: in a Partner's local time, and as a countdown."""

from __future__ import annotations

from datetime import datetime

from django import template

from eapcase.web.selectors import countdown, local_time

register = template.Library()


@register.filter
def local(at: datetime | None, zone: str) -> str:
    """`{{ at|local:case.partner.timezone }}` -> `Mon 23 Nov 2026 14:05 GMT`."""
    return local_time(at, zone) if at is not None else ""


@register.filter
def until(at: datetime | None, now: datetime) -> str:
    """`{{ due_at|until:now }}` -> `in 3 h`, `2 h late`."""
    return countdown(at, now) if at is not None else ""
