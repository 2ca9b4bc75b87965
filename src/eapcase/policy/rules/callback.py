"""Clinical call backs (policy, Policy section): CM-CALLBACK, and the outreach a call back
starts, judged under CM-OUTREACH with the call back's id as trigger."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from eapcase.policy.events import CallbackRequested, ContactAttempt, Event
from eapcase.policy.rules.outreach import open_outreach
from eapcase.policy.state import CaseRun, Handler
from eapcase.policy.types import EventType, Rule, Target

RULES: Final = (Rule.CALLBACK,)
# Enum members bound once: attribute access on an Enum class is slow on Python 3.11.
_RULE_CALLBACK: Final = Rule.CALLBACK
_TARGET_PARTICIPANT: Final = Target.PARTICIPANT


def on_callback(run: CaseRun, event: Event[CallbackRequested]) -> None:
    pack = run.packs.at(event.at)
    start = event.at
    not_before = event.fields.not_before
    # A later time the participant asked for moves the clock; an earlier one cannot.
    if not_before is not None and not_before > start:
        start = not_before
    due, basis = run.business_due(start, pack.callback.business_days)
    run.open(_RULE_CALLBACK, event, due, pack, target=_TARGET_PARTICIPANT, basis=basis, wait=True)
    open_outreach(
        run, event, "callback", _TARGET_PARTICIPANT, pack.callback.outreach_attempts, pack
    )


def on_attempt(run: CaseRun, event: Event[ContactAttempt]) -> None:
    # Any attempt to the participant counts, whatever its channel or outcome.
    # Nothing waiting (the usual case once a call back's first attempt is made): no lookup.
    if run.waiting and event.fields.target is _TARGET_PARTICIPANT:
        run.satisfy_waiting(_RULE_CALLBACK, event)


HANDLERS: Final[Mapping[EventType, Handler]] = {
    EventType.CALLBACK_REQUESTED: on_callback,
    EventType.CONTACT_ATTEMPT: on_attempt,
}
