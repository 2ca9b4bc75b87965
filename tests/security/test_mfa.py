"""The second factor (django-otp): set-up with a QR code drawn on the server, verification
after the password, recovery codes shown once and stored only as digests, new codes on demand;
every step audited. These tests run with EAPCASE_REQUIRE_MFA on, as production does."""

from __future__ import annotations

import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from eapcase.accounts.choices import Role
from eapcase.audit.models import AuditEvent
from eapcase.core import clock
from eapcase.security import selectors, services
from tests.factories import PASSWORD, user_with_role, utc
from tests.security.helpers import totp_code

pytestmark = [pytest.mark.django_db, pytest.mark.mfa]

NOW = utc(2, 9)
CODE_SHAPE = re.compile(r"<code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code>")


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def _enrolled(user: Any) -> tuple[TOTPDevice, list[str]]:
    services.mfa_enrolment_start(user=user)
    device = TOTPDevice.objects.get(user=user)
    return services.mfa_enrol(user=user, code=totp_code(device), at=clock.now())


def test_a_password_login_leads_to_set_up_when_the_user_has_no_app() -> None:
    user = user_with_role(Role.PARTNER_CLINICIAN)
    client = Client()
    login = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert (login.status_code, login["Location"]) == (302, "/")
    home = client.get("/")
    assert (home.status_code, home["Location"]) == (302, "/accounts/mfa/verify/?next=%2F")
    verify = client.get(home["Location"])
    assert (verify.status_code, verify["Location"]) == (302, "/accounts/mfa/?next=%2F")
    # Nothing else is reachable yet, pages or API
    assert client.get("/work/")["Location"] == "/accounts/mfa/verify/?next=%2Fwork%2F"
    api = client.get("/api/v1/cases/")
    assert (api.status_code, api.json()) == (
        403,
        {"errors": [{"field": None, "message": "Give your second factor first."}]},
    )


def test_set_up_shows_an_inline_qr_code_and_the_key_then_confirms_with_a_code(
    _frozen: Any,
) -> None:
    user = user_with_role(Role.PARTNER_CLINICIAN)
    client = Client()
    client.force_login(user)
    page = client.get("/accounts/mfa/?next=/work/")
    body = page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert page.status_code == 200
    assert 'href="/work/">My work</a>' not in body  # no menu before the second factor
    # drawn here, inline: no image is fetched from anywhere
    assert 'class="qr-code"><title>QR code for your authenticator app</title><path' in body
    assert '<label class="form-label" for="id_code">Six-digit code from the app</label>' in body
    key = re.search(r'<code class="fs-6" id="totp-key">([A-Z2-7 ]+)</code>', body)
    assert key is not None
    assert key.group(1).replace(" ", "") == selectors.totp_secret(device)
    # A reload shows the same key (an app that already scanned it keeps working)
    assert key.group(0) in client.get("/accounts/mfa/").content.decode()

    wrong = client.post("/accounts/mfa/", {"code": "000000", "next": "/work/"})
    assert wrong.status_code == 400
    assert "That code did not match" in wrong.content.decode()
    # Straight after a wrong code even the right one is refused (django-otp's throttle)...
    throttled = client.post("/accounts/mfa/", {"code": totp_code(device), "next": "/work/"})
    assert throttled.status_code == 400
    _frozen.shift(2)  # ...but not a little later
    done = client.post("/accounts/mfa/", {"code": totp_code(device), "next": "/work/"})
    codes = CODE_SHAPE.findall(done.content.decode())
    assert done.status_code == 200
    assert len(codes) == 10
    assert "shown only now" in done.content.decode()
    # Stored as digests only; the page does not show them again
    stored = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert stored == {services.recovery_code_digest(c) for c in codes}
    assert not stored & set(codes)
    assert not CODE_SHAPE.search(client.get("/accounts/mfa/").content.decode())
    # The session is verified: the pages open, with their menu
    work = client.get("/work/")
    assert (work.status_code, 'href="/work/">My work</a>' in work.content.decode()) == (200, True)
    # The password's sign-in is a row of its own (ADR 0035), then the second factor's.
    assert _actions() == ["auth.login", "mfa.failed", "mfa.failed", "mfa.enrolled"]
    failures = AuditEvent.objects.filter(action="mfa.failed").order_by("id")
    assert [row.data for row in failures] == [
        {"step": "enrol", "throttled": False},
        {"step": "enrol", "throttled": True},
    ]


