"""Closing and reopening a case (rules.md, "Closure"): closing breaches every unsatisfied
obligation without a deadline (obligations with a deadline keep their course); reopening
changes no obligation or finding, it only makes the case open again, so that a later closure
breaches what is unsatisfied then. Outreach is closed by its family."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from eapcase.policy.events import Event
from eapcase.policy.state import CaseRun, Handler
from eapcase.policy.types import EventType, Rule

RULES: Final[tuple[Rule, ...]] = ()


def on_closed(run: CaseRun, event: Event[Any]) -> None:
    run.closed_at = event.at
    for obligation in run.obligations:
        if obligation.due_at is None:
            obligation.breach(event)


def on_reopened(run: CaseRun, event: Event[Any]) -> None:
    # What the closure breached stays breached (breach is final) and the outreach it closed
    # stays closed: only the case's standing changes.
    run.closed_at = None
    run.reopened_at = event.at


HANDLERS: Final[Mapping[EventType, Handler]] = {
    EventType.CASE_CLOSED: on_closed,
    EventType.CASE_REOPENED: on_reopened,
}
