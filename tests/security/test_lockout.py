"""Login lockout (django-axes): five wrong passwords for a username, or from an address, pause
logins for fifteen minutes; every failure and every lockout is one audit row, with neither the
password nor a username that names nobody."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from eapcase.accounts.choices import Role
from eapcase.audit.models import AuditEvent
from tests.factories import PASSWORD, user_with_role, utc

pytestmark = pytest.mark.django_db

START = utc(2, 9)


def _try(username: str, password: str, address: str = "192.0.2.10") -> int:
    response = Client(REMOTE_ADDR=address).post(
        "/accounts/login/", {"username": username, "password": password}
    )
    return response.status_code


def _audit() -> list[tuple[str, str, str, dict[str, object]]]:
    return [
        (row.action, row.object_type, row.object_id, row.data)
        for row in AuditEvent.objects.order_by("id")
    ]


def test_five_wrong_passwords_lock_the_username_for_fifteen_minutes() -> None:
    user = user_with_role(Role.PARTNER_CLINICIAN)
    with time_machine.travel(START, tick=False):
        statuses = [_try(user.username, f"wrong-{n}") for n in range(5)]
        refused = Client(REMOTE_ADDR="192.0.2.10").post(
            "/accounts/login/", {"username": user.username, "password": PASSWORD}
        )
    assert statuses == [200, 200, 200, 200, 429]
    assert refused.status_code == 429
    assert b"Login paused" in refused.content
    assert b"paused for 15 minutes" in refused.content
    assert b'href="/static/web/site.css"' in refused.content  # the site's own layout
    failed = {"address": "192.0.2.10", "locked_out": False}
    assert _audit() == [
        *[("auth.login_failed", "User", str(user.pk), failed)] * 4,
        ("auth.login_failed", "User", str(user.pk), {**failed, "locked_out": True}),
        ("auth.locked_out", "User", str(user.pk), {"address": "192.0.2.10", "minutes": 15}),
        # the right password during the lockout is refused and recorded, without a new lockout
        ("auth.login_failed", "User", str(user.pk), {**failed, "locked_out": True}),
    ]
    with time_machine.travel(START + timedelta(minutes=15, seconds=1), tick=False):
        after = Client(REMOTE_ADDR="192.0.2.10").post(
            "/accounts/login/", {"username": user.username, "password": PASSWORD}
        )
    assert (after.status_code, after["Location"]) == (302, "/")


def test_the_same_username_from_other_addresses_is_locked_too() -> None:
    user = user_with_role(Role.PARTNER_CLINICIAN)
    with time_machine.travel(START, tick=False):
        statuses = [_try(user.username, "wrong", address=f"198.51.100.{n}") for n in range(6)]
    assert statuses == [200, 200, 200, 200, 429, 429]


def test_one_address_trying_many_usernames_is_locked() -> None:
    user = user_with_role(Role.PARTNER_CLINICIAN)
    with time_machine.travel(START, tick=False):
        statuses = [_try(f"guess{n}", "wrong") for n in range(5)]
        then = _try(user.username, PASSWORD)
    assert statuses == [200, 200, 200, 200, 429]
    assert then == 429
    # A username that names nobody is not kept: it may well be a password typed in the wrong box.
    assert [(action, kind, data) for action, kind, _, data in _audit()][:2] == [
        ("auth.login_failed", "", {"address": "192.0.2.10", "locked_out": False}),
        ("auth.login_failed", "", {"address": "192.0.2.10", "locked_out": False}),
    ]


def test_no_password_reaches_the_audit_trail_or_the_log(caplog: pytest.LogCaptureFixture) -> None:
    user = user_with_role(Role.PARTNER_CLINICIAN)
    with time_machine.travel(START, tick=False), caplog.at_level("DEBUG"):
        for _ in range(5):
            _try(user.username, "hunter2-secret")
    stored = " ".join(f"{a} {t} {i} {d}" for a, t, i, d in _audit())
    assert "hunter2-secret" not in stored
    assert user.username not in stored
    assert "hunter2-secret" not in caplog.text
    assert user.username not in caplog.text
    assert "192.0.2.10" not in caplog.text


def test_a_good_login_clears_earlier_failures() -> None:
    user = user_with_role(Role.PARTNER_CLINICIAN)
    with time_machine.travel(START, tick=False):
        first = [_try(user.username, "wrong") for _ in range(4)]
        good = _try(user.username, PASSWORD)
        again = [_try(user.username, "wrong") for _ in range(4)]
    assert (first, good, again) == ([200] * 4, 302, [200] * 4)


def test_behind_proxies_the_address_the_outermost_proxy_saw_counts(settings: Any) -> None:
    settings.EAPCASE_PROXY_COUNT = 1
    user = user_with_role(Role.PARTNER_CLINICIAN)
    with time_machine.travel(START, tick=False):
        for n in range(5):
            # What the client claims (left) changes each time; what the proxy saw does not.
            Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.9").post(
                "/accounts/login/", {"username": f"guess{n}", "password": "wrong"}
            )
        refused = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9").post(
            "/accounts/login/", {"username": user.username, "password": PASSWORD}
        )
    assert refused.status_code == 429
    assert set(AuditEvent.objects.values_list("data__address", flat=True)) == {"203.0.113.9"}
