"""Template filters for instants: in a Partner's local time, with the zone named, and as a
countdown.

`local` is the one way a page prints an instant: `Mon 23 Nov 2026 14:05 GMT`. Pages pass the
Partner whose clock applies (or its zone name); without one (a message no Partner is known
for) the filter uses the zone the view activated (the case pages activate the Partner's, other
pages run in UTC), so a time is never shown without saying whose clock it is on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone

from eapcase.web.selectors import countdown, local_time

register = template.Library()


@register.filter
def local(at: datetime | None, zone: Any = None) -> str:
    """`{{ at|local:case.partner }}`, `{{ at|local:"Europe/London" }}` or `{{ at|local }}`
    -> `Mon 23 Nov 2026 14:05 GMT`. A Partner of None (Django refuses a missing attribute in
    a filter's argument, so templates pass the Partner, not its zone) means the active zone."""
    if at is None or at == "":
        return ""
    name = getattr(zone, "timezone", zone)
    return local_time(at, name or timezone.get_current_timezone_name())


@register.filter
def until(at: datetime | None, now: datetime) -> str:
    """`{{ due_at|until:now }}` -> `in 3 h`, `2 h late`."""
    return countdown(at, now) if at is not None else ""
