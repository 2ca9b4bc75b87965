"""WPO's escalations page (/escalations/): access, the order of escalations, acknowledging with
a note (with and without htmx) and its refusals, every Partner's overdue work, the policy
revision banner, and a fixed number of SQL queries whatever the number of cases."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.test import Client

from eapcase.accounts.choices import Role
from eapcase.cases.models import Escalation
from eapcase.cases.services import escalation_acknowledge, escalation_raise
from eapcase.outreach.services import callback_request
from tests.factories import (
    PartnerFactory,
    audit_of,
    clinician_of,
    open_case,
    user_with_role,
    utc,
)

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def wpo() -> Any:
    return user_with_role(Role.WPO_CLINICIAN)


def _escalate(case: Any, at: Any, summary: str = "Risk reported") -> Escalation:
    clinician = case.assigned_clinician or user_with_role(
        Role.PARTNER_CLINICIAN, partner=case.partner
    )
    return escalation_raise(
        actor=clinician, case=case, reason="risk", summary=summary, now=at, at=at
    )


def test_anonymous_users_are_sent_to_log_in() -> None:
    assert Client().get("/escalations/")["Location"] == "/accounts/login/?next=/escalations/"
    response = Client().post("/escalations/1/acknowledge/", {"note": "x"})
    assert response["Location"] == "/accounts/login/?next=/escalations/1/acknowledge/"


@pytest.mark.parametrize(
    "role",
    [Role.PARTNER_CLINICIAN, Role.PARTNER_LEAD, Role.PARTNER_ADMIN, Role.PROVIDER, Role.WPO_ADMIN],
)
def test_the_page_is_for_wpo_clinicians_only(role: str) -> None:
    """A WPO admin manages reference data and reads no escalation (ADR 0010)."""
    assert client_for(user_with_role(role)).get("/escalations/").status_code == 403
    assert client_for(user_with_role(role)).get("/escalations/overdue/p-x/").status_code == 403


def test_a_wpo_admin_cannot_acknowledge() -> None:
    escalation = _escalate(open_case(), utc(2, 10))
    url = f"/escalations/{escalation.pk}/acknowledge/"
    assert client_for(user_with_role(Role.WPO_ADMIN)).post(url, {"note": "x"}).status_code == 404
    escalation.refresh_from_db()
    assert escalation.acknowledged_at is None


def test_waiting_escalations_come_first_longest_waiting_first(wpo: Any) -> None:
    case = open_case()
    first = _escalate(case, utc(2, 10), "first")
    second = _escalate(case, utc(2, 11), "second")
    done = _escalate(case, utc(2, 9, 30), "done")
    escalation_acknowledge(actor=wpo, escalation=done, note="Seen", now=utc(2, 9, 45))
    with time_machine.travel(utc(2, 12), tick=False):
        response = client_for(wpo).get("/escalations/")
    assert [e.pk for e in response.context["waiting"]] == [first.pk, second.pk]
    assert [e.pk for e in response.context["acknowledged"]] == [done.pk]
    content = response.content.decode()
    assert "2 waiting" in content
    assert content.index(">first<") < content.index(">second<") < content.index("Seen")
    assert f'<label class="form-label small mb-1" for="id_ack{first.pk}_note">' in content


def test_wpo_acknowledges_an_escalation_with_a_note(wpo: Any) -> None:
    case = open_case()
    escalation = _escalate(case, utc(2, 10))
    client = client_for(wpo)
    with time_machine.travel(utc(2, 12), tick=False):
        response = client.post(
            f"/escalations/{escalation.pk}/acknowledge/", {"note": " Called the Partner "}
        )
        assert (response.status_code, response["Location"]) == (302, "/escalations/")
        page = client.get("/escalations/")
    escalation.refresh_from_db()
    assert (
        escalation.acknowledged_at,
        escalation.acknowledged_by,
        escalation.acknowledgement_note,
    ) == (utc(2, 12), wpo, "Called the Partner")
    assert audit_of(case)[-1][:2] == ("escalation.acknowledged", wpo.username)
    assert f"Escalation on {case.reference} acknowledged." in page.content.decode()
    assert list(page.context["waiting"]) == []


def test_with_htmx_the_answer_is_the_acknowledged_escalation(wpo: Any) -> None:
    case = open_case()
    escalation = _escalate(case, utc(2, 10))
    with time_machine.travel(utc(2, 12), tick=False):
        response = client_for(wpo).post(
            f"/escalations/{escalation.pk}/acknowledge/",
            {"note": "On it"},
            headers={"HX-Request": "true"},
        )
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith(
        f'<article class="card mb-2 escalation" id="escalation-{escalation.pk}"'
    )
    assert f"Escalation on {case.reference} acknowledged." in content
    assert "Acknowledged" in content and ": On it" in content
    assert "<html" not in content


def test_a_note_is_required(wpo: Any) -> None:
    escalation = _escalate(open_case(), utc(2, 10))
    with time_machine.travel(utc(2, 12), tick=False):
        response = client_for(wpo).post(
            f"/escalations/{escalation.pk}/acknowledge/", {"note": "  "}
        )
        htmx = client_for(wpo).post(
            f"/escalations/{escalation.pk}/acknowledge/",
            {"note": ""},
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 400
    assert "note: say what WPO will do about it" in response.content.decode()
    assert (htmx.status_code, "note: say what WPO will do about it" in htmx.content.decode()) == (
        200,
        True,
    )
    escalation.refresh_from_db()
    assert escalation.acknowledged_at is None


def test_acknowledging_twice_says_it_is_already_done(wpo: Any) -> None:
    case = open_case()
    escalation = _escalate(case, utc(2, 10))
    escalation_acknowledge(actor=wpo, escalation=escalation, note="Seen", now=utc(2, 11))
    client = client_for(wpo)
    with time_machine.travel(utc(2, 12), tick=False):
        response = client.post(f"/escalations/{escalation.pk}/acknowledge/", {"note": "again"})
        page = client.get(response["Location"])
    assert response.status_code == 302
    assert (
        f"Escalation on {case.reference}: this escalation is already acknowledged."
        in page.content.decode()
    )
    escalation.refresh_from_db()
    assert escalation.acknowledgement_note == "Seen"


def test_a_partner_user_may_not_acknowledge_and_a_stranger_cannot_find_it() -> None:
    case = open_case()
    escalation = _escalate(case, utc(2, 10))
    lead = user_with_role(Role.PARTNER_LEAD, partner=case.partner)
    provider = user_with_role(Role.PROVIDER)
    url = f"/escalations/{escalation.pk}/acknowledge/"
    assert client_for(lead).post(url, {"note": "x"}).status_code == 403
    assert client_for(provider).post(url, {"note": "x"}).status_code == 404
    wpo = client_for(user_with_role(Role.WPO_ADMIN))
    assert wpo.post("/escalations/999999/acknowledge/", {"note": "x"}).status_code == 404
    assert wpo.get(url).status_code == 405
    escalation.refresh_from_db()
    assert escalation.acknowledged_at is None


def test_every_partner_s_overdue_work_is_grouped_by_partner(wpo: Any) -> None:
    uk = PartnerFactory(code="p-uk-esc", name="A Thameside")
    ny = PartnerFactory(code="p-ny-esc", name="B Hudson", timezone="America/New_York")
    quiet = PartnerFactory(code="p-au-esc", name="C Harbourside")
    late_uk = open_case(partner=uk)
    callback_request(actor=user_with_role(Role.WPO_CLINICIAN), case=late_uk, now=utc(2, 9, 10))
    late_ny = open_case(partner=ny)
    callback_request(actor=user_with_role(Role.WPO_CLINICIAN), case=late_ny, now=utc(2, 15))
    with time_machine.travel(utc(4, 12), tick=False):
        response = client_for(wpo).get("/escalations/")
    groups = [
        (g.partner.name, [(i.obligation.rule, i.case.reference) for i in g.items])
        for g in response.context["overdue_by_partner"]
        if g.partner in (uk, ny, quiet)
    ]
    assert groups == [
        ("A Thameside", [("CM-CALLBACK", late_uk.reference)]),
        ("B Hudson", [("CM-CALLBACK", late_ny.reference)]),
        ("C Harbourside", []),
    ]
    content = response.content.decode()
    assert "Tue 3 Mar 2026 09:10 GMT" in content  # in London's time
    assert "Tue 3 Mar 2026 10:00 EST" in content  # New York: 1 business day after 10:00 local


def test_the_banner_shows_when_the_policy_is_due_for_revision(wpo: Any) -> None:
    client = client_for(wpo)
    with time_machine.travel(utc(1, 12, month=3, year=2021), tick=False):
        on_the_day = client.get("/escalations/")
    with time_machine.travel(utc(2, 0, 1, month=3, year=2021), tick=False):
        after = client.get("/escalations/")
    banner = "The policy is due for revision."
    assert banner not in on_the_day.content.decode()
    assert banner in after.content.decode()
    assert "was to be revised by\n  1 March 2021" in after.content.decode()


@pytest.mark.parametrize("n", [2, 20])
def test_the_page_runs_a_fixed_number_of_queries(
    n: int, wpo: Any, django_assert_num_queries: Any
) -> None:
    partner = PartnerFactory(code="p-uk-count")
    acknowledger = user_with_role(Role.WPO_CLINICIAN)
    for k in range(n):
        case = open_case(partner=partner)
        callback_request(actor=wpo, case=case, now=utc(2, 9, 10))
        _escalate(case, utc(2, 10))
        done = _escalate(case, utc(2, 10, 30))
        escalation_acknowledge(actor=acknowledger, escalation=done, note=f"n{k}", now=utc(2, 11))
    client = client_for(wpo)
    # session, user, memberships; waiting escalations; acknowledged: a page (not counted);
    # Partners with their overdue counts; their most late obligations; the navigation's count
    # of unread notifications
    with time_machine.travel(utc(4, 12), tick=False), django_assert_num_queries(8):
        response = client.get("/escalations/")
    assert len(response.context["waiting"]) == n
    assert sum(len(g.items) for g in response.context["overdue_by_partner"]) == n


def test_each_partner_shows_its_most_late_work_and_links_to_all_of_it(
    client: Any, wpo: Any
) -> None:
    from eapcase.compliance import selectors

    partner = PartnerFactory()
    references = []
    for hour in (11, 10, 10, 10):
        case = open_case(partner=partner, now=utc(2, 9))
        callback_request(actor=clinician_of(case), case=case, now=utc(2, hour))
        references.append(case.reference)
    with time_machine.travel(utc(9, 12), tick=False):
        groups = selectors.overdue_list_by_partner(user=wpo, now=utc(9, 12), per_partner=2)
        [group] = [g for g in groups if g.partner == partner]
        assert (group.total, len(group.items)) == (4, 2)
        # The most late first; three tie at the cutoff (the same deadline): by case reference.
        assert [i.case.reference for i in group.items] == sorted(references[1:])[:2]
        client.force_login(wpo)
        page = client.get(f"/escalations/overdue/{partner.code}/")
        missing = client.get("/escalations/overdue/no-such-partner/")
    assert page.status_code == 200
    assert page.content.decode().count("/cases/EAP-") == 4
    assert missing.status_code == 404
