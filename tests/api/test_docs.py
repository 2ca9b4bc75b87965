"""The integrator's guide at /api/v1/docs/: one guide for every operation of the schema, example
answers with the fields real answers have, and prose without raw backticks or filler."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
import time_machine
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from eapcase.accounts.choices import Role
from eapcase.api import guide
from eapcase.api.docs import inline_code, operations
from eapcase.api.serializers import FindingSerializer
from eapcase.cases.services import escalation_raise
from eapcase.organisations.models import PartnerRoute
from eapcase.outreach.services import callback_request
from tests.api.conftest import client_for
from tests.factories import (
    BenefitFactory,
    ClientOrganisationFactory,
    PartnerClosedDateFactory,
    clinician_of,
    open_case,
    user_with_role,
    utc,
)

pytestmark = pytest.mark.django_db


def _schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-any-return]


def test_every_operation_of_the_schema_has_a_guide_and_every_guide_an_operation() -> None:
    found = operations(_schema())
    assert [op.method + " " + op.path for op in found if op.guide is None] == []
    assert sorted((g.method, g.path) for g in guide.GUIDES) == sorted(
        (op.method, op.path) for op in found
    )


def _same_shape(shown: Any, real: Any, where: str = "") -> list[str]:
    """Where the example differs from the real answer: field names of objects, recursively;
    a list is compared by its first item when both have one."""
    if isinstance(shown, dict) and isinstance(real, dict):
        if set(shown) != set(real):
            return [f"{where or 'answer'}: {sorted(set(shown) ^ set(real))}"]
        return [d for key in shown for d in _same_shape(shown[key], real[key], f"{where}.{key}")]
    if isinstance(shown, list) and isinstance(real, list) and shown and real:
        return _same_shape(shown[0], real[0], f"{where}[0]")
    return []


def _lines_by_type(lines: list[dict[str, Any]]) -> dict[str, set[str]]:
    return {line["type"]: set(line) for line in lines}


def test_each_example_answer_has_the_fields_of_a_real_answer() -> None:
    case = open_case(reference="EAP-50001")
    clinician = clinician_of(case)
    PartnerClosedDateFactory(partner=case.partner)
    callback_request(actor=clinician, case=case, now=utc(2, 9), event_id="cb1")
    escalation = escalation_raise(
        actor=clinician, case=case, reason="risk", summary="Safety plan agreed.", now=utc(2, 9)
    )
    mine = client_for(clinician)
    wpo = client_for(user_with_role(Role.WPO_CLINICIAN))
    # A client organisation with a contract, and the Partner that takes its people from GB.
    BenefitFactory(client=ClientOrganisationFactory(code="alder-bay"), valid_from=date(2025, 1, 1))
    PartnerRoute.objects.create(country="GB", partner=case.partner)
    with time_machine.travel(utc(2, 10, 30), tick=False):
        registered = mine.post(
            "/api/v1/participants/",
            {"full_name": "Valerie Butler", "client": "alder-bay", "country": "GB"},
            format="json",
        )
        new_id = registered.json()["id"]
        real = {
            ("POST", "/api/v1/participants/"): registered,
            ("PATCH", "/api/v1/participants/{id}/"): mine.patch(
                f"/api/v1/participants/{new_id}/",
                {"preferences": {"voicemail_ok": False}, "source": "participant"},
                format="json",
            ),
            ("POST", "/api/v1/cases/"): mine.post(
                "/api/v1/cases/",
                {
                    "participant": new_id,
                    "referral": "self",
                    "case_type": "individual",
                    "callback": True,
                },
                format="json",
            ),
            ("GET", "/api/v1/cases/{reference}/fhir/"): mine.get("/api/v1/cases/EAP-50001/fhir/"),
            ("GET", "/api/v1/cases/"): mine.get("/api/v1/cases/"),
            ("GET", "/api/v1/cases/{reference}/"): mine.get("/api/v1/cases/EAP-50001/"),
            ("GET", "/api/v1/cases/{reference}/events/"): mine.get(
                "/api/v1/cases/EAP-50001/events/"
            ),
            ("POST", "/api/v1/cases/{reference}/events/"): mine.post(
                "/api/v1/cases/EAP-50001/events/",
                {
                    "type": "contact_attempt",
                    "at": utc(2, 10).isoformat(),
                    "target": "participant",
                    "channel": "phone",
                    "outcome": "reached",
                    "message": "none",
                    "summary": "Spoke; booked a first session.",
                },
                format="json",
            ),
            ("POST", "/api/v1/cases/{reference}/sessions/"): mine.post(
                "/api/v1/cases/EAP-50001/sessions/",
                {"modality": "phone", "duration_minutes": 45, "at": utc(2, 10).isoformat()},
                format="json",
            ),
            ("GET", "/api/v1/cases/{reference}/sessions/"): mine.get(
                "/api/v1/cases/EAP-50001/sessions/"
            ),
            ("GET", "/api/v1/participants/"): mine.get("/api/v1/participants/"),
            ("GET", "/api/v1/participants/{id}/"): mine.get(
                f"/api/v1/participants/{case.participant_id}/"
            ),
            ("GET", "/api/v1/obligations/"): mine.get("/api/v1/obligations/"),
            ("GET", "/api/v1/escalations/"): mine.get("/api/v1/escalations/"),
            ("GET", "/api/v1/escalations/{id}/"): mine.get(f"/api/v1/escalations/{escalation.pk}/"),
            ("POST", "/api/v1/escalations/{id}/acknowledge/"): wpo.post(
                f"/api/v1/escalations/{escalation.pk}/acknowledge/",
                {"note": "Spoke to the Partner's lead."},
                format="json",
            ),
        }
    for g in guide.GUIDES:
        answer = real[(g.method, g.path)]
        assert answer.status_code == g.status, (g.method, g.path, answer.json())
        if g.path.endswith("/events/") and g.method == "GET":
            got, shown = _lines_by_type(answer.json()), _lines_by_type(g.answer)
            assert {t: got[t] for t in shown if t in got} == {
                t: keys for t, keys in shown.items() if t in got
            }
            assert {"partner", "case"} <= set(got) & set(shown)
        else:
            assert _same_shape(g.answer, answer.json()) == [], (g.method, g.path)


def test_the_example_finding_has_the_fields_of_a_finding() -> None:
    case_example = next(g for g in guide.GUIDES if g.path == "/api/v1/cases/{reference}/")
    assert set(case_example.answer["findings"][0]) == set(FindingSerializer().fields)


def test_the_page_is_prose_for_integrators() -> None:
    page = Client().get("/api/v1/docs/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "`" not in html
    assert "Answers:" not in html
    assert 'href="#main">Skip to content</a>' in html  # it is one of the site's pages
    for g in guide.GUIDES:
        assert f'id="{g.anchor}"' in html
        assert f'href="#{g.anchor}"' in html
    assert html.count("Example request") == len(guide.GUIDES)
    assert "{&quot;errors&quot;" in html or "&quot;errors&quot;: [" in html
    assert "Idempotency-Key" in html and "Idempotent-Replayed: true" in html
    assert "Authorization: Token" in html
    # No sentence is repeated under every operation.
    sentences = re.findall(r"<p>([^<]{20,})</p>", html)
    assert len(sentences) == len(set(sentences))


def test_inline_code_escapes_and_shows_code_without_backticks() -> None:
    assert inline_code("as `eapcase export --case REF` writes <it>") == (
        "as <code>eapcase export --case REF</code> writes &lt;it&gt;"
    )
