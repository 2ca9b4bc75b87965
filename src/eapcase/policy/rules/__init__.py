"""The rule families (one module each) and the dispatch table that routes every event type to
their handlers, in a fixed order."""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Final

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
from eapcase.policy.state import Handler
from eapcase.policy.types import EventType, Rule

__all__ = ["FAMILIES", "dispatch_table", "rules_implemented"]

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


def rules_implemented() -> tuple[Rule, ...]:
    """The rule ids the families declare, in family order."""
    found: list[Rule] = []
    for family in FAMILIES:
        found.extend(family.RULES)
    return tuple(found)
