"""Session limits: logged out after `EAPCASE_SESSION_IDLE_MINUTES` without a request and
`EAPCASE_SESSION_MAX_HOURS` after logging in, whatever happens in between (ADR 0013).

A session carries two instants (seconds since the epoch): when it began, stamped at login, and
when its user was last active, moved forward by their requests (at most once a
`TOUCH_SECONDS`, so a busy page does not write the session on every request). Requests that
only ask how long is left (`/accounts/session/` with GET, the warning script's) do not count as
activity: the page never keeps itself alive."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest

from eapcase.core import clock

STARTED = "eapcase_session_started"
SEEN = "eapcase_session_seen"
TOUCH_SECONDS = 30


def _now() -> int:
    return int(clock.now().timestamp())


def stamp_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """Receiver of `user_logged_in`: a new session begins now (also for test clients'
    `force_login`, which never passes through a view)."""
    session = getattr(request, "session", None)
    if session is not None:
        now = _now()
        session[STARTED] = now
        session[SEEN] = now


def connect() -> None:
    user_logged_in.connect(stamp_login, dispatch_uid="eapcase.security.sessions.stamp_login")


@dataclass(frozen=True)
class Remaining:
    idle_seconds: int  # until the idle logout, if nothing else happens
    total_seconds: int  # until the absolute limit
    expired: str  # "" while valid, else "idle" or "max"

    @property
    def seconds(self) -> int:
        return max(0, min(self.idle_seconds, self.total_seconds))


def remaining(session: Any) -> Remaining:
    """How long the session has left, from its stamps (a session without them begins now)."""
    now = _now()
    started = int(session.get(STARTED, now))
    seen = int(session.get(SEEN, now))
    idle = settings.EAPCASE_SESSION_IDLE_MINUTES * 60 - (now - seen)
    total = settings.EAPCASE_SESSION_MAX_HOURS * 3600 - (now - started)
    expired = "max" if total <= 0 else "idle" if idle <= 0 else ""
    return Remaining(idle_seconds=idle, total_seconds=total, expired=expired)


def touch(session: Any, *, force: bool = False) -> None:
    """The user did something: the idle limit starts again (the absolute one never does).
    `force` for "Stay logged in", which must give the whole idle time back."""
    now = _now()
    if STARTED not in session:
        session[STARTED] = now
    if force or now - int(session.get(SEEN, 0)) >= TOUCH_SECONDS:
        session[SEEN] = now
