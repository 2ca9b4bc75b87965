"""Providers contacting the Partner (policy, Clinical Practice): CM-PROVIDER-RESPONSE, on the
Partner's business calendar."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from eapcase.policy.events import Event, ProviderContact, ProviderResponded
from eapcase.policy.state import CaseRun, Handler
from eapcase.policy.types import EventType, Rule, Target

RULES: Final = (Rule.PROVIDER_RESPONSE,)
# Enum members bound once: attribute access on an Enum class is slow on Python 3.11.
_RULE_PROVIDER_RESPONSE: Final = Rule.PROVIDER_RESPONSE
_TARGET_PROVIDER: Final = Target.PROVIDER


def on_contact(run: CaseRun, event: Event[ProviderContact]) -> None:
    pack = run.packs.at(event.at)
    due, basis = run.business_due(event.at, pack.provider.response_business_days)
    run.open(_RULE_PROVIDER_RESPONSE, event, due, pack, target=_TARGET_PROVIDER, basis=basis)


def on_responded(run: CaseRun, event: Event[ProviderResponded]) -> None:
    run.satisfy_named(_RULE_PROVIDER_RESPONSE, event.fields.contact, event)


HANDLERS: Final[Mapping[EventType, Handler]] = {
    EventType.PROVIDER_CONTACT: on_contact,
    EventType.PROVIDER_RESPONDED: on_responded,
}
