"""The provider portal is a provider's whole view of a case (ADR 0010): their referral, their
sessions, uploads and contacts; not an earlier provider's, and no way into the Partner's case
page, timeline or escalations."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.test import Client

from eapcase.accounts.choices import Role
from eapcase.cases.services import case_refer, escalation_raise, session_record
from tests.factories import (
    PartnerFactory,
    ProviderFactory,
    clinician_of,
    open_case,
    user_with_role,
    utc,
)

pytestmark = pytest.mark.django_db

NOW = utc(4, 12)


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_new_provider_sees_only_their_own_part_of_a_re_referred_case() -> None:
    partner = PartnerFactory()
    first = ProviderFactory(partners=[partner], name="First Practice")
    second = ProviderFactory(partners=[partner], name="Second Practice")
    case = open_case(partner=partner, provider=first)
    clinician = clinician_of(case)
    session_record(actor=clinician, case=case, now=utc(2, 12), provider=first)
    escalation_raise(
        actor=clinician, case=case, reason="other", summary="Unique escalation text", now=utc(2, 13)
    )
    case_refer(actor=clinician, case=case, provider=second, now=utc(3, 9))
    session_record(actor=clinician, case=case, now=utc(3, 12), provider=second)

    client = _client(user_with_role(Role.PROVIDER, provider=second))
    response = client.get(f"/provider/cases/{case.reference}/")
    assert response.status_code == 200
    detail = response.context["detail"]
    assert [s.provider_id for s in detail.sessions] == [second.pk]
    html = response.content.decode()
    assert "Unique escalation text" not in html
    assert f'href="/cases/{case.reference}/' not in html
    assert client.get(f"/cases/{case.reference}/").status_code == 403

    earlier = _client(user_with_role(Role.PROVIDER, provider=first))
    assert earlier.get(f"/provider/cases/{case.reference}/").status_code == 404
