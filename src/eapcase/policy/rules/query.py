"""Participants' queries on their case (policy, Policy section): CM-QUERY, which has no
deadline; the time to resolution is a reported measure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from eapcase.policy.events import Event, ParticipantQuery, ParticipantQueryResolved
from eapcase.policy.state import CaseRun, Handler
from eapcase.policy.types import EventType, Rule, Target

RULES: Final = (Rule.QUERY,)
# Enum members bound once: attribute access on an Enum class is slow on Python 3.11.
_RULE_QUERY: Final = Rule.QUERY
_TARGET_PARTICIPANT: Final = Target.PARTICIPANT


def on_query(run: CaseRun, event: Event[ParticipantQuery]) -> None:
    run.open(_RULE_QUERY, event, None, run.packs.at(event.at), target=_TARGET_PARTICIPANT)


def on_resolved(run: CaseRun, event: Event[ParticipantQueryResolved]) -> None:
    run.satisfy_named(_RULE_QUERY, event.fields.query, event)


HANDLERS: Final[Mapping[EventType, Handler]] = {
    EventType.PARTICIPANT_QUERY: on_query,
    EventType.PARTICIPANT_QUERY_RESOLVED: on_resolved,
}
