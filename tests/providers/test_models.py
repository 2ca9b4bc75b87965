"""Database constraints of the provider side: an answered provider contact carries its answer."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from eapcase.providers.models import ProviderContact
from tests.factories import MONDAY, open_case

pytestmark = pytest.mark.django_db


def test_an_answered_provider_contact_has_its_answer() -> None:
    case = open_case()
    with (
        pytest.raises(IntegrityError, match="provider_contact_response_text"),
        transaction.atomic(),
    ):
        ProviderContact.objects.create(
            case=case,
            topic="query",
            text="?",
            received_at=MONDAY,
            responded_at=MONDAY,
            response="",
            event_id="E1",
        )
    ProviderContact.objects.create(
        case=case,
        topic="query",
        text="?",
        received_at=MONDAY,
        responded_at=MONDAY,
        response="Answered",
        event_id="E1",
    )
    assert ProviderContact.objects.filter(case=case).count() == 1
