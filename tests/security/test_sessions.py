"""Session limits, enforced by the server: 15 minutes without a request, 12 hours in all; the
warning script's question does not count as activity; every page carries what the warning
needs, and a static script (no inline code) shows it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.test import Client

from eapcase.accounts.choices import Role
from tests.factories import user_with_role, utc

pytestmark = pytest.mark.django_db

START = utc(2, 9)


def _logged_in() -> Client:
    client = Client()
    client.force_login(user_with_role(Role.PARTNER_CLINICIAN))
    return client


def test_fifteen_minutes_without_a_request_end_the_session() -> None:
    with time_machine.travel(START, tick=False) as clock:
        client = _logged_in()
        clock.shift(timedelta(minutes=14, seconds=59))
        assert client.get("/work/").status_code == 200
        clock.shift(timedelta(minutes=15))
        response = client.get("/work/?scope=mine")
        assert (response.status_code, response["Location"]) == (
            302,
            "/accounts/login/?next=%2Fwork%2F%3Fscope%3Dmine",
        )
        assert [str(m) for m in get_messages(response.wsgi_request)] == [
            "You were logged out after 15 minutes without activity. Log in again to carry on."
        ]
        # The session is gone, not just refused once
        assert client.get("/work/")["Location"] == "/accounts/login/?next=/work/"


def test_twelve_hours_end_the_session_however_busy() -> None:
    with time_machine.travel(START, tick=False) as clock:
        client = _logged_in()
        for _ in range(12 * 6 - 1):
            clock.shift(timedelta(minutes=10))
            assert client.get("/work/").status_code == 200
        clock.shift(timedelta(minutes=10))
        response = client.get("/work/")
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "You were logged out: a session lasts at most 12 hours. Log in again to carry on."
    ]


def test_asking_how_long_is_left_does_not_keep_the_session_alive() -> None:
    with time_machine.travel(START, tick=False) as clock:
        client = _logged_in()
        clock.shift(timedelta(minutes=10))
        status = client.get("/accounts/session/")
        assert status.json() == {
            "seconds": 300,
            "idle_seconds": 300,
            "total_seconds": 12 * 3600 - 600,
            "login": "/accounts/login/",
        }
        clock.shift(timedelta(minutes=5, seconds=1))
        assert client.get("/work/").status_code == 302


def test_stay_logged_in_counts_as_activity() -> None:
    with time_machine.travel(START, tick=False) as clock:
        client = _logged_in()
        clock.shift(timedelta(minutes=14))
        stay = client.post(
            "/accounts/session/", {"next": "/work/"}, headers={"Accept": "application/json"}
        )
        assert stay.json()["seconds"] == 15 * 60
        # without JavaScript the same form goes back to the page
        assert client.post("/accounts/session/", {"next": "/work/"})["Location"] == "/work/"
        clock.shift(timedelta(minutes=14))
        assert client.get("/work/").status_code == 200


def test_the_limits_come_from_the_settings(settings: Any) -> None:
    settings.EAPCASE_SESSION_IDLE_MINUTES = 5
    with time_machine.travel(START, tick=False) as clock:
        client = _logged_in()
        clock.shift(timedelta(minutes=5, seconds=1))
        assert client.get("/work/").status_code == 302


def test_an_api_call_on_an_ended_session_gets_401_in_the_api_shape() -> None:
    with time_machine.travel(START, tick=False) as clock:
        client = _logged_in()
        clock.shift(timedelta(minutes=16))
        response = client.get("/api/v1/cases/")
    assert (response.status_code, response.json()) == (
        401,
        {"errors": [{"field": None, "message": "Your session has ended."}]},
    )


def test_pages_carry_the_warning_and_its_script() -> None:
    with time_machine.travel(START, tick=False):
        body = _logged_in().get("/work/").content.decode()
    assert 'data-session-seconds="900" data-session-warn-seconds="120"' in body
    assert '<script src="/static/security/session.js" defer></script>' in body
    assert (
        'id="session-warning" class="alert alert-warning container-xl mt-2 mb-0" role="alert"'
        in body
    )
    assert '<button type="submit" class="btn btn-warning btn-sm">Stay logged in</button>' in body


def test_the_login_page_has_no_warning() -> None:
    body = Client().get("/accounts/login/").content.decode()
    assert "session.js" not in body
    assert "data-session-seconds" not in body
