"""The OpenAPI schema: generated without warnings, and the API answers no request made from it
with a server error (schemathesis, bounded)."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import time_machine
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings

from eapcase.accounts.choices import Role
from eapcase.cases.services import case_refer, escalation_raise
from eapcase.config.wsgi import application
from eapcase.outreach.services import callback_request
from eapcase.security.services import token_issue
from tests.factories import (
    PartnerFactory,
    ProviderFactory,
    clinician_of,
    open_case,
    user_with_role,
    utc,
)

pytestmark = pytest.mark.django_db

# Bounded for CI; EAPCASE_SCHEMATHESIS_EXAMPLES=500 digs deeper by hand.
EXAMPLES = int(os.environ.get("EAPCASE_SCHEMATHESIS_EXAMPLES", "15"))


def test_schema_generates_and_validates_without_warnings() -> None:
    out = io.StringIO()
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out
    )
    assert '"openapi": "3.0.3"' in out.getvalue()


def test_schema_and_docs_are_served_without_a_cdn(client: Any) -> None:
    schema = client.get("/api/v1/schema/")
    docs = client.get("/api/v1/docs/")
    assert schema.status_code == 200
    assert "/api/v1/cases/{reference}/events/" in schema.json()["paths"]
    assert docs.status_code == 200
    assert b"/api/v1/cases/{reference}/events/" in docs.content
    assert b"cdn" not in docs.content.lower()
    # Nothing is loaded from elsewhere (examples may show identifiers that are URIs).
    assert not re.search(rb'(?:src|href)="(?:https?:)?//', docs.content)


@pytest.fixture
def world() -> dict[str, Any]:
    """A Partner clinician with a little of everything on their cases."""
    partner = PartnerFactory()
    provider = ProviderFactory(partners=[partner])
    case = open_case(partner=partner, reference="EAP-40001")
    actor = clinician_of(case)
    case_refer(actor=actor, case=case, provider=provider, now=utc(2, 9, 30))
    callback_request(actor=actor, case=case, now=utc(2, 9, 30), event_id="cb1")
    escalation = escalation_raise(
        actor=actor, case=case, reason="other", summary="FYI", now=utc(2, 9, 40)
    )
    open_case(reference="EAP-40002")  # another Partner's
    user_with_role(Role.WPO_ADMIN)
    return {
        "token": token_issue(user=actor, name="schemathesis", read_only=False, at=utc(2, 9))[1],
        # The path parameters of generated requests name these, so that they reach the views.
        "/api/v1/cases/": {"reference": case.reference},
        "/api/v1/participants/": {"id": case.participant_id},
        "/api/v1/escalations/": {"id": escalation.pk},
    }


def _operations() -> list[Any]:
    return [result.ok() for result in _schema().get_all_operations()]


def _schema() -> Any:
    return schemathesis.openapi.from_wsgi("/api/v1/schema/", application)


def _known(world: dict[str, Any], case: Any) -> Any:
    prefix = "/".join(case.operation.path.split("/")[:4]) + "/"
    case.path_parameters = {**(case.path_parameters or {}), **world.get(prefix, {})}
    return case


@pytest.fixture
def keep_test_connection() -> Iterator[None]:
    """The WSGI app is called directly (not through Django's test client), so keep Django from
    closing the test's database connection at the start and end of each request, as the test
    client does (it matters on PostgreSQL)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("keep_test_connection")
def test_schemathesis_finds_no_server_error(world: dict[str, Any]) -> None:
    """Every operation, a handful of generated requests each (valid and invalid), with a
    Partner clinician's token on their case: no answer is a 5xx."""
    headers = {"Authorization": f"Token {world['token']}"}
    statuses: list[int] = []
    with time_machine.travel(utc(2, 12), tick=False):
        for operation in _operations():

            @given(case=operation.as_strategy().map(lambda c: _known(world, c)))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case: Any) -> None:
                response = case.call_and_validate(
                    headers=headers, checks=[schemathesis.checks.not_a_server_error]
                )
                statuses.append(response.status_code)

            check()
    # The token worked: the generated requests reached the views.
    assert {200, 400} <= set(statuses)
