"""Reads of case data are audited, exactly once per request (issue #13 item 4, ADR 0035):
the case page (and its whole timeline), the handover, the participant page, the API's reads,
the exports; a refused read (404) writes nothing."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client, RequestFactory

from eapcase.accounts.choices import Role
from eapcase.audit.models import AuditEvent
from eapcase.cases.reads import read_record
from eapcase.ops.trail import trail_verify
from tests.api.conftest import client_for
from tests.factories import open_case, user_with_role

pytestmark = pytest.mark.django_db

SIGN_INS = ("auth.login", "auth.logout", "token.issued")


def _reads() -> list[tuple[str, int | None, int | None, str]]:
    return [
        (row.action, row.actor_id, row.case_id, row.address)
        for row in AuditEvent.objects.exclude(action__in=SIGN_INS)
        .exclude(action__startswith="case.opened")
        .filter(id__gt=_reads.since)  # type: ignore[attr-defined]
        .order_by("id")
    ]


@pytest.fixture
def world() -> dict[str, Any]:
    case = open_case()
    clinician = user_with_role(Role.PARTNER_CLINICIAN, partner=case.partner)
    client = Client(REMOTE_ADDR="198.51.100.9")
    client.force_login(clinician)
    _reads.since = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()  # type: ignore[attr-defined]
    return {"case": case, "user": clinician, "client": client}


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ("/cases/{ref}/", "case.read"),
        ("/cases/{ref}/?timeline=all", "case.read"),
        ("/cases/{ref}/handover/", "case.handover_read"),
        ("/cases/{ref}/participant/", "participant.read"),
    ],
)
def test_a_page_of_case_data_is_one_audit_row(
    world: dict[str, Any], path: str, action: str
) -> None:
    case, user = world["case"], world["user"]
    response = world["client"].get(path.format(ref=case.reference))
    assert response.status_code == 200
    assert _reads() == [(action, user.pk, case.pk, "198.51.100.9")]
    assert trail_verify().intact


def test_the_whole_timeline_is_named_in_the_row(world: dict[str, Any]) -> None:
    world["client"].get(f"/cases/{world['case'].reference}/?timeline=all")
    assert AuditEvent.objects.get(action="case.read").data == {"timeline": "all"}


def test_each_request_is_its_own_row(world: dict[str, Any]) -> None:
    for _ in range(3):
        world["client"].get(f"/cases/{world['case'].reference}/")
    assert [a for a, *_ in _reads()] == ["case.read"] * 3


def test_a_case_one_may_not_see_is_a_404_and_no_row(world: dict[str, Any]) -> None:
    other = open_case()
    _reads.since = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()  # type: ignore[attr-defined]
    assert world["client"].get(f"/cases/{other.reference}/").status_code == 404
    assert _reads() == []


def test_a_second_read_in_the_same_request_writes_nothing(world: dict[str, Any]) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.5")
    request.user = world["user"]
    assert read_record(request, action="case.read", case=world["case"]) is True
    assert read_record(request, action="case.handover_read", case=world["case"]) is False
    assert _reads() == [("case.read", world["user"].pk, world["case"].pk, "203.0.113.5")]


@pytest.mark.parametrize(
    ("path", "action", "named_case"),
    [
        ("/api/v1/cases/{ref}/", "api.case_read", True),
        ("/api/v1/cases/{ref}/events/", "api.case_history_read", True),
        ("/api/v1/cases/{ref}/fhir/", "api.case_fhir_read", True),
        ("/api/v1/cases/{ref}/sessions/", "api.case_sessions_read", True),
        ("/api/v1/participants/{participant}/", "api.participant_read", False),
    ],
)
def test_an_api_read_is_one_audit_row(
    world: dict[str, Any], path: str, action: str, named_case: bool
) -> None:
    case, user = world["case"], world["user"]
    api = client_for(user)
    _reads.since = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()  # type: ignore[attr-defined]
    url = path.format(ref=case.reference, participant=case.participant_id)
    assert api.get(url).status_code == 200
    assert _reads() == [(action, user.pk, case.pk if named_case else None, "127.0.0.1")]


def test_an_export_is_one_audit_row(world: dict[str, Any]) -> None:
    case = world["case"]
    call_command("export", case=[case.reference], stdout=StringIO())
    call_command("export_fhir", case=[case.reference], stdout=StringIO())
    rows = AuditEvent.objects.filter(action__startswith="export.").order_by("id")
    assert [(r.action, r.actor_id, r.data) for r in rows] == [
        ("export.history", None, {"cases": [case.reference], "count": 1}),
        ("export.fhir", None, {"cases": [case.reference], "count": 1}),
    ]


def test_the_participant_page_is_one_audit_row(world: dict[str, Any]) -> None:
    case, user = world["case"], world["user"]
    assert world["client"].get(f"/participants/{case.participant_id}/").status_code == 200
    assert _reads() == [("participant.read", user.pk, None, "198.51.100.9")]
    assert AuditEvent.objects.get(action="participant.read").object_id == str(case.participant_id)


PERIOD = "date_from=2026-03-01&date_to=2026-03-31"


@pytest.mark.parametrize(
    ("path", "action"),
    [
        (f"/reports/compliance/csv/?{PERIOD}&by=partner", "report.csv_exported"),
        (
            f"/reports/compliance/cases/?{PERIOD}&rule=CM-CALLBACK&measure=overdue",
            "report.drilldown_read",
        ),
    ],
)
def test_a_report_of_case_data_is_one_audit_row(
    world: dict[str, Any], path: str, action: str
) -> None:
    lead = user_with_role(Role.PARTNER_LEAD, partner=world["case"].partner)
    client = Client(REMOTE_ADDR="198.51.100.7")
    client.force_login(lead)
    _reads.since = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()  # type: ignore[attr-defined]
    assert client.get(path).status_code == 200
    assert _reads() == [(action, lead.pk, None, "198.51.100.7")]


def test_the_client_report_is_one_audit_row(world: dict[str, Any]) -> None:
    wpo = user_with_role(Role.WPO_CLINICIAN)
    client = Client(REMOTE_ADDR="198.51.100.8")
    client.force_login(wpo)
    _reads.since = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()  # type: ignore[attr-defined]
    assert client.get(f"/reports/clients/{world['case'].client_id}/").status_code == 200
    assert _reads() == [("report.client_read", wpo.pk, None, "198.51.100.8")]


@pytest.mark.parametrize("path", ["/api/v1/cases/", "/api/v1/obligations/", "/api/v1/escalations/"])
def test_an_api_list_is_one_audit_row_naming_its_cases(world: dict[str, Any], path: str) -> None:
    case, user = world["case"], world["user"]
    api = client_for(user)
    _reads.since = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()  # type: ignore[attr-defined]
    response = api.get(path)
    assert response.status_code == 200
    assert _reads() == [("api.list_read", user.pk, None, "127.0.0.1")]
    row = AuditEvent.objects.get(action="api.list_read")
    assert row.data["path"] == path
    assert row.data["count"] == len(response.json()["results"])
    if path == "/api/v1/cases/":
        assert row.data["cases"] == [case.reference]
