"""The rule families (one module each) and the dispatch table that routes every event type to
their handlers, in a fixed order."""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any, Final

from eapcase.policy.events import Event
from eapcase.policy.rules import (
    callback,
    case,
    closure,
    dissatisfaction,
    email,
    messages,
    notes,
    outreach,
    provider,
    query,
    review,
)
from eapcase.policy.state import CaseRun, Handler
from eapcase.policy.types import EventType, Rule

__all__ = ["FAMILIES", "composed_handlers", "dispatch_table", "rules_implemented"]

#: Families in the order their handlers run for one event. `case` comes first so that every
#: rule sees the preferences and risk the event sets; `closure` comes last so that it breaches
#: what the others left unsatisfied.
FAMILIES: Final[tuple[ModuleType, ...]] = (
    case,
    callback,
    outreach,
    email,
    dissatisfaction,
    review,
    provider,
    notes,
    query,
    messages,
    closure,
)


def dispatch_table() -> dict[EventType, tuple[Handler, ...]]:
    """Every event type with the handlers of all families, in family order."""
    table: dict[EventType, list[Handler]] = {kind: [] for kind in EventType}
    for family in FAMILIES:
        handlers: Mapping[EventType, Handler] = family.HANDLERS
        for kind, handler in handlers.items():
            table[kind].append(handler)
    return {kind: tuple(handlers) for kind, handlers in table.items()}


def composed_handlers() -> dict[EventType, Handler]:
    """Every event type with one handler that runs the families' handlers in family order:
    composed once, so that the replay makes one call per event instead of looping over a
    tuple (most types have one handler; a contact attempt has four)."""
    return {kind: _chain(handlers) for kind, handlers in dispatch_table().items()}


def _chain(handlers: tuple[Handler, ...]) -> Handler:
    if len(handlers) == 1:
        return handlers[0]
    if len(handlers) == 2:
        first, second = handlers

        def both(run: CaseRun, event: Event[Any]) -> None:
            first(run, event)
            second(run, event)

        return both
    if len(handlers) == 4:
        first, second, third, fourth = handlers

        def four(run: CaseRun, event: Event[Any]) -> None:
            first(run, event)
            second(run, event)
            third(run, event)
            fourth(run, event)

        return four

    def each(run: CaseRun, event: Event[Any]) -> None:
        for handler in handlers:
            handler(run, event)

    return each


def rules_implemented() -> tuple[Rule, ...]:
    """The rule ids the families declare, in family order."""
    found: list[Rule] = []
    for family in FAMILIES:
        found.extend(family.RULES)
    return tuple(found)
