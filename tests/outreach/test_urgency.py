"""A clinician changes an email's urgency with a reason (ADR 0033): the email row, a change row
and an audit row; the history keeps the urgency the email arrived with; the case page's
timeline shows the change; My work and the reminders read the urgency now."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from eapcase.accounts.choices import Role
from eapcase.core.errors import Conflict, ServiceError
from eapcase.outreach.models import Email, EmailUrgencyChange
from eapcase.outreach.services import email_receive, email_urgency_change
from eapcase.web.selectors import work_queue
from tests.factories import (
    PartnerFactory,
    audit_of,
    clinician_of,
    events_of,
    open_case,
    user_with_role,
    utc,
)

pytestmark = pytest.mark.django_db


def _email(case: Any) -> Email:
    return email_receive(
        actor=clinician_of(case), case=case, sender_kind="wpo", now=utc(2, 10), subject="Hello"
    )


def test_the_urgency_changes_with_a_reason_and_the_history_keeps_the_first() -> None:
    partner = PartnerFactory()
    clinician = user_with_role(Role.PARTNER_CLINICIAN, partner=partner)
    case = open_case(partner=partner, now=utc(2, 9), assigned_clinician=clinician)
    email = _email(case)
    changed = email_urgency_change(
        actor=clinician, email=email, urgent=True, reason="Manager says crisis", now=utc(2, 11)
    )
    assert changed.urgent is True
    assert list(EmailUrgencyChange.objects.values_list("urgent", "reason", "by", "at")) == [
        (True, "Manager says crisis", clinician.pk, utc(2, 11))
    ]
    assert audit_of(case)[-1] == (
        "email.urgency_changed",
        clinician.username,
        "EmailUrgencyChange",
        {"urgent": True, "email": email.event_id},
    )
    assert events_of(case)[-1][5] == {"from": "wpo"}  # as received
    # My work shows the email's urgency now.
    assert {i.rule: i.urgent for i in work_queue(user=clinician, now=utc(2, 12)).items} == {
        "CM-EMAIL-ACK": True,
        "CM-EMAIL-ACTION": True,
    }


def test_a_change_needs_a_reason_and_a_change() -> None:
    case = open_case(now=utc(2, 9))
    email = _email(case)
    with pytest.raises(ServiceError) as no_reason:
        email_urgency_change(
            actor=clinician_of(case), email=email, urgent=True, reason=" ", now=utc(2, 11)
        )
    with pytest.raises(Conflict):
        email_urgency_change(
            actor=clinician_of(case), email=email, urgent=False, reason="x", now=utc(2, 11)
        )
    assert no_reason.value.field == "reason"
    assert not EmailUrgencyChange.objects.exists()


def test_the_page_changes_it_and_the_timeline_says_so(client: Client) -> None:
    case = open_case(now=utc(2, 9))
    email = _email(case)
    client.force_login(clinician_of(case))
    url = f"/cases/{case.reference}/email/{email.pk}/urgency/"
    assert client.get(url).status_code == 200
    empty = client.post(url, {"urgency": "urgent", "reason": ""})
    assert empty.status_code == 200 and "This field is required." in empty.text
    done = client.post(url, {"urgency": "urgent", "reason": "Crisis reported"})
    assert done.status_code == 302
    page = client.get(f"/cases/{case.reference}/")
    assert "Email urgency changed" in page.text and "is now urgent: Crisis reported" in page.text


def test_another_partner_and_a_provider_get_404(client: Client) -> None:
    case = open_case(now=utc(2, 9))
    email = _email(case)
    url = f"/cases/{case.reference}/email/{email.pk}/urgency/"
    for user in (
        user_with_role(Role.PARTNER_CLINICIAN, partner=PartnerFactory()),
        user_with_role(Role.PROVIDER),
    ):
        client.force_login(user)
        assert client.post(url, {"urgency": "urgent", "reason": "x"}).status_code == 404
    assert Email.objects.get().urgent is False
