"""The user's notifications: the unread count in the page header, the list, marking read."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from eapcase.accounts.choices import Role
from eapcase.notifications.models import Notification
from tests.factories import user_with_role, utc
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
