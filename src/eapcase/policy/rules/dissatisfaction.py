"""A dissatisfied participant (policy, Policy section): CM-DISSATISFACTION, satisfied by an
escalation to WPO at or after the dissatisfaction was noted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from eapcase.policy.events import DissatisfactionNoted, EscalatedToWpo, Event
from eapcase.policy.state import CaseRun, Handler
from eapcase.policy.types import EventType, Rule

RULES: Final = (Rule.DISSATISFACTION,)
# Enum members bound once: attribute access on an Enum class is slow on Python 3.11.
_EVENT_TYPE_ESCALATED_TO_WPO: Final = EventType.ESCALATED_TO_WPO
_RULE_DISSATISFACTION: Final = Rule.DISSATISFACTION


def on_noted(run: CaseRun, event: Event[DissatisfactionNoted]) -> None:
    obligation = run.open(_RULE_DISSATISFACTION, event, None, run.packs.at(event.at), wait=True)
    # The application escalates as it records the dissatisfaction: an escalation of the same
    # instant counts even when it was stored first.
    same_instant = list(run.at_instant(_EVENT_TYPE_ESCALATED_TO_WPO, event.at))
    if same_instant:
        obligation.satisfy(same_instant[-1])  # the first of them in line order


def on_escalated(run: CaseRun, event: Event[EscalatedToWpo]) -> None:
    run.satisfy_waiting(_RULE_DISSATISFACTION, event)


HANDLERS: Final[Mapping[EventType, Handler]] = {
    EventType.DISSATISFACTION_NOTED: on_noted,
    EventType.ESCALATED_TO_WPO: on_escalated,
}
