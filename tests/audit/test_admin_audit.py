"""Changes made in the admin are rows of the same audit chain (issue #13 item 4, ADR 0035):
who, which model and object, which fields (never their values), from where."""

from __future__ import annotations

import pytest
from django.test import Client

from eapcase.accounts.choices import Role
from eapcase.accounts.models import Membership
from eapcase.audit.models import AuditEvent
from eapcase.ops.trail import trail_verify
from eapcase.organisations.models import Operator
from tests.factories import OperatorFactory, user_with_role

pytestmark = pytest.mark.django_db


def _admin_rows() -> list[tuple[str, int | None, str, str, dict[str, object], str]]:
    return [
        (r.action, r.actor_id, r.object_type, r.object_id, r.data, r.address)
        for r in AuditEvent.objects.filter(action__startswith="admin.").order_by("id")
    ]


@pytest.fixture
def admin_client() -> tuple[Client, int]:
    user = user_with_role(Role.WPO_ADMIN)
    client = Client(REMOTE_ADDR="192.0.2.80")
    client.force_login(user)
    return client, user.pk


def test_adding_changing_and_deleting_in_the_admin_are_audited(
    admin_client: tuple[Client, int],
) -> None:
    client, admin_id = admin_client
    form = {
        "name": "Operator A",
        "escalation_email": "esc@wpo.example.test",
        "staff_email_domains": "wpo.example.test",
    }
    assert client.post("/admin/organisations/operator/add/", form).status_code == 302
    operator = Operator.objects.get(name="Operator A")
    changed = {**form, "escalation_email": "other@wpo.example.test"}
    url = f"/admin/organisations/operator/{operator.pk}/"
    assert client.post(f"{url}change/", changed).status_code == 302
    assert client.post(f"{url}delete/", {"post": "yes"}).status_code == 302
    model = {"model": "organisations.Operator"}
    pk = str(operator.pk)
    assert _admin_rows() == [
        ("admin.added", admin_id, "Operator", pk, {**model, "fields": []}, "192.0.2.80"),
        (
            "admin.changed",
            admin_id,
            "Operator",
            pk,
            {**model, "fields": ["Escalation email"]},
            "192.0.2.80",
        ),
        ("admin.deleted", admin_id, "Operator", pk, model, "192.0.2.80"),
    ]
    assert trail_verify().intact


def test_a_role_given_through_the_user_page_is_audited(admin_client: tuple[Client, int]) -> None:
    client, admin_id = admin_client
    someone = user_with_role(Role.WPO_CLINICIAN)
    membership = Membership.objects.get(user=someone)
    page = client.get(f"/admin/accounts/user/{someone.pk}/change/")
    assert page.status_code == 200
    form = {
        "username": someone.username,
        "first_name": someone.first_name,
        "last_name": someone.last_name,
        "email": someone.email,
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-03-02",
        "date_joined_1": "09:00:00",
        "memberships-TOTAL_FORMS": "2",
        "memberships-INITIAL_FORMS": "1",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-id": str(membership.pk),
        "memberships-0-user": str(someone.pk),
        "memberships-0-role": Role.WPO_CLINICIAN,
        "memberships-0-active": "on",
        "memberships-1-user": str(someone.pk),
        "memberships-1-role": Role.WPO_ADMIN,
        "memberships-1-active": "on",
    }
    response = client.post(f"/admin/accounts/user/{someone.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Membership.objects.filter(user=someone, role=Role.WPO_ADMIN).exists()
    (row,) = _admin_rows()
    assert (row[0], row[1], row[2], row[3]) == ("admin.changed", admin_id, "User", str(someone.pk))
    assert "added membership" in row[4]["fields"]  # type: ignore[operator]


def test_the_admin_is_refused_to_others_and_nothing_is_audited() -> None:
    client = Client()
    client.force_login(user_with_role(Role.WPO_CLINICIAN))
    operator = OperatorFactory()
    client.post(f"/admin/organisations/operator/{operator.pk}/delete/", {"post": "yes"})
    assert Operator.objects.filter(pk=operator.pk).exists()
    assert _admin_rows() == []
