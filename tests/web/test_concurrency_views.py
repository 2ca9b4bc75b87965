"""Optimistic concurrency on the case pages (ADR 0038): every case action form carries the
version of the case it was opened at; when someone else saved a change in between, the write
is refused with a 409 page saying what changed, nothing is written, and the form can be opened
again on the case as it is now."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client

from eapcase.accounts.choices import Role
from eapcase.cases.models import Case, CaseEvent
from tests.factories import PartnerFactory, db_state, open_case, user_with_role, utc

pytestmark = pytest.mark.django_db
NOW = utc(2, 12)


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def cheap_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def as_user(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def seen_version(client: Client, url: str) -> str:
    """The hidden version the form was opened with, read from the page as a browser would."""
    page = client.get(url)
    assert page.status_code == 200
    found = re.search(r'<input type="hidden" name="version" value="(\d+)"', page.content.decode())
    assert found is not None, "the form carries no version"
    return found.group(1)


@pytest.fixture
def two() -> dict[str, Any]:
    partner = PartnerFactory(name="Partner Ours")
    ana = user_with_role(Role.PARTNER_CLINICIAN, partner=partner, user__first_name="Ana")
    ben = user_with_role(Role.PARTNER_CLINICIAN, partner=partner, user__first_name="Ben")
    case = open_case(partner=partner, assigned_clinician=ana)
    return {"partner": partner, "ana": ana, "ben": ben, "case": case}


def test_risk_up_then_down_the_second_gets_409_and_nothing_is_written(two: Any) -> None:
    url = f"/cases/{two['case'].reference}/risk/"
    ana, ben = as_user(two["ana"]), as_user(two["ben"])
    ana_seen, ben_seen = seen_version(ana, url), seen_version(ben, url)
    assert ana_seen == ben_seen == str(Case.objects.get().version)
    up = ana.post(url, {"level": "high", "reason": "Self-harm disclosed", "version": ana_seen})
    assert up.status_code == 302
    before = db_state()
    down = ben.post(url, {"level": "none", "reason": "Seems fine", "version": ben_seen})
    assert down.status_code == 409
    assert db_state() == before
    assert Case.objects.get().risk_level == "high"
    body = down.content.decode()
    assert "The case changed after you opened the form" in body
    # What changed, in words, by whom, at a time in the Partner's zone with the zone named.
    changes = body[body.index('id="stale-changes"') : body.index('id="stale-now"')]
    assert "Ana Tester: Set the risk to high." in changes
    assert "GMT" in changes
    assert "risk_set" not in body and "CM-" not in body
    # The way back: the form again, filled with what was entered, at the current version.
    retry = down.context["retry_url"]
    assert retry.startswith(url + "?") and "level=none" in retry and "version" not in retry
    again = ben.get(retry)
    assert again.context["form"]["level"].value() == "none"
    fresh = seen_version(ben, retry)
    assert fresh == str(Case.objects.get().version) != ben_seen
    assert (
        ben.post(url, {"level": "none", "reason": "Seems fine", "version": fresh}).status_code
        == 302
    )
    assert Case.objects.get().risk_level == "none"


def test_a_form_refused_for_a_field_keeps_the_version_it_was_opened_at(two: Any) -> None:
    url = f"/cases/{two['case'].reference}/risk/"
    ben = as_user(two["ben"])
    seen = seen_version(ben, url)
    refused = ben.post(url, {"level": "high", "reason": "", "version": seen})
    assert refused.status_code == 200
    assert f'name="version" value="{seen}"' in refused.content.decode()
    # Meanwhile Ana writes; Ben corrects the field and sends: refused, he has not seen it.
    ana = as_user(two["ana"])
    note = {
        "summary": "Called the GP",
        "next_step": "Call back Monday",
        "version": seen_version(ana, url),
    }
    assert ana.post(f"/cases/{two['case'].reference}/note/", note).status_code == 302
    stale = ben.post(url, {"level": "high", "reason": "Disclosed", "version": seen})
    assert stale.status_code == 409
    assert "Ana Tester: Recorded a note." in stale.content.decode()


def test_close_against_a_new_attempt(two: Any) -> None:
    ref = two["case"].reference
    ana, ben = as_user(two["ana"]), as_user(two["ben"])
    ana_seen = seen_version(ana, f"/cases/{ref}/close/")
    ben_seen = seen_version(ben, f"/cases/{ref}/attempt/")
    closed = ana.post(
        f"/cases/{ref}/close/",
        {"outcome": "resolved", "note": "Goals met", "confirm": "Agreed", "version": ana_seen},
    )
    assert closed.status_code == 302
    assert Case.objects.get().status == "closed"
    before = db_state()
    attempt = {
        "target": "participant",
        "channel": "phone",
        "outcome": "not_reached",
        "message": "detailed",
        "summary": "No answer",
        "version": ben_seen,
    }
    refused = ben.post(f"/cases/{ref}/attempt/", attempt)
    assert refused.status_code == 409
    assert db_state() == before
    assert "Closed the case" in refused.content.decode()
    assert not CaseEvent.objects.filter(type="contact_attempt").exists()


def test_the_other_way_round_close_is_refused_after_an_attempt(two: Any) -> None:
    ref = two["case"].reference
    ana, ben = as_user(two["ana"]), as_user(two["ben"])
    ana_seen = seen_version(ana, f"/cases/{ref}/close/")
    ben_seen = seen_version(ben, f"/cases/{ref}/attempt/")
    attempt = {
        "target": "participant",
        "channel": "phone",
        "outcome": "not_reached",
        "message": "detailed",
        "summary": "No answer",
        "version": ben_seen,
    }
    assert ben.post(f"/cases/{ref}/attempt/", attempt).status_code == 302
    before = db_state()
    close = {"outcome": "resolved", "note": "Goals met", "confirm": "Agreed", "version": ana_seen}
    refused = ana.post(f"/cases/{ref}/close/", close)
    assert refused.status_code == 409
    assert db_state() == before
    assert "Ben Tester: Recorded a contact attempt." in refused.content.decode()
    assert Case.objects.get().status == "open"


def test_reassignment_by_two_leads(two: Any) -> None:
    partner = two["partner"]
    case = open_case(partner=partner)  # unallocated
    lead_one = user_with_role(Role.PARTNER_LEAD, partner=partner, user__first_name="Lea")
    lead_two = user_with_role(Role.PARTNER_LEAD, partner=partner, user__first_name="Lou")
    one, other = as_user(lead_one), as_user(lead_two)
    listed = one.get("/work/unallocated/").content.decode()
    seen = re.search(r'name="version" value="(\d+)"', listed)
    assert seen is not None and seen.group(1) == str(case.version)
    url = f"/work/unallocated/{case.reference}/allocate/"
    first = one.post(url, {"clinician": two["ana"].pk, "version": seen.group(1)})
    assert first.status_code == 302
    before = db_state()
    second = other.post(
        url, {"clinician": two["ben"].pk, "reason": "Speaks Welsh", "version": seen.group(1)}
    )
    assert second.status_code == 409
    assert db_state() == before
    body = second.content.decode()
    assert "Lea Tester: Gave the case to Ana Tester." in body
    assert Case.objects.get(pk=case.pk).assigned_clinician == two["ana"]


def test_contact_details_form_carries_the_version(two: Any) -> None:
    url = f"/cases/{two['case'].reference}/participant/"
    ben = as_user(two["ben"])
    seen = seen_version(ben, url)
    assert seen == str(Case.objects.get().version)


def test_a_form_without_a_version_is_not_checked(two: Any) -> None:
    """A post that carries no version (a tab opened before versions existed) writes as
    before: the check protects what a form says it saw, it does not invent a version."""
    url = f"/cases/{two['case'].reference}/note/"
    ana = as_user(two["ana"])
    ana.post(url, {"summary": "First", "next_step": "Call back Monday"})
    assert ana.post(url, {"summary": "Second", "next_step": "Call back Monday"}).status_code == 302
    assert CaseEvent.objects.filter(type="note").count() == 2


def test_every_write_raises_the_version_once(two: Any) -> None:
    case = two["case"]
    start = Case.objects.get().version
    assert start >= 1  # opening the case was a write
    ana = as_user(two["ana"])
    url = f"/cases/{case.reference}/note/"
    ana.post(url, {"summary": "First", "next_step": "Call back Monday", "version": str(start)})
    assert Case.objects.get().version == start + 1
