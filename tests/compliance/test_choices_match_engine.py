"""The database's choice lists hold exactly the values of the history format, as the engine
defines them: a value added on one side only would be stored but refused, or the reverse."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import pytest

from eapcase.cases import choices as cases
from eapcase.cases import choices as compliance
from eapcase.outreach import choices as outreach
from eapcase.policy import types as engine
from eapcase.providers import choices as providers


@pytest.mark.parametrize(
    ("django", "policy"),
    [
        (cases.Referral, engine.Referral),
        (cases.CaseType, engine.CaseType),
        (cases.RiskLevel, engine.RiskLevel),
        (cases.ReviewDecision, engine.ReviewDecision),
        (outreach.Target, engine.Target),
        (outreach.Channel, engine.Channel),
        (outreach.Outcome, engine.Outcome),
        (outreach.MessageLeft, engine.MessageLeft),
        (outreach.Purpose, engine.Purpose),
        (outreach.EmailFrom, engine.EmailFrom),
        (providers.ProviderTopic, engine.ProviderTopic),
        (compliance.EscalationReason, engine.EscalationReason),
        (compliance.ObligationStatus, engine.Status),
        (compliance.Severity, engine.Severity),
    ],
    ids=lambda c: c.__name__,
)
def test_choices_are_the_engines_values(django: Any, policy: type[StrEnum]) -> None:
    assert sorted(django.values) == sorted(member.value for member in policy)


def test_preference_fields_are_the_participant_object_of_the_history() -> None:
    assert sorted(cases.PREFERENCE_FIELDS) == sorted(engine.ParticipantPrefs.__dataclass_fields__)
