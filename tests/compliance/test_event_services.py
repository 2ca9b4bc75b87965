"""compliance/event_services.py: the one table from history event type to service."""

from __future__ import annotations

import pytest

from eapcase.api import serializers
from eapcase.compliance import event_services
from eapcase.compliance.event_services import EVENT_DETAILS, EVENT_SERVICES, event_record
from eapcase.core.errors import ServiceError
from eapcase.policy.types import EventType
from eapcase.web.demo import execute
from tests.factories import open_case, utc


def test_every_event_type_of_the_history_format_has_one_service_and_its_details() -> None:
    types = {t.value for t in EventType}
    assert set(EVENT_SERVICES) == types
    assert set(EVENT_DETAILS) == types


def test_import_api_and_demo_share_the_table() -> None:
    # The API's serializer and the demo loader name this module's table, not a copy.
    assert serializers.EVENT_DETAILS is EVENT_DETAILS
    assert execute.event_record is event_record is event_services.event_record


@pytest.mark.django_db
def test_an_unknown_type_is_refused_naming_the_field() -> None:
    case = open_case()
    with pytest.raises(ServiceError) as refused:
        event_record(
            case, {"type": "telepathy", "at": utc(2, 10).isoformat()}, actor=None, now=utc(2, 11)
        )
    assert refused.value.field == "type"
