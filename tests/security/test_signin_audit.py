"""Every sign-in, sign-out, failed password and lockout
is one audit row naming who, when and from where (issue #13 item 4, ADR 0035). The second
factor's rows are in test_mfa.py."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client

from eapcase.accounts.choices import Role
from eapcase.audit.models import AuditEvent
from eapcase.ops.trail import trail_verify
from tests.factories import PASSWORD, user_with_role, utc

pytestmark = pytest.mark.django_db

START = utc(2, 9)


def _rows() -> list[tuple[str, int | None, str, dict[str, object]]]:
    return [
        (row.action, row.actor_id, row.address, row.data)
        for row in AuditEvent.objects.order_by("id")
    ]


def test_a_sign_in_and_a_sign_out_are_one_row_each_with_the_address() -> None:
    user = user_with_role(Role.PARTNER_CLINICIAN)
    client = Client(REMOTE_ADDR="192.0.2.44")
    with time_machine.travel(START, tick=False):
        signed_in = client.post(
            "/accounts/login/", {"username": user.username, "password": PASSWORD}
        )
        assert signed_in.status_code == 302
        assert client.get("/work/").status_code == 200
        assert client.post("/accounts/logout/").status_code in (200, 302)
    assert _rows() == [
        ("auth.login", user.pk, "192.0.2.44", {}),
        ("auth.logout", user.pk, "192.0.2.44", {"how": "logout"}),
    ]
    row = AuditEvent.objects.get(action="auth.login")
    assert (row.at, row.object_type, row.object_id) == (START, "User", str(user.pk))
    assert trail_verify().intact


def test_a_failed_password_and_a_lockout_carry_the_address_in_their_rows() -> None:
    user = user_with_role(Role.PARTNER_CLINICIAN)
    with time_machine.travel(START, tick=False):
        for n in range(5):
            Client(REMOTE_ADDR="192.0.2.46").post(
                "/accounts/login/", {"username": user.username, "password": f"wrong-{n}"}
            )
    rows = [(a, addr) for a, _, addr, _ in _rows()]
    assert rows == [("auth.login_failed", "192.0.2.46")] * 5 + [("auth.locked_out", "192.0.2.46")]
