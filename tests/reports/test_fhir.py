"""FHIR export: every case of the demo as a Bundle (`eapcase export --fhir`) that the R4B
models of fhir.resources accept, with every kind of resource the issue names; and the API's
`/api/v1/cases/<ref>/fhir/` with its access rules."""

from __future__ import annotations

import io
import json
from collections import Counter
from typing import Any

import pytest
from django.core.management import call_command
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from eapcase.accounts.choices import Role
from eapcase.cases.models import Case
from tests.api.conftest import MISSING_CASE, client_for
from tests.factories import PartnerFactory, open_case, user_with_role

pytestmark = pytest.mark.django_db

NOW = "2026-03-10T12:00:00+00:00"


def _validate(bundle: dict[str, Any]) -> Counter[str]:
    Bundle.model_validate(bundle)
    kinds: Counter[str] = Counter()
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        assert entry["fullUrl"].startswith("urn:uuid:")
        kinds[resource["resourceType"]] += 1
    return kinds


def test_every_demo_case_exports_as_a_valid_bundle(settings, tmp_path, monkeypatch) -> None:
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.delenv("EAPCASE_DEMO_PASSWORD", raising=False)
    call_command("demo", "--now", NOW, "--cases", "60", stdout=io.StringIO(), stderr=io.StringIO())
    out = io.StringIO()
    call_command("export", "--fhir", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == Case.objects.count()
    kinds: Counter[str] = Counter()
    for line in lines:
        bundle = json.loads(line)
        case_kinds = _validate(bundle)
        assert case_kinds["Patient"] == case_kinds["EpisodeOfCare"] == case_kinds["Consent"] == 1
        kinds.update(case_kinds)
    assert set(kinds) == {
        "Patient",
        "EpisodeOfCare",
        "Encounter",
        "Task",
        "Communication",
        "Consent",
        "Flag",
        "DocumentReference",
    }
    case = Case.objects.order_by("pk").first()
    assert case is not None
    one = io.StringIO()
    call_command("export", "--fhir", "--case", case.reference, stdout=one)
    bundle = json.loads(one.getvalue())
    assert bundle["identifier"]["value"] == case.reference
    assert sum(1 for e in bundle["entry"] if e["resource"]["resourceType"] == "Task") == (
        case.obligations.count()
    )


def test_the_api_gives_a_case_as_fhir_and_hides_other_partners_cases() -> None:
    partner, other = PartnerFactory(), PartnerFactory()
    case = open_case(partner=partner)
    mine = client_for(user_with_role(Role.PARTNER_CLINICIAN, partner=partner))
    response = mine.get(f"/api/v1/cases/{case.reference}/fhir/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    kinds = _validate(response.json())
    assert kinds["EpisodeOfCare"] == 1
    theirs = client_for(user_with_role(Role.PARTNER_CLINICIAN, partner=other))
    hidden = theirs.get(f"/api/v1/cases/{case.reference}/fhir/")
    assert (hidden.status_code, hidden.json()) == (404, MISSING_CASE)
    missing = theirs.get("/api/v1/cases/NO-SUCH/fhir/")
    assert (missing.status_code, missing.json()) == (404, MISSING_CASE)
    assert client_for(None).get(f"/api/v1/cases/{case.reference}/fhir/").status_code == 401
