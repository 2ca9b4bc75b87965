"""A provider's risk or goal-slip flag tells the case's clinician and the Partner's clinical
lead at once, whatever the hour: one keyed delivery, in the app and by mail (real SMTP on
loopback); a query does not, nor does an imported flag."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from eapcase.accounts.choices import Role
from eapcase.cases.services import case_refer
from eapcase.notifications.models import Delivery, Notification
from eapcase.providers.services import provider_contact_record
from tests.factories import ProviderFactory, user_with_role, utc
from tests.notifications.conftest import Inbox
from tests.notifications.helpers import run_worker, world

pytestmark = pytest.mark.django_db


def _referred(opened: Any) -> tuple[Any, Any]:
    w = world(opened=opened)
    provider = ProviderFactory(partners=[w.partner])
    case_refer(actor=w.lead, case=w.case, provider=provider, now=opened)
    return w, user_with_role(Role.PROVIDER, provider=provider)


@pytest.mark.parametrize("topic", ["risk", "goal_slip"])
def test_a_flag_on_a_saturday_night_reaches_the_clinician_and_the_lead_at_once(
    smtp: Inbox, django_capture_on_commit_callbacks: Callable[..., Any], topic: str
) -> None:
    w, provider_user = _referred(utc(2, 9))
    saturday_night = utc(7, 23, 30)
    with django_capture_on_commit_callbacks(execute=True):
        contact = provider_contact_record(
            actor=provider_user, case=w.case, topic=topic, text="Hopeless", now=saturday_night
        )
    key = f"{w.case.reference}/PROVIDER-FLAG/{contact.event_id}/provider-flag"
    delivery = Delivery.objects.get(key=key)
    assert (delivery.urgent, delivery.due_at, sorted(delivery.recipients)) == (
        True,
        saturday_night,
        sorted([w.clinician.email, w.lead.email]),
    )
    assert sorted(
        Notification.objects.filter(key=key).values_list("recipient__username", flat=True)
    ) == sorted([w.clinician.username, w.lead.username])
    with django_capture_on_commit_callbacks(execute=True):
        run_worker(saturday_night)
    assert [k for k in smtp.key_headers() if "PROVIDER-FLAG" in k] == [key]
    assert "a case you manage" in smtp.received[-1][1].get_payload()
    assert "Hopeless" not in smtp.received[-1][1].get_payload()  # no clinical detail by mail


def test_a_query_and_an_imported_flag_notify_nobody() -> None:
    w, provider_user = _referred(utc(2, 9))
    provider_contact_record(
        actor=provider_user, case=w.case, topic="query", text="Room?", now=utc(2, 10)
    )
    provider_contact_record(
        actor=provider_user, case=w.case, topic="risk", text="", now=utc(2, 11), historical=True
    )
    assert not Delivery.objects.filter(rule="PROVIDER-FLAG").exists()
