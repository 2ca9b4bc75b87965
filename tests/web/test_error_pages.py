"""The error pages: NotFound and PermissionDenied from any page become one 404 and one 403
(the middleware `web.errors.ServiceErrorPages`), inside the site's layout with the user's
navigation; the 500 page is the layout's static variant and needs no database. The API answers
the same errors with the same statuses in its own JSON shape."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from eapcase.accounts.choices import Role
from eapcase.core.errors import Conflict, NotFound, PermissionDenied, ServiceError
from tests.api.conftest import MISSING_CASE, client_for
from tests.factories import PartnerFactory, open_case, user_with_role

BACK = '<a class="btn btn-primary" href="/">Back to your start page</a>'


@pytest.fixture(autouse=True)
def debug_off(settings: Any) -> None:
    settings.DEBUG = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _page(response: Any) -> str:
    """The page without its per-request CSRF token, without the address the session warning
    returns to (the path asked for, which the user typed) and without the session's seconds
    left (they fall as the clock runs: two requests a second apart differ there), so two
    renderings can be compared."""
    page = re.sub(r'"X-CSRFToken": "[^"]*"', '"X-CSRFToken": ""', response.content.decode())
    page = re.sub(r'data-session-seconds="\d+"', "data-session-seconds", page)
    page = re.sub(r'name="next" value="[^"]*"', 'name="next"', page)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken"', page)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "page", "menu"),
    [
        (Role.PARTNER_CLINICIAN, "cases:detail", '<a class="nav-link" href="/work/">My work</a>'),
        (
            Role.PROVIDER,
            "providers:referral",
            '<a class="nav-link" href="/provider/">My referrals</a>',
        ),
    ],
)
def test_a_case_of_someone_else_gives_the_same_404_page_as_a_missing_one(
    client: Client, role: str, page: str, menu: str
) -> None:
    case = open_case()
    stranger = user_with_role(role, partner=PartnerFactory()) if role != Role.PROVIDER else None
    client.force_login(stranger or user_with_role(role))
    theirs = client.get(reverse(page, kwargs={"ref": case.reference}))
    missing = client.get(reverse(page, kwargs={"ref": "NO-SUCH-CASE"}))
    assert (theirs.status_code, missing.status_code) == (404, 404)
    assert _page(theirs) == _page(missing)
    html = _page(missing)
    assert "<h1" in html and "We could not find that page" in html
    assert BACK in html
    # Inside the layout, with this user's navigation.
    assert menu in html
    assert "Log out" in html
    assert case.reference not in html


@pytest.mark.django_db
def test_a_case_seen_but_not_to_be_acted_on_gives_the_403_page(client: Client) -> None:
    case = open_case()
    # A Partner admin reads the Partner's cases but takes no clinical action on them.
    client.force_login(user_with_role(Role.PARTNER_ADMIN, partner=case.partner))
    response = client.get(reverse("cases:note", kwargs={"ref": case.reference}))
    assert response.status_code == 403
    page = _page(response)
    assert "You cannot do this here" in page
    assert "<p>You may not manage this case.</p>" in page
    assert BACK in page


@pytest.mark.django_db
def test_a_page_for_another_role_gives_the_403_page(client: Client) -> None:
    client.force_login(user_with_role(Role.PARTNER_CLINICIAN, partner=PartnerFactory()))
    response = client.get("/escalations/")
    assert response.status_code == 403
    assert "<p>Escalations are for WPO.</p>" in _page(response)
    assert '<a class="nav-link" href="/work/">My work</a>' in _page(response)


@pytest.mark.django_db
def test_a_notification_of_someone_else_is_a_404_page(client: Client) -> None:
    client.force_login(user_with_role(Role.PARTNER_CLINICIAN, partner=PartnerFactory()))
    response = client.post("/notifications/999999/read/")
    assert response.status_code == 404
    assert "We could not find that page" in _page(response)


@pytest.mark.django_db
@pytest.mark.urls("tests.web.error_urls")
def test_a_fault_gives_the_500_page_in_the_static_layout() -> None:
    client = Client(raise_request_exception=False)
    client.force_login(user_with_role(Role.PARTNER_CLINICIAN, partner=PartnerFactory()))
    response = client.get("/broken/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert BACK in page
    assert '<a class="navbar-brand fw-bold text-primary" href="/">eapcase</a>' in page
    assert '<a class="nav-link" href="/">Start page</a>' in page
    # The static variant: nothing of the user's (their menu, their name) is looked up.
    assert "Log out" not in page
    assert "My work" not in page


def test_the_500_page_renders_without_a_database() -> None:
    # No django_db mark: pytest-django fails any query this rendering would make.
    response = server_error(RequestFactory().get("/cases/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert BACK in page
    assert '<main id="main"' in page


def test_each_refusal_has_one_status_for_the_pages_and_the_api() -> None:
    statuses = [e("x").http_status for e in (ServiceError, NotFound, PermissionDenied, Conflict)]
    assert statuses == [400, 404, 403, 409]


@pytest.mark.django_db
def test_the_api_answers_the_same_refusals_in_its_own_shape_not_with_the_pages() -> None:
    case = open_case()
    api = client_for(user_with_role(Role.PARTNER_CLINICIAN, partner=PartnerFactory()))
    theirs = api.get(f"/api/v1/cases/{case.reference}/")
    missing = api.get("/api/v1/cases/NO-SUCH-CASE/")
    assert (theirs.status_code, missing.status_code) == (404, 404)
    assert theirs.json() == missing.json() == MISSING_CASE
    assert theirs["Content-Type"] == "application/json"
