"""Notices tell the truth (ADR 0034), through `eapcase worker --once` and a real SMTP server on
loopback: absolute links from EAPCASE_BASE_URL, times on the Partner's clock with the zone
named, what is due and when; a reminder written after its deadline says overdue; My work shows
and orders by the very house target the reminder names; WPO's acknowledgement reaches the
clinician and the case's timeline; marking read updates every count; WPO admins edit the house
settings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from eapcase.accounts.choices import Role
from eapcase.cases.services import escalation_acknowledge, escalation_raise, query_record
from eapcase.notifications.models import ClientHouseSettings, HouseSettings, Notification
from eapcase.outreach.services import email_receive
from eapcase.web.selectors import work_queue
from tests.factories import (
    ClientOrganisationFactory,
    ParticipantFactory,
    open_case,
    user_with_role,
    utc,
)
from tests.notifications.conftest import Inbox
from tests.notifications.helpers import run_worker, world

pytestmark = pytest.mark.django_db


def _body(mail: Any) -> str:
    return str(mail.get_payload(decode=True).decode())


def test_a_reminder_says_what_is_due_and_when_with_an_absolute_link(
    smtp: Inbox, settings: Any
) -> None:
    settings.EAPCASE_BASE_URL = "https://eapcase.example.org"
    w = world(opened=utc(2, 9))
    email_receive(actor=w.clinician, case=w.case, sender_kind="wpo", now=utc(2, 10))
    # 75% of the business time of the 24 hours (8 h of opening): Mon 16:00.
    run_worker(utc(2, 15, 59))
    assert smtp.received == []
    run_worker(utc(2, 16))
    [ack] = [m for _, m in smtp.received if "Acknowledge" in str(m["Subject"])]
    assert " ".join(str(ack["Subject"]).split()) == (
        f"[eapcase] Reminder: Acknowledge the email on case {w.case.reference}, "
        "due Tue 3 Mar 2026 10:00 GMT"
    )
    body = _body(ack)
    assert "It is due by Tue 3 Mar 2026 10:00 GMT." in body
    assert "It was opened by the email of Mon 2 Mar 10:00." in body
    assert f"Open the case: https://eapcase.example.org/cases/{w.case.reference}/" in body
    assert "CM-" not in body and "before the deadline" not in body


def test_a_reminder_written_after_its_deadline_says_overdue(smtp: Inbox) -> None:
    w = world(opened=utc(6, 9))
    # Fri 6 Mar 16:30: due Sat 16:30; the reminder was due Fri 16:52, but the worker was down
    # until Saturday evening, after the deadline (the lead's notice waits for Monday).
    email_receive(actor=w.clinician, case=w.case, sender_kind="participant", now=utc(6, 16, 30))
    run_worker(utc(7, 18))
    [ack] = [m for _, m in smtp.received if "Acknowledge" in str(m["Subject"])]
    assert str(ack["X-Eapcase-Key"]).endswith("/reminder")
    assert str(ack["Subject"]).startswith("[eapcase] Overdue: Acknowledge the email")
    assert "It was due by Sat 7 Mar 2026 16:30 GMT and is overdue." in _body(ack)
    assert "due by Sat 7 Mar 2026 16:30 GMT." not in _body(ack)
    [text] = Notification.objects.filter(
        key__endswith="/reminder", text__contains="Acknowledge"
    ).values_list("text", flat=True)
    assert text.startswith("Overdue: Acknowledge the email on case")


def test_my_work_shows_and_orders_by_the_house_target_the_reminder_names(smtp: Inbox) -> None:
    w = world(opened=utc(2, 9))
    slow = ClientOrganisationFactory()
    ClientHouseSettings.objects.create(client=slow, query_days=5)
    later = open_case(
        actor=w.clinician,
        partner=w.partner,
        participant=ParticipantFactory(),
        assigned_clinician=w.clinician,
        client=slow,
        now=utc(2, 9),
    )
    # The earlier query has the later target (its client's procedure allows 5 days).
    query_record(actor=w.clinician, case=later, text="Slow one", now=utc(2, 10))
    query_record(actor=w.clinician, case=w.case, text="Quick one", now=utc(2, 13))
    queue = work_queue(user=w.clinician, now=utc(3, 9))
    queries = [i for i in queue.items if i.rule == "CM-QUERY"]
    assert [(i.case.reference, i.target_local) for i in queries] == [
        (w.case.reference, "Wed 4 Mar 2026 13:00 GMT"),
        (later.reference, "Mon 9 Mar 2026 10:00 GMT"),
    ]
    client = Client()
    client.force_login(w.clinician)
    assert "house target <time" in client.get("/work/").text
    run_worker(utc(4, 14))
    [past] = [m for _, m in smtp.received if "query" in str(m["Subject"])]
    assert "Its house target was Wed 4 Mar 2026 13:00 GMT, and it is not done yet." in _body(past)


def test_wpo_acknowledgement_reaches_the_clinician_and_the_timeline(smtp: Inbox) -> None:
    w = world(opened=utc(2, 9))
    raised = escalation_raise(
        actor=w.clinician, case=w.case, reason="risk", summary="Risk disclosed.", now=utc(2, 10)
    )
    escalation_acknowledge(
        actor=w.wpo, escalation=raised, note="Calling the manager today.", now=utc(2, 11)
    )
    run_worker(utc(2, 11))
    key = f"{w.case.reference}/WPO-ESCALATION/{raised.event_id}/escalation-answer"
    [(to, mail)] = [(t, m) for t, m in smtp.received if m["X-Eapcase-Key"] == key]
    assert to == [w.clinician.email]
    body = _body(mail)
    assert "(raised Mon 2 Mar 2026 10:00 GMT) on Mon 2 Mar 2026 11:00 GMT" in body
    assert f"http://127.0.0.1:8000/cases/{w.case.reference}/" in body
    assert "Calling the manager" not in body  # the note is read on the case
    assert Notification.objects.filter(key=key, recipient=w.clinician).exists()
    client = Client()
    client.force_login(w.clinician)
    page = client.get(f"/cases/{w.case.reference}/").text
    assert "WPO acknowledged" in page and "Calling the manager today." in page
    # The WPO mail says what is due and when, with the link to the escalations.
    wpo_mail = next(m for _, m in smtp.received if str(m["X-Eapcase-Key"]).endswith("/escalation"))
    assert "not acknowledged by Mon 2 Mar 2026 14:00 GMT, WPO is reminded" in _body(wpo_mail)
    assert "http://127.0.0.1:8000/escalations/" in _body(wpo_mail)


def test_marking_read_sends_every_count_back(client: Client) -> None:
    w = world(opened=utc(2, 9))
    rows = [
        Notification.objects.create(
            recipient=w.clinician, case=w.case, level="reminder", text=f"R{n}", created_at=utc(2, n)
        )
        for n in (10, 11, 12)
    ]
    client.force_login(w.clinician)
    response = client.post(f"/notifications/{rows[0].pk}/read/", headers={"HX-Request": "true"})
    text = response.text
    assert '<span id="unread-count" hx-swap-oob="true">2</span>' in text
    assert 'id="notifications-badge" hx-swap-oob="true"' in text
    assert 'data-unread="2"' in text and "Mark all read (2)" in text
    assert f'id="notification-{rows[0].pk}"' in text


def test_wpo_admins_edit_the_house_settings_and_nobody_else(client: Client) -> None:
    w = world(opened=utc(2, 9))
    admin_user = user_with_role(Role.WPO_ADMIN)
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    assert client.get("/admin/notifications/housesettings/").status_code == 200
    response = client.post(
        "/admin/notifications/housesettings/add/",
        {
            "partner": w.partner.pk,
            "reminder_share": "0.50",
            "review_days": 3,
            "notes_upload_days": 5,
            "notes_review_days": 2,
            "query_days": 1,
            "outreach_spacing_days": 1,
            "escalation_reminder_hours": 2,
        },
    )
    assert response.status_code == 302
    assert HouseSettings.objects.get(partner=w.partner).escalation_reminder_hours == 2
    assert client.get("/admin/notifications/clienthousesettings/add/").status_code == 200
    assert client.get("/admin/notifications/delivery/").status_code == 200
    lead = Client()
    lead.force_login(w.lead)
    assert lead.get("/admin/notifications/housesettings/").status_code == 302  # to the login


def test_the_escalation_reminder_hours_come_from_the_house_settings(smtp: Inbox) -> None:
    w = world(opened=utc(2, 9))
    HouseSettings.objects.create(partner=w.partner, escalation_reminder_hours=2)
    raised = escalation_raise(
        actor=w.clinician, case=w.case, reason="risk", summary="Risk.", now=utc(2, 10)
    )
    run_worker(utc(2, 10) + timedelta(hours=2))
    subjects = smtp.subjects()
    assert any("Unacknowledged escalation" in s for s in subjects)
    first = next(m for _, m in smtp.received if str(m["X-Eapcase-Key"]).endswith("/escalation"))
    assert "not acknowledged by Mon 2 Mar 2026 12:00 GMT" in _body(first)
    assert raised.acknowledged_at is None


def test_each_partner_is_reminded_after_its_own_hours_not_the_shortest(smtp: Inbox) -> None:
    """The sweep leaves out escalations raised more recently than the shortest reminder delay
    of any Partner; each escalation is still reminded at its own Partner's hours, not before."""
    soon, late = world(opened=utc(2, 9)), world(opened=utc(2, 9))
    HouseSettings.objects.create(partner=soon.partner, escalation_reminder_hours=2)
    HouseSettings.objects.create(partner=late.partner, escalation_reminder_hours=6)
    for w in (soon, late):
        escalation_raise(
            actor=w.clinician, case=w.case, reason="risk", summary="Risk.", now=utc(2, 10)
        )

    def reminded() -> set[str]:
        return {
            str(m["X-Eapcase-Key"]).split("/")[0]
            for _, m in smtp.received
            if "Unacknowledged escalation" in str(m["Subject"])
        }

    run_worker(utc(2, 11, 59))
    assert reminded() == set()
    run_worker(utc(2, 12))  # exactly 2 hours: the first Partner's reminder
    assert len(reminded()) == 1
    run_worker(utc(2, 15, 59))
    assert len(reminded()) == 1
    run_worker(utc(2, 16))  # exactly 6 hours: the second's
    assert len(reminded()) == 2


def test_every_notice_template_links_absolutely() -> None:
    from pathlib import Path

    import eapcase.notifications

    folder = Path(eapcase.notifications.__file__).parent / "templates/notifications/email"
    templates = sorted(folder.glob("*.txt"))
    assert [t.name for t in templates] == [
        "escalation.txt",
        "escalation_answered.txt",
        "escalation_reminder.txt",
        "provider_answered.txt",
        "provider_flag.txt",
        "reminder.txt",
    ]
    for template in templates:
        text = template.read_text()
        assert "{{ path|absolute }}" in text, template.name
        assert "/cases/" not in text and "/escalations/" not in text, template.name