def test_verification_after_the_password_with_the_apps_code() -> None:
    user = user_with_role(Role.PARTNER_CLINICIAN)
    device, _ = _enrolled(user)
    client = Client()
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert client.get("/work/")["Location"] == "/accounts/mfa/verify/?next=%2Fwork%2F"
    page = client.get("/accounts/mfa/verify/?next=/work/")
    assert '<label class="form-label" for="id_code">Code</label>' in page.content.decode()
    wrong = client.post("/accounts/mfa/verify/", {"code": "123456", "next": "/work/"})
    assert wrong.status_code == 400
    with time_machine.travel(NOW.timestamp() + 60, tick=False):
        # A fresh code (the one used at set-up cannot be used twice)
        right = client.post("/accounts/mfa/verify/", {"code": totp_code(device), "next": "/work/"})
        assert (right.status_code, right["Location"]) == (302, "/work/")
        assert client.get("/work/").status_code == 200
    assert _actions() == ["mfa.enrolled", "auth.login", "mfa.failed", "mfa.verified"]
    # Each second-factor row says where the request came from.
    assert set(
        AuditEvent.objects.filter(action__startswith="mfa.", actor=user)
        .exclude(action="mfa.enrolled")
        .values_list("address", flat=True)
    ) == {"127.0.0.1"}


def test_a_recovery_code_works_once() -> None:
    user = user_with_role(Role.PARTNER_CLINICIAN)
    _, codes = _enrolled(user)
    first, second = Client(), Client()
    first.force_login(user)
    second.force_login(user)
    used = first.post("/accounts/mfa/verify/", {"code": codes[3].upper(), "next": "/work/"})
    assert (used.status_code, used["Location"]) == (302, "/work/")
    assert "9 left" in first.get("/work/").content.decode()
    again = second.post("/accounts/mfa/verify/", {"code": codes[3], "next": "/work/"})
    assert again.status_code == 400
    assert StaticToken.objects.filter(device__user=user).count() == 9
    assert _actions() == [
        "mfa.enrolled",
        "auth.login",
        "auth.login",
        "mfa.recovery_code_used",
        "mfa.failed",
    ]
    row = AuditEvent.objects.get(action="mfa.recovery_code_used")
    assert (row.actor_id, row.data) == (user.pk, {"left": 9})


def test_new_recovery_codes_replace_the_old_ones(_frozen: Any) -> None:
    user = user_with_role(Role.PARTNER_CLINICIAN)
    _, old = _enrolled(user)
    client = Client()
    client.force_login(user)
    client.post("/accounts/mfa/verify/", {"code": old[0]})
    status = client.get("/accounts/mfa/recovery-codes/").content.decode()
    assert "You have 9 unused recovery codes" in status
    page = client.post("/accounts/mfa/recovery-codes/")
    new = CODE_SHAPE.findall(page.content.decode())
    assert (page.status_code, len(new), set(new) & set(old)) == (200, 10, set())
    other = Client()
    other.force_login(user)
    assert other.post("/accounts/mfa/verify/", {"code": old[1]}).status_code == 400
    _frozen.shift(2)  # past the throttle after a wrong code
    assert other.post("/accounts/mfa/verify/", {"code": new[1]}).status_code == 302
    assert "mfa.recovery_codes_regenerated" in _actions()


def test_an_unverified_session_cannot_make_new_recovery_codes() -> None:
    user = user_with_role(Role.PARTNER_CLINICIAN)
    _enrolled(user)
    client = Client()
    client.force_login(user)
    response = client.post("/accounts/mfa/recovery-codes/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/mfa/verify/")
    assert "mfa.recovery_codes_regenerated" not in _actions()


def test_verification_goes_only_to_this_sites_pages() -> None:
    user = user_with_role(Role.PARTNER_CLINICIAN)
    _, codes = _enrolled(user)
    client = Client()
    client.force_login(user)
    response = client.post(
        "/accounts/mfa/verify/", {"code": codes[0], "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_with_the_setting_off_no_second_factor_is_asked(settings: Any) -> None:
    settings.EAPCASE_REQUIRE_MFA = False
    client = Client()
    client.force_login(user_with_role(Role.PARTNER_CLINICIAN))
    assert client.get("/work/").status_code == 200
