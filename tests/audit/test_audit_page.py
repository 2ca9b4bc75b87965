"""/audit/ (ADR 0036): WPO only; a WPO clinician sees the rows about case data, a WPO admin the
rows about accounts and the admin, someone with both roles all; filters by user, case, kind and
the viewer's days; paged. And "who opened this case" on the case page, for WPO and the case's
Partner leads only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from eapcase.accounts.choices import Role
from eapcase.audit.services import audit_record
from eapcase.web.audit_views import PER_PAGE
from tests.factories import MembershipFactory, open_case, user_with_role, utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail() -> dict[str, Any]:
    case = open_case()
    other = open_case()
    reader = user_with_role(Role.PARTNER_CLINICIAN, partner=case.partner)
    with transaction.atomic():
        audit_record(
            actor=reader, action="case.read", at=utc(3, 10), case=case, address="192.0.2.1"
        )
        audit_record(actor=reader, action="case.read", at=utc(5, 10), case=other)
        audit_record(actor=reader, action="auth.login", at=utc(3, 9), obj=reader)
        audit_record(actor=None, action="admin.changed", at=utc(4, 9), data={"model": "x"})
    return {"case": case, "other": other, "reader": reader}


def _page(user: Any, query: str = "") -> tuple[int, str]:
    client = Client()
    client.force_login(user)
    response = client.get(f"/audit/{query}")
    return response.status_code, response.content.decode()


@pytest.mark.parametrize(
    "role", [Role.PARTNER_CLINICIAN, Role.PARTNER_LEAD, Role.PARTNER_ADMIN, Role.PROVIDER]
)
def test_anyone_but_wpo_is_refused(trail: dict[str, Any], role: str) -> None:
    assert _page(user_with_role(role))[0] == 403


def test_a_signed_out_visitor_is_sent_to_log_in() -> None:
    response = Client().get("/audit/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_post_is_refused() -> None:
    client = Client()
    client.force_login(user_with_role(Role.WPO_CLINICIAN))
    assert client.post("/audit/").status_code == 405


def test_a_wpo_clinician_sees_case_rows_not_account_rows(trail: dict[str, Any]) -> None:
    status, html = _page(user_with_role(Role.WPO_CLINICIAN))
    assert status == 200
    assert trail["case"].reference in html and trail["other"].reference in html
    assert "192.0.2.1" in html
    assert "auth: login" not in html and "admin: changed" not in html


def test_a_wpo_admin_sees_account_rows_not_case_rows(trail: dict[str, Any]) -> None:
    status, html = _page(user_with_role(Role.WPO_ADMIN))
    assert status == 200
    assert "auth: login" in html and "admin: changed" in html
    assert trail["case"].reference not in html
    assert "case: read" not in html


def test_both_roles_see_everything(trail: dict[str, Any]) -> None:
    user = user_with_role(Role.WPO_ADMIN)
    MembershipFactory(user=user, role=Role.WPO_CLINICIAN)
    html = _page(user)[1]
    assert "auth: login" in html and trail["case"].reference in html


def test_filters_by_case_user_kind_and_day(trail: dict[str, Any]) -> None:
    user = user_with_role(Role.WPO_ADMIN)
    MembershipFactory(user=user, role=Role.WPO_CLINICIAN)
    case, other, reader = trail["case"], trail["other"], trail["reader"]
    html = _page(user, f"?case={case.reference}")[1]
    assert case.reference in html and other.reference not in html
    html = _page(user, f"?user={reader.username}&kind=signins")[1]
    assert "auth: login" in html and "case: read" not in html
    html = _page(user, "?kind=reads")[1]
    assert "case: read" in html and "auth: login" not in html
    html = _page(user, "?date_from=2026-03-05&date_to=2026-03-05")[1]
    assert other.reference in html and case.reference not in html
    status, html = _page(user, "?date_from=2026-03-05&date_to=2026-03-01")
    assert status == 200 and "must not be before the first day" in html


def test_the_list_is_paged(trail: dict[str, Any]) -> None:
    with transaction.atomic():
        for n in range(PER_PAGE + 5):
            audit_record(
                actor=trail["reader"],
                action="case.read",
                at=utc(6, 9) + timedelta(minutes=n),
                case=trail["case"],
            )
    user = user_with_role(Role.WPO_CLINICIAN)
    first = _page(user)[1]
    assert "Page 1 of 2" in first
    second = _page(user, "?page=2")[1]
    assert "Page 2 of 2" in second


def test_who_opened_this_case_is_shown_to_wpo_and_the_partner_lead_only() -> None:
    case = open_case()
    clinician = user_with_role(Role.PARTNER_CLINICIAN, partner=case.partner)
    lead = user_with_role(Role.PARTNER_LEAD, partner=case.partner)
    wpo = user_with_role(Role.WPO_CLINICIAN)
    path = f"/cases/{case.reference}/"
    seen = {}
    for user in (clinician, lead, wpo):
        client = Client()
        client.force_login(user)
        seen[user.username] = client.get(path).content.decode()
    assert "Who opened this case" not in seen[clinician.username]
    lead_page = seen[lead.username]
    assert "Who opened this case" in lead_page
    # The lead's own visit is listed, and the clinician's before it.
    section = lead_page.split("Who opened this case", 1)[1].split("</section>", 1)[0]
    assert clinician.username in section and lead.username in section
    assert wpo.username not in section
    assert "Who opened this case" in seen[wpo.username]
