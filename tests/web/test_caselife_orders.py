"""Risk first: My work (then by due time), WPO's unacknowledged escalations (then the
oldest), and the provider's referral shows the same stored risk."""

from __future__ import annotations

import pytest
from django.test import Client

from eapcase.accounts.choices import Role
from eapcase.cases.services import escalation_raise, risk_set
from eapcase.compliance.selectors import escalation_list_unacknowledged
from eapcase.outreach.services import callback_request
from eapcase.web.selectors import work_queue
from tests.factories import PartnerFactory, ProviderFactory, open_case, user_with_role, utc

pytestmark = pytest.mark.django_db


def test_my_work_puts_risk_cases_first_then_by_due_time() -> None:
    partner = PartnerFactory()
    clinician = user_with_role(Role.PARTNER_CLINICIAN, partner=partner)
    early, late, risky = (
        open_case(partner=partner, actor=clinician, assigned_clinician=clinician) for _ in range(3)
    )
    for case, minute in ((early, 0), (late, 10), (risky, 20)):
        callback_request(actor=clinician, case=case, now=utc(2, 9, minute))
    risk_set(actor=clinician, case=risky, level="medium", now=utc(2, 9, 30), reason="Stated")
    queue = work_queue(user=clinician, now=utc(2, 9, 40))
    # Each case has its call back's obligations; the cases in the order their work comes.
    assert list(dict.fromkeys(i.case.reference for i in queue.items)) == [
        risky.reference,
        early.reference,
        late.reference,
    ]


def test_wpo_sees_risk_escalations_first_then_the_oldest() -> None:
    partner = PartnerFactory()
    clinician = user_with_role(Role.PARTNER_CLINICIAN, partner=partner)
    old, new, risky = (open_case(partner=partner, actor=clinician) for _ in range(3))
    for case, minute in ((old, 0), (new, 10), (risky, 20)):
        escalation_raise(
            actor=clinician, case=case, reason="other", summary="See notes", now=utc(2, 9, minute)
        )
    risk_set(actor=clinician, case=risky, level="high", now=utc(2, 9, 30), reason="Stated")
    rows = escalation_list_unacknowledged(user=user_with_role(Role.WPO_CLINICIAN))
    assert [e.case_id for e in rows] == [risky.pk, old.pk, new.pk]


def test_the_providers_referral_shows_the_stored_risk() -> None:
    partner = PartnerFactory()
    provider = ProviderFactory(partners=[partner])
    case = open_case(partner=partner, provider=provider)
    risk_set(
        actor=user_with_role(Role.PARTNER_LEAD, partner=partner),
        case=case,
        level="high",
        now=utc(2, 9, 30),
        reason="Self-harm disclosed",
    )
    page = Client()
    page.force_login(user_with_role(Role.PROVIDER, provider=provider))
    body = page.get(f"/provider/cases/{case.reference}/").content.decode()
    assert '<dt class="col-sm-3 col-lg-2">Risk</dt>' in body
    assert '<strong class="text-danger">high</strong>' in body
