"""intake/linking.py: the sender's kind, the mailbox's Partner and case references."""

from __future__ import annotations

import pytest

from eapcase.intake.linking import (
    mailbox_partner,
    reference_in_addresses,
    reference_in_subject,
    sender_kind_of,
    without_tag,
)
from tests.factories import PartnerFactory, ProviderFactory
from tests.intake.conftest import World


@pytest.mark.nodb
@pytest.mark.parametrize(
    ("subject", "reference"),
    [
        ("Re: [EAP-10001] My appointment", "EAP-10001"),
        ("Fwd: Re: [ eap-123 ] x", "EAP-123"),
        ("EAP-10001 without brackets", ""),
        ("[EAP-] nothing", ""),
    ],
)
def test_subject_tokens(subject: str, reference: str) -> None:
    assert reference_in_subject(subject) == reference


@pytest.mark.nodb
def test_plus_address_tokens() -> None:
    assert reference_in_addresses(["x@y", "cases+eap-10001@p-uk.example.test"]) == "EAP-10001"
    assert reference_in_addresses(["cases+other@p-uk.example.test"]) == ""
    assert without_tag("Cases+EAP-1@P-UK.example.test") == "cases@p-uk.example.test"


@pytest.mark.django_db
def test_sender_kinds(world: World) -> None:
    ProviderFactory(email="Counsellor@Practice.example.test")
    assert [
        sender_kind_of(a)
        for a in (
            "sam@wpo.example.test",
            "sam@WPO-STAFF.example.test",
            "ALEX.JONES@example.test",
            "counsellor@practice.example.test",
            "someone@elsewhere.example.test",
            "sam@sub.wpo.example.test",
            "not an address",
        )
    ] == ["wpo", "wpo", "participant", "provider", "unknown", "unknown", "unknown"]


@pytest.mark.django_db
def test_the_mailbox_is_the_first_recipient_that_is_a_partners(world: World) -> None:
    other = PartnerFactory(code="p-ie", email="team@p-ie.example.test")
    assert mailbox_partner(["someone@x.example.test", "cases+EAP-1@p-uk.example.test"]) == (
        world.partner
    )
    assert mailbox_partner(["TEAM@p-ie.example.test", "cases@p-uk.example.test"]) == other
    assert mailbox_partner(["nobody@x.example.test"]) is None
    assert mailbox_partner([]) is None
