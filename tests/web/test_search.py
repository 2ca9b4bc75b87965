"""Search (/search/?q=, cases.search): cases by reference, participants by name, phone, email and
employee number, on the keys written with the participant, within what the user may see. Runs
on SQLite and, with DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from eapcase.accounts.choices import Role
from eapcase.cases.choices import PreferenceSource
from eapcase.cases.models import Participant
from eapcase.cases.search import (
    matching_participants,
    read_query,
    search_cases,
    search_participants,
)
from eapcase.cases.services import participant_details_update
from tests.factories import (
    OPENED,
    ParticipantFactory,
    PartnerFactory,
    open_case,
    user_with_role,
)

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world() -> dict[str, Any]:
    a, b = PartnerFactory(code="p-a"), PartnerFactory(code="p-b")
    zoe = ParticipantFactory(
        full_name="Zoë Ångström",
        preferred_name="Zo",
        phone="+44 7700 900555",
        email="Zoe.Angstrom@Example.org",
        employee_number="emp-4411",
    )
    other = ParticipantFactory(
        full_name="Bruno Other",
        phone="07700 900777",
        email="bruno@example.org",
        employee_number="EMP-9911",
    )
    return {
        "a": a,
        "b": b,
        "zoe": zoe,
        "other": other,
        "case_a": open_case(partner=a, participant=zoe, reference="EAP-61001"),
        "case_b": open_case(partner=b, participant=other, reference="EAP-62001"),
        "clin_a": user_with_role(Role.PARTNER_CLINICIAN, partner=a),
        "clin_b": user_with_role(Role.PARTNER_CLINICIAN, partner=b),
        "wpo": user_with_role(Role.WPO_CLINICIAN),
    }


def refs(user: Any, query: str) -> list[str]:
    reading = read_query(query)
    return [c.reference for c in search_cases(user, reading, matching_participants(reading))]


def people(user: Any, query: str) -> list[str]:
    found = matching_participants(read_query(query))
    return [p.full_name for p in search_participants(user, found)]


def test_keys_are_written_with_the_participant(world: dict[str, Any]) -> None:
    zoe = Participant.objects.get(pk=world["zoe"].pk)
    assert (zoe.name_key, zoe.phone_digits, zoe.phone_tail) == (
        "zoe angstrom zo",
        "447700900555",
        "700900555",
    )
    assert (zoe.email_key, zoe.employee_key) == ("zoe.angstrom@example.org", "EMP4411")


def test_a_partial_update_through_the_service_rewrites_the_keys(world: dict[str, Any]) -> None:
    participant_details_update(
        actor=world["clin_a"],
        participant=world["zoe"],
        now=OPENED,
        details={"phone": "020 7946 0123", "email": "new@EXAMPLE.org"},
        preferences={},
        source=PreferenceSource.PARTICIPANT,
    )
    zoe = Participant.objects.get(pk=world["zoe"].pk)
    assert (zoe.phone_digits, zoe.email_key) == ("2079460123", "new@example.org")
    assert refs(world["clin_a"], "+44 20 7946 0123") == ["EAP-61001"]


@pytest.mark.parametrize(
    "query",
    [
        "EAP-61001",  # the whole reference
        "eap-610",  # its start, in any case
        "zoë",  # part of the name
        "ANGSTROM",  # without its accent, in capitals
        "zo ang",  # parts of two words
        "+44 7700 900555",  # the phone as stored
        "07700900555",  # the national form with its trunk 0
        "0044 7700 900 555",
        "ZOE.ANGSTROM@example.ORG",  # the email in any case
        "EMP 4411",  # the employee number, spaced
    ],
)
def test_each_kind_of_query_finds_the_case(world: dict[str, Any], query: str) -> None:
    assert refs(world["clin_a"], query) == ["EAP-61001"]
    assert refs(world["wpo"], query) == ["EAP-61001"]


def test_a_national_number_stored_finds_the_international_query(world: dict[str, Any]) -> None:
    assert refs(world["clin_b"], "+44 7700 900777") == ["EAP-62001"]
    assert people(world["wpo"], "+447700900777") == ["Bruno Other"]


def test_participants_are_found_by_name_and_contact(world: dict[str, Any]) -> None:
    assert people(world["clin_a"], "angstrom") == ["Zoë Ångström"]
    assert people(world["wpo"], "example.org") == []  # an email is matched whole
    assert people(world["wpo"], "zoe.angstrom@example.org") == ["Zoë Ångström"]


@pytest.mark.parametrize(
    "query",
    ["EAP-62001", "Bruno", "07700 900777", "+44 7700 900777", "bruno@example.org", "EMP-9911"],
)
def test_a_partner_never_finds_another_partners_case_or_participant(
    world: dict[str, Any], query: str
) -> None:
    assert refs(world["clin_b"], query) == ["EAP-62001"]  # the query does find it...
    assert refs(world["clin_a"], query) == []  # ...but not for the other Partner
    assert people(world["clin_a"], query) == []
    page = client_for(world["clin_a"]).get("/search/", {"q": query})
    assert page.status_code == 200
    # What the page found (the query itself is echoed above it).
    found = page.content.decode().split('id="search-cases"', 1)[1]
    assert "EAP-62001" not in found and "Bruno" not in found
    assert f"/participants/{world['other'].pk}/" not in found


def test_the_page_links_each_result_and_keeps_the_query(world: dict[str, Any]) -> None:
    client = client_for(world["clin_a"])
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/search/", {"q": "angstrom"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="/cases/EAP-61001/"' in html
    assert f'href="/participants/{world["zoe"].pk}/"' in html
    assert 'value="angstrom"' in html
    # The session, the user, their roles, the notifications badge; one query per reading of
    # the query (here a name); then one for each list (its rows and its total together),
    # however many rows match.
    assert len(queries) == 7


def test_a_query_too_short_finds_nothing(world: dict[str, Any]) -> None:
    page = client_for(world["clin_a"]).get("/search/", {"q": "z"})
    assert b"at least 2 characters" in page.content
    assert b"EAP-61001" not in page.content


@pytest.mark.parametrize("role", [Role.WPO_ADMIN, Role.PROVIDER])
def test_providers_and_plain_wpo_admins_have_no_search(world: dict[str, Any], role: str) -> None:
    user = user_with_role(role)
    client = client_for(user)
    assert client.get("/search/", {"q": "EAP-61001"}).status_code == 403
    assert b'id="nav-search-q"' not in client.get("/notifications/").content


def test_the_header_of_a_clinical_page_has_the_search_box(world: dict[str, Any]) -> None:
    page = client_for(world["clin_a"]).get("/cases/")
    assert b'id="nav-search-q"' in page.content and b'action="/search/"' in page.content


def test_case_results_are_paged(world: dict[str, Any]) -> None:
    for n in range(27):
        open_case(partner=world["a"], reference=f"EAP-63{n:03d}")
    client = client_for(world["clin_a"])
    first = client.get("/search/", {"q": "eap-63"}).content.decode()
    assert "27 cases" in first and "Page 1 of 2" in first
    second = client.get("/search/", {"q": "eap-63", "page": 2}).content.decode()
    assert second.count('href="/cases/EAP-63') == 2


def test_a_participant_without_a_case_is_found_by_the_partner_that_registered_them(
    world: dict[str, Any],
) -> None:
    ParticipantFactory(full_name="Reggie Noone", registered_by_partner=world["a"])
    assert people(world["clin_a"], "noone") == ["Reggie Noone"]
    assert people(world["clin_b"], "noone") == []
    assert people(world["wpo"], "noone") == ["Reggie Noone"]


def test_a_query_too_broad_says_so(world: dict[str, Any], monkeypatch: Any) -> None:
    from eapcase.cases import search

    monkeypatch.setattr(search, "MATCH_LIMIT", 1)
    ParticipantFactory(full_name="Zoe Second", registered_by_partner=world["a"])
    assert len(matching_participants(read_query("zoe"))) == 2  # the limit, and one more
    html = client_for(world["clin_a"]).get("/search/", {"q": "zoe"}).content.decode()
    assert "More than 1 participants match" in html
