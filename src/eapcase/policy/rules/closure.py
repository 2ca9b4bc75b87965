"""Closing a case (rules.md, "Closure"): every unsatisfied obligation without a deadline is
breached; obligations with a deadline keep their course. Outreach is closed by its family."""

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


HANDLERS: Final[Mapping[EventType, Handler]] = {EventType.CASE_CLOSED: on_closed}
