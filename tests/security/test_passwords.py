"""Password change and reset by an emailed link: Django's views in the site's pages, the link
starting with EAPCASE_BASE_URL, both audited (the reset request only for accounts it reached)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from eapcase.accounts.choices import Role
from eapcase.audit.models import AuditEvent
from tests.factories import PASSWORD, user_with_role

pytestmark = pytest.mark.django_db

LINK = re.compile(r"(https://eapcase\.example\.org)(/accounts/reset/[^/\s]+/[^/\s]+/)")


def test_a_reset_link_is_mailed_and_sets_a_new_password(settings: Any) -> None:
    settings.EAPCASE_BASE_URL = "https://eapcase.example.org"
    user = user_with_role(Role.PARTNER_CLINICIAN)
    client = Client(REMOTE_ADDR="192.0.2.7")
    page = client.get("/accounts/password/reset/").content.decode()
    assert '<label class="form-label" for="id_email">Email</label>' in page
    response = client.post("/accounts/password/reset/", {"email": user.email})
    assert (response.status_code, response["Location"]) == (302, "/accounts/password/reset/done/")
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([user.email], "Reset your eapcase password")
    ]
    found = LINK.search(mail.outbox[0].body)
    assert found is not None
    form = client.get(found.group(2), follow=True)
    assert form.status_code == 200
    assert "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a much better passphrase", "new_password2": "a much better passphrase"},
    )
    assert (done.status_code, done["Location"]) == (302, "/accounts/reset/done/")
    user.refresh_from_db()
    assert user.check_password("a much better passphrase")
    assert list(AuditEvent.objects.order_by("id").values_list("action", "object_id", "data")) == [
        ("auth.password_reset_requested", str(user.pk), {"address": "192.0.2.7"}),
        ("auth.password_reset", str(user.pk), {}),
    ]


def test_an_unknown_address_gets_the_same_page_and_no_mail() -> None:
    response = Client().post("/accounts/password/reset/", {"email": "nobody@example.test"})
    assert (response.status_code, response["Location"]) == (302, "/accounts/password/reset/done/")
    assert mail.outbox == []
    assert not AuditEvent.objects.exists()


def test_the_link_does_not_trust_the_host_header(settings: Any) -> None:
    settings.EAPCASE_BASE_URL = "https://eapcase.example.org"
    settings.ALLOWED_HOSTS = ["*"]
    user = user_with_role(Role.PARTNER_CLINICIAN)
    Client(HTTP_HOST="evil.example").post("/accounts/password/reset/", {"email": user.email})
    assert "evil.example" not in mail.outbox[0].body
    assert LINK.search(mail.outbox[0].body) is not None


def test_a_user_changes_their_password() -> None:
    user = user_with_role(Role.PARTNER_CLINICIAN)
    client = Client()
    client.force_login(user)
    page = client.get("/accounts/password/change/").content.decode()
    assert '<label class="form-label" for="id_old_password">Old password</label>' in page
    response = client.post(
        "/accounts/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "another good passphrase",
            "new_password2": "another good passphrase",
        },
    )
    assert (response.status_code, response["Location"]) == (302, "/accounts/password/change/done/")
    assert client.get("/work/").status_code == 200  # still logged in
    user.refresh_from_db()
    assert user.check_password("another good passphrase")
    row = AuditEvent.objects.exclude(action__in=["auth.login", "auth.logout"]).get()
    assert (row.action, row.actor_id) == ("auth.password_change", user.pk)
