"""Completed case notes (policy, Clinical Practice): CM-NOTES-UPLOAD per provider and
intervention, CM-NOTES-REVIEW per upload (rules.md, "Case notes")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from eapcase.policy.events import CaseNotesReviewed, CaseNotesUploaded, Event, InterventionEnded
from eapcase.policy.state import CaseRun, Handler
from eapcase.policy.types import EventType, Rule

RULES: Final = (Rule.NOTES_UPLOAD, Rule.NOTES_REVIEW)
# Enum members bound once: attribute access on an Enum class is slow on Python 3.11.
_EVENT_TYPE_CASE_NOTES_UPLOADED: Final = EventType.CASE_NOTES_UPLOADED
_RULE_NOTES_REVIEW: Final = Rule.NOTES_REVIEW
_RULE_NOTES_UPLOAD: Final = Rule.NOTES_UPLOAD


def on_intervention_ended(run: CaseRun, event: Event[InterventionEnded]) -> None:
    provider = event.fields.provider
    obligation = run.open(
        _RULE_NOTES_UPLOAD, event, None, run.packs.at(event.at), wait=True, key=provider
    )
    # "At or after": an upload of the same instant applied just before counts.
    for upload in run.at_instant(_EVENT_TYPE_CASE_NOTES_UPLOADED, event.at):
        if upload.fields.provider == provider:
            obligation.satisfy(upload)


def on_uploaded(run: CaseRun, event: Event[CaseNotesUploaded]) -> None:
    provider = event.fields.provider
    run.satisfy_waiting(_RULE_NOTES_UPLOAD, event, key=provider)
    run.open(_RULE_NOTES_REVIEW, event, None, run.packs.at(event.at))


def on_reviewed(run: CaseRun, event: Event[CaseNotesReviewed]) -> None:
    run.satisfy_named(_RULE_NOTES_REVIEW, event.fields.notes, event)


HANDLERS: Final[Mapping[EventType, Handler]] = {
    EventType.INTERVENTION_ENDED: on_intervention_ended,
    EventType.CASE_NOTES_UPLOADED: on_uploaded,
    EventType.CASE_NOTES_REVIEWED: on_reviewed,
}
