"""The work queue (/work/), each role's home (/) and reassignment by a Partner clinical lead:
access, the queue's order with time frozen, what a row says, filters, refusals, and a fixed
number of SQL queries whatever the number of cases."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.test import Client

from eapcase.accounts.choices import Role
from eapcase.cases.models import Case
from eapcase.cases.services import query_record
from eapcase.outreach.services import (
    attempt_record,
    callback_request,
    email_receive,
    outreach_request,
)
from eapcase.web.selectors import WORK_PER_PAGE
from tests.factories import (
    PartnerFactory,
    audit_of,
    open_case,
    user_with_role,
    utc,
)

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def rows(response: Any) -> list[tuple[str, str]]:
    return [(i.rule, i.case.reference) for i in response.context["queue"].items]


# --- home and access ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "home"),
    [
        (Role.PARTNER_CLINICIAN, "/work/"),
        (Role.PARTNER_LEAD, "/work/"),
        (Role.WPO_CLINICIAN, "/escalations/"),
        (Role.WPO_ADMIN, "/admin/"),  # reference data; no case content (ADR 0010)
        (Role.PROVIDER, "/provider/"),
        (Role.PARTNER_ADMIN, "/cases/"),
    ],
)
def test_home_sends_each_role_to_its_page(role: str, home: str) -> None:
    response = client_for(user_with_role(role)).get("/")
    assert (response.status_code, response["Location"]) == (302, home)


def test_a_user_without_a_role_is_told_so() -> None:
    from tests.factories import UserFactory

    response = client_for(UserFactory()).get("/")
    assert response.status_code == 403
    assert b"Your account has no role yet" in response.content


@pytest.mark.parametrize("path", ["/", "/work/", "/work/?scope=team"])
def test_anonymous_users_are_sent_to_log_in(path: str) -> None:
    response = Client().get(path)
    assert (response.status_code, response["Location"]) == (
        302,
        f"/accounts/login/?next={path.replace('?', '%3F').replace('=', '%3D')}",
    )


def test_anonymous_reassignment_is_sent_to_log_in() -> None:
    response = Client().post(
        "/work/assign/EAP-1/", {"reason": "Caseload balance", "clinician": "1"}
    )
    assert (response.status_code, response["Location"]) == (
        302,
        "/accounts/login/?next=/work/assign/EAP-1/",
    )


@pytest.mark.parametrize("role", [Role.WPO_ADMIN, Role.PROVIDER, Role.PARTNER_ADMIN])
def test_roles_without_a_work_queue_get_403(role: str) -> None:
    assert client_for(user_with_role(role)).get("/work/").status_code == 403


def test_the_login_page_has_labelled_fields() -> None:
    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    assert b'<label class="form-label" for="id_username">Username</label>' in response.content
    assert b'<label class="form-label" for="id_password">Password</label>' in response.content


# --- the queue ---------------------------------------------------------------------------------


@pytest.fixture
def london() -> Any:
    return PartnerFactory(code="p-uk-work", name="Thameside")


@pytest.fixture
def clinician(london: Any) -> Any:
    return user_with_role(Role.PARTNER_CLINICIAN, partner=london)


def _mine(partner: Any, clinician: Any) -> Case:
    return open_case(partner=partner, actor=clinician, assigned_clinician=clinician)


def _queue_cases(partner: Any, clinician: Any) -> tuple[Case, Case]:
    """Case A: a query (09:05), a call back (09:10), an email (09:20) and an urgent email
    (10:00); case B: a call back (09:30). Monday 2 March 2026, London (GMT = UTC)."""
    a, b = _mine(partner, clinician), _mine(partner, clinician)
    query_record(actor=clinician, case=a, text="Asked about sessions", now=utc(2, 9, 5))
    callback_request(actor=clinician, case=a, now=utc(2, 9, 10))
    email_receive(
        actor=clinician, case=a, sender_kind="wpo", needs_contact=False, now=utc(2, 9, 20)
    )
    callback_request(actor=clinician, case=b, now=utc(2, 9, 30))
    email_receive(
        actor=clinician,
        case=a,
        sender_kind="wpo",
        urgent=True,
        needs_contact=False,
        now=utc(2, 10, 0),
    )
    return a, b


def test_the_queue_is_overdue_first_then_by_due_time_urgent_emails_first_then_no_deadline(
    london: Any, clinician: Any
) -> None:
    a, b = _queue_cases(london, clinician)
    with time_machine.travel(utc(3, 10, 30), tick=False):  # Tuesday: everything due is late
        response = client_for(clinician).get("/work/")
    A, B = a.reference, b.reference
    assert rows(response) == [
        ("CM-CALLBACK", A),  # due Tue 09:10, the most late
        ("CM-EMAIL-ACK", A),  # the urgent email (received 10:00) takes the first email place
        ("CM-EMAIL-ACTION", A),
        ("CM-CALLBACK", B),  # due Tue 09:30: keeps its place among the others
        ("CM-EMAIL-ACK", A),  # the earlier, not urgent email (received 09:20, due 09:20)
        ("CM-EMAIL-ACTION", A),
        ("CM-QUERY", A),  # no deadline, oldest first
        ("CM-OUTREACH", A),
        ("CM-OUTREACH", B),
    ]
    items = response.context["queue"].items
    assert [i.urgent for i in items[:6]] == [False, True, True, False, False, False]
    assert [i.countdown for i in items[:6]] == [
        "1 h late",
        "30 min late",
        "30 min late",
        "1 h late",
        "1 h late",
        "1 h late",
    ]
    assert response.context["queue"].overdue == 6
    assert b"6 overdue" in response.content


def test_before_the_deadlines_the_queue_counts_down_in_the_partner_s_time(
    london: Any, clinician: Any
) -> None:
    a, b = _queue_cases(london, clinician)
    with time_machine.travel(utc(3, 6, 10), tick=False):  # Tuesday 06:10, nothing late yet
        response = client_for(clinician).get("/work/")
    items = response.context["queue"].items
    assert [(i.rule, i.case.reference, i.countdown) for i in items[:6]] == [
        ("CM-CALLBACK", a.reference, "in 3 h"),
        ("CM-EMAIL-ACK", a.reference, "in 3 h"),  # urgent first among the emails
        ("CM-EMAIL-ACTION", a.reference, "in 3 h"),
        ("CM-CALLBACK", b.reference, "in 3 h"),
        ("CM-EMAIL-ACK", a.reference, "in 3 h"),
        ("CM-EMAIL-ACTION", a.reference, "in 3 h"),
    ]
    assert items[0].due_local == "Tue 3 Mar 2026 09:10 GMT"
    assert response.context["queue"].overdue == 0
    assert b"0 overdue" in response.content


def test_a_row_says_the_rule_the_reason_and_for_outreach_the_attempts(
    london: Any, clinician: Any
) -> None:
    case = _mine(london, clinician)
    outreach_request(actor=clinician, case=case, purpose="general", now=utc(2, 9, 10))
    attempt_record(
        actor=clinician,
        case=case,
        target="participant",
        channel="phone",
        outcome="not_reached",
        message="detailed",
        summary="Left a voicemail",
        now=utc(2, 9, 40),
    )
    with time_machine.travel(utc(2, 12), tick=False):
        response = client_for(clinician).get("/work/")
    (item,) = response.context["queue"].items
    assert (item.rule, item.title, item.attempts, item.last_attempt) == (
        "CM-OUTREACH",
        "Outreach",
        "1 of 2 attempts made",
        "Mon 2 Mar 2026 09:40 GMT, phone, not reached",
    )
    assert item.reason == "no deadline; 1 of 2 attempts made; open"
    content = response.content.decode()
    reference = f'<span class="ref">{case.reference}</span>'
    assert f'<a href="/cases/{case.reference}/">{reference}</a>' in content
    assert "1 of 2 attempts made; last: Mon 2 Mar 2026 09:40 GMT, phone, not reached" in content


def test_the_filters_narrow_the_rows_and_keep_the_counts(london: Any, clinician: Any) -> None:
    a, b = _queue_cases(london, clinician)
    client = client_for(clinician)
    with time_machine.travel(utc(3, 10, 30), tick=False):
        emails = client.get("/work/", {"family": "email"})
        case_b = client.get("/work/", {"case": b.reference})
    assert rows(emails) == [("CM-EMAIL-ACK", a.reference), ("CM-EMAIL-ACTION", a.reference)] * 2
    assert rows(case_b) == [("CM-CALLBACK", b.reference), ("CM-OUTREACH", b.reference)]
    assert (case_b.context["queue"].overdue, case_b.context["queue"].all_count) == (6, 9)


def test_a_clinician_sees_only_their_own_cases(london: Any, clinician: Any) -> None:
    colleague = user_with_role(Role.PARTNER_CLINICIAN, partner=london)
    theirs = _mine(london, colleague)
    callback_request(actor=colleague, case=theirs, now=utc(2, 9, 10))
    with time_machine.travel(utc(2, 12), tick=False):
        mine = client_for(clinician).get("/work/")
        # The team scope is for leads: a clinician asking for it gets their own list.
        team = client_for(clinician).get("/work/", {"scope": "team"})
    assert rows(mine) == rows(team) == []
    assert team.context["queue"].scope == "mine"


# --- the team and reassignment -----------------------------------------------------------------


@pytest.fixture
def team(london: Any, clinician: Any) -> dict[str, Any]:
    lead = user_with_role(Role.PARTNER_LEAD, partner=london)
    colleague = user_with_role(Role.PARTNER_CLINICIAN, partner=london)
    case = _mine(london, clinician)
    callback_request(actor=clinician, case=case, now=utc(2, 9, 10))
    other_partner = PartnerFactory(code="p-ny-work", timezone="America/New_York")
    stranger = user_with_role(Role.PARTNER_CLINICIAN, partner=other_partner)
    elsewhere = _mine(other_partner, stranger)
    return {
        "lead": lead,
        "colleague": colleague,
        "case": case,
        "stranger": stranger,
        "elsewhere": elsewhere,
    }


def test_a_lead_sees_the_whole_team_with_each_clinician(team: dict[str, Any]) -> None:
    with time_machine.travel(utc(2, 12), tick=False):
        response = client_for(team["lead"]).get("/work/", {"scope": "team"})
    ref = team["case"].reference
    assert rows(response) == [("CM-CALLBACK", ref), ("CM-OUTREACH", ref)]
    assert {i.assignee for i in response.context["queue"].items} == {
        team["case"].assigned_clinician
    }
    assert f'action="/work/assign/{ref}/"' in response.content.decode()
    assert f'<label class="visually-hidden" for="assign-1">Clinician of {ref}</label>' in (
        response.content.decode()
    )


def test_a_lead_reassigns_a_case_to_a_clinician_of_the_partner(team: dict[str, Any]) -> None:
    case, colleague = team["case"], team["colleague"]
    client = client_for(team["lead"])
    response = client.post(
        f"/work/assign/{case.reference}/",
        {
            "reason": "Caseload balance",
            "clinician": colleague.pk,
            "next": "/work/?scope=team&family=callback",
        },
    )
    assert (response.status_code, response["Location"]) == (
        302,
        "/work/?scope=team&family=callback",
    )
    case.refresh_from_db()
    assert case.assigned_clinician == colleague
    assert audit_of(case)[-1][:2] == ("case.assigned", team["lead"].username)
    page = client.get(response["Location"])
    name = colleague.get_full_name()
    assert f"Case {case.reference} is now assigned to {name}." in page.content.decode()


def test_a_foreign_next_is_not_followed(team: dict[str, Any]) -> None:
    response = client_for(team["lead"]).post(
        f"/work/assign/{team['case'].reference}/",
        {
            "reason": "Caseload balance",
            "clinician": team["colleague"].pk,
            "next": "https://evil.example/work/",
        },
    )
    assert response["Location"] == "/work/?scope=team"


def test_reassigning_to_a_clinician_of_another_partner_is_refused(team: dict[str, Any]) -> None:
    case = team["case"]
    before = case.assigned_clinician_id
    response = client_for(team["lead"]).post(
        f"/work/assign/{case.reference}/",
        {"reason": "Caseload balance", "clinician": team["stranger"].pk},
    )
    assert response.status_code == 400
    assert "clinician: choose a clinician of Thameside" in response.content.decode()
    case.refresh_from_db()
    assert case.assigned_clinician_id == before


def test_a_clinician_may_not_reassign(team: dict[str, Any], clinician: Any) -> None:
    response = client_for(clinician).post(
        f"/work/assign/{team['case'].reference}/",
        {"reason": "Caseload balance", "clinician": team["colleague"].pk},
    )
    assert response.status_code == 403


def test_a_lead_cannot_reach_another_partner_s_case(team: dict[str, Any]) -> None:
    response = client_for(team["lead"]).post(
        f"/work/assign/{team['elsewhere'].reference}/",
        {"reason": "Caseload balance", "clinician": team["colleague"].pk},
    )
    assert response.status_code == 404


def test_reassignment_is_a_post(team: dict[str, Any]) -> None:
    response = client_for(team["lead"]).get(f"/work/assign/{team['case'].reference}/")
    assert response.status_code == 405


# --- a fixed number of queries -----------------------------------------------------------------


def _cases(partner: Any, clinician: Any, n: int) -> None:
    for _ in range(n):
        case = _mine(partner, clinician)
        callback_request(actor=clinician, case=case, now=utc(2, 9, 10))
        email_receive(actor=clinician, case=case, sender_kind="participant", now=utc(2, 9, 20))
        outreach_request(actor=clinician, case=case, purpose="general", now=utc(2, 9, 30))


@pytest.mark.parametrize("n", [2, 20])
def test_the_work_queue_runs_a_fixed_number_of_queries(
    n: int, london: Any, clinician: Any, django_assert_num_queries: Any
) -> None:
    lead = user_with_role(Role.PARTNER_LEAD, partner=london)
    _cases(london, clinician, n)
    mine, leads = client_for(clinician), client_for(lead)
    with time_machine.travel(utc(3, 12), tick=False):
        # session, user, memberships, the obligations with everything a row shows, the house
        # targets of the work without a deadline (Partner and client house settings, the
        # Partners' closed dates), and the navigation's count of unread notifications
        with django_assert_num_queries(8):
            response = mine.get("/work/")
        assert response.context["queue"].total == 5 * n
        assert len(response.context["queue"].items) == min(5 * n, WORK_PER_PAGE)
        # ... and the clinicians a case may be given to
        with django_assert_num_queries(9):
            response = leads.get("/work/", {"scope": "team"})
        assert response.context["queue"].total == 5 * n
        assert len(response.context["queue"].items) == min(5 * n, WORK_PER_PAGE)


def _rows(response: Any) -> list[str]:
    return [f"{i.case.reference} {i.obligation.pk}" for i in response.context["queue"].items]


def test_my_work_is_paged_and_sorted_with_its_filters_in_the_url(
    london: Any, clinician: Any
) -> None:
    _cases(london, clinician, 12)  # 60 rows: two pages
    client = client_for(clinician)
    with time_machine.travel(utc(3, 12), tick=False):
        first = client.get("/work/")
        second = client.get("/work/", {"page": 2})
        past_the_end = client.get("/work/", {"page": 9})
        by_case = client.get("/work/", {"sort": "case"})
        by_case_down = client.get("/work/", {"sort": "-case"})
        calls = client.get("/work/", {"family": "callback", "sort": "-case"})
        bogus = client.get("/work/", {"sort": "obligation__reason"})
    assert len(_rows(first)) == WORK_PER_PAGE and len(_rows(second)) == 60 - WORK_PER_PAGE
    assert not set(_rows(first)) & set(_rows(second))
    assert _rows(past_the_end) == _rows(second)
    refs = [r.split()[0] for r in _rows(by_case)]
    assert refs == sorted(refs)
    down = [r.split()[0] for r in _rows(by_case_down)]
    assert down == sorted(down, reverse=True)
    # The filter and the sort together; the pager and the headers keep both in their links.
    call_refs = [r.split()[0] for r in _rows(calls)]
    assert call_refs == sorted(call_refs, reverse=True) and len(call_refs) == 12
    html = first.content.decode()
    assert 'href="?page=2"' in html and "Page 1 of 2" in html
    assert 'aria-sort="none"><a class="sort-link" href="?sort=case"' in html
    filtered = calls.content.decode()
    assert 'href="?family=callback&amp;sort=case"' in filtered  # the header flips the order
    assert '<input type="hidden" name="sort" value="-case">' in filtered  # the form keeps it
    assert _rows(bogus) == _rows(first)  # an unknown sort is the usual order


def test_the_team_view_sorts_by_clinician(london: Any, team: dict[str, Any]) -> None:
    with time_machine.travel(utc(3, 12), tick=False):
        response = client_for(team["lead"]).get("/work/", {"scope": "team", "sort": "clinician"})
    names = [
        (i.assignee is None, (i.assignee.get_full_name() or i.assignee.username).casefold())
        if i.assignee
        else (True, "")
        for i in response.context["queue"].items
    ]
    assert names == sorted(names)
    assert 'href="?scope=team&amp;sort=-clinician"' in response.content.decode()


def test_a_narrow_window_keeps_the_sorts_its_hidden_headers_offer(
    london: Any, clinician: Any
) -> None:
    _cases(london, clinician, 1)
    with time_machine.travel(utc(3, 12), tick=False):
        html = client_for(clinician).get("/work/", {"family": "email", "sort": "-due"}).content
    narrow = html.decode().split('aria-label="Sort the work"', 1)[1].split("</nav>", 1)[0]
    assert 'href="?family=email&amp;sort=due" aria-current="true"' in narrow
    assert 'href="?family=email&amp;sort=case"' in narrow and "clinician" not in narrow
