"""The user's notifications: the unread count in the page header, the list, marking read."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from eapcase.accounts.choices import Role
from eapcase.notifications.models import Notification
from tests.factories import PartnerFactory, user_with_role, utc
from tests.notifications.helpers import world

pytestmark = pytest.mark.django_db


def notify(user: Any, case: Any, text: str, minute: int) -> Notification:
    return Notification.objects.create(
        recipient=user,
        case=case,
        key=f"{case.reference}/CM-CALLBACK/E1/reminder",
        level="reminder",
        text=text,
        created_at=utc(2, 10, minute),
    )


@pytest.fixture
def setup() -> Any:
    w = world(opened=utc(2, 9))
    mine = [notify(w.clinician, w.case, f"Reminder {n}", n) for n in range(3)]
    other = notify(w.lead, w.case, "Not yours", 9)
    return w, mine, other


def test_the_header_shows_the_unread_count(client: Client, setup: Any) -> None:
    w, mine, _ = setup
    client.force_login(w.clinician)
    page = client.get("/notifications/")
    assert page.status_code == 200
    assert 'data-unread="3"' in page.content.decode()
    mine[0].read_at = utc(2, 11)
    mine[0].save()
    assert 'data-unread="2"' in client.get("/notifications/").content.decode()


def test_no_badge_number_without_unread_notifications(client: Client, setup: Any) -> None:
    someone = user_with_role(Role.WPO_CLINICIAN)
    client.force_login(someone)
    text = client.get("/notifications/").content.decode()
    assert 'id="notifications-badge"' in text
    assert "data-unread" not in text


def test_the_list_holds_the_users_own_notifications_newest_first(
    client: Client, setup: Any, django_assert_num_queries: Any
) -> None:
    w, _, _ = setup
    client.force_login(w.clinician)
    client.get("/notifications/")  # warm the session
    with django_assert_num_queries(7):
        page = client.get("/notifications/")
    rows = [n.text for n in page.context["page"].object_list]
    assert rows == ["Reminder 2", "Reminder 1", "Reminder 0"]
    for n in range(10):
        notify(w.clinician, w.case, f"More {n}", 20 + n)
    with django_assert_num_queries(7):
        client.get("/notifications/")


def test_mark_read_and_mark_all_read(client: Client, setup: Any) -> None:
    w, mine, other = setup
    client.force_login(w.clinician)
    response = client.post(f"/notifications/{mine[1].pk}/read/")
    assert (response.status_code, response["Location"]) == (302, "/notifications/")
    mine[1].refresh_from_db()
    assert mine[1].read_at is not None
    assert client.post(f"/notifications/{other.pk}/read/").status_code == 404
    assert client.get(f"/notifications/{mine[0].pk}/read/").status_code == 405
    unread = client.get("/notifications/?unread=1").context["page"].object_list
    assert [n.text for n in unread] == ["Reminder 2", "Reminder 0"]
    client.post("/notifications/read-all/")
    assert Notification.objects.filter(recipient=w.clinician, read_at__isnull=True).count() == 0
    assert Notification.objects.filter(recipient=w.lead, read_at__isnull=True).count() == 1


def test_pages_need_a_login(client: Client) -> None:
    assert client.get("/notifications/").status_code == 302


def test_a_notification_without_a_case_shows_the_viewers_partner_clock(client: Client) -> None:
    partner = PartnerFactory(code="p-ny-notes", timezone="America/New_York")
    clinician = user_with_role(Role.PARTNER_CLINICIAN, partner=partner)
    wpo = user_with_role(Role.WPO_CLINICIAN)
    for user in (clinician, wpo):
        Notification.objects.create(
            recipient=user,
            key=f"digest/{user.pk}",
            level="reminder",
            text="Your weekly digest",
            created_at=utc(2, 15, 30),
        )
    client.force_login(clinician)
    text = client.get("/notifications/").content.decode()
    # 15:30 UTC on 2 March is 10:30 in New York (EST).
    assert "Mon 2 Mar 2026 10:30 EST" in text and "15:30 UTC" not in text
    (n,) = Notification.objects.filter(recipient=clinician)
    row = client.post(f"/notifications/{n.pk}/read/", HTTP_HX_REQUEST="true").content.decode()
    assert "10:30 EST" in row
    client.force_login(wpo)  # WPO has no Partner: UTC, and says so
    assert "Mon 2 Mar 2026 15:30 UTC" in client.get("/notifications/").content.decode()
