"""Case facts the rules read rather than judge: the participant's contact preferences and the
risk level, as they stand after each event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from eapcase.policy.events import Event, ParticipantUpdated, RiskSet
from eapcase.policy.state import CaseRun, Handler
from eapcase.policy.types import EventType, Rule

RULES: Final[tuple[Rule, ...]] = ()


def on_participant_updated(run: CaseRun, event: Event[ParticipantUpdated]) -> None:
    run.prefs = event.fields.participant.apply(run.prefs)


def on_risk_set(run: CaseRun, event: Event[RiskSet]) -> None:
    run.risk = event.fields.level


HANDLERS: Final[Mapping[EventType, Handler]] = {
    EventType.PARTICIPANT_UPDATED: on_participant_updated,
    EventType.RISK_SET: on_risk_set,
}
