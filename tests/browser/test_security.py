"""In Chromium: a user sets up two-step verification with a real TOTP code, keeps the
recovery codes and later logs in with a fresh code from the "app"; five wrong passwords bring
the lockout page. With EAPCASE_REQUIRE_MFA on, as in production."""

from __future__ import annotations

import base64
import re
import time
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from axes.utils import reset as axes_reset
from django_otp.oath import TOTP
from playwright.sync_api import expect

from eapcase.accounts.models import Membership, User
from eapcase.audit.models import AuditEvent
from tests.browser.conftest import DEMO_PASSWORD, TEST_NOW, screenshot

pytestmark = pytest.mark.mfa


def _app_code(key: str) -> str:
    """What an authenticator app shows now for the key typed from the set-up page."""
    secret = key.replace(" ", "")
    raw = base64.b32decode(secret + "=" * (-len(secret) % 8))
    totp = TOTP(raw, step=30, t0=0, digits=6)
    totp.time = time.time()
    return f"{totp.token():06d}"


def _new_clinician(browser_server: Any, username: str) -> None:
    """A Partner clinician beside the demo's partner-uk, with no authenticator yet."""
    with browser_server.db():
        partner = Membership.objects.get(user__username="partner-uk").partner
        user = User.objects.create(username=username, first_name="Sam", last_name="Secure")
        user.set_password(DEMO_PASSWORD)
        user.save()
        Membership.objects.create(user=user, role="partner_clinician", partner=partner)


def _password_login(page: Any, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_set_up_with_a_real_totp_then_log_in_with_one(page: Any, browser_server: Any) -> None:
    _new_clinician(browser_server, "sam-secure")
    _password_login(page, "sam-secure")
    expect(page.get_by_role("heading", name="Set up two-step verification")).to_be_visible()
    assert "/accounts/mfa/" in page.url
    expect(page.locator("svg.qr-code")).to_be_visible()
    key = page.locator("#totp-key").inner_text()
    screenshot(page, "mfa-set-up")
    page.get_by_label("Six-digit code from the app").fill(_app_code(key))
    page.get_by_role("button", name="Turn on two-step verification").click()
    expect(page.get_by_role("heading", name=re.compile("your recovery codes"))).to_be_visible()
    codes = page.get_by_role("list", name="Recovery codes").locator("code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="I have kept them: carry on").click()
    expect(page.get_by_role("heading", name=re.compile(r"^My work"))).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    # The next login asks for a code; the app shows a new one a step later.
    with time_machine.travel(TEST_NOW + timedelta(minutes=2), tick=True):
        _password_login(page, "sam-secure")
        expect(page.get_by_role("heading", name="Two-step verification")).to_be_visible()
        screenshot(page, "mfa-verify")
        page.get_by_label("Code").fill("000000")
        page.get_by_role("button", name="Verify").click()
        expect(page.get_by_text("That code did not match")).to_be_visible()
        page.wait_for_timeout(2_500)  # django-otp's pause after a wrong code
        page.get_by_label("Code").fill(_app_code(key))
        page.get_by_role("button", name="Verify").click()
        expect(page.get_by_role("heading", name=re.compile(r"^My work"))).to_be_visible()
    with browser_server.db():
        actions = list(
            AuditEvent.objects.filter(actor__username="sam-secure")
            .order_by("id")
            .values_list("action", flat=True)
        )
    # Every sign-in is audited too (ADR 0035): the password login, then the second factor.
    assert [a for a in actions if a.startswith("mfa.")] == [
        "mfa.enrolled",
        "mfa.failed",
        "mfa.verified",
    ]
    assert "auth.login" in actions


def test_five_wrong_passwords_bring_the_lockout_page(page: Any, browser_server: Any) -> None:
    _new_clinician(browser_server, "sam-locked")
    try:
        for _ in range(5):
            _password_login(page, "sam-locked", "not the password")
        expect(page.get_by_role("heading", name="Login paused")).to_be_visible()
        expect(page.get_by_text("paused for 15 minutes")).to_be_visible()
        screenshot(page, "lockout")
        _password_login(page, "sam-locked")  # the right password, during the lockout
        expect(page.get_by_role("heading", name="Login paused")).to_be_visible()
        with browser_server.db():
            locked = AuditEvent.objects.filter(action="auth.locked_out").count()
        assert locked == 1
    finally:
        # The lockout also covers this address (127.0.0.1): lift it for the other tests.
        with browser_server.db():
            axes_reset()


def test_the_idle_warning_shows_and_stay_logged_in_keeps_the_session(
    page: Any, browser_server: Any, settings: Any
) -> None:
    # Short limits, so that the warning is due at once: 2 minutes idle, warned 2 minutes ahead.
    settings.EAPCASE_SESSION_IDLE_MINUTES = 2
    settings.EAPCASE_SESSION_WARNING_MINUTES = 2
    settings.EAPCASE_REQUIRE_MFA = False
    refused: list[str] = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    _password_login(page, "partner-uk")
    warning = page.get_by_role("alert").filter(has_text="You will be logged out in")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(re.compile(r"logged out in 1:5\d"))
    screenshot(page, "idle-warning")
    with page.expect_response(re.compile("/accounts/session/$")) as answer:
        warning.get_by_role("button", name="Stay logged in").click()
    assert answer.value.status == 200
    assert answer.value.json()["seconds"] == 120
    page.goto("/cases/")
    page.get_by_role("searchbox").first.fill("EAP")  # htmx search under the policy
    page.wait_for_load_state("networkidle")
    assert refused == []
