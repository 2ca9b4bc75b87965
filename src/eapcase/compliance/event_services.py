"""The one table from a history event type to the service that records it.

`eapcase import` (as it happened), the API's event POST (judged like a page's write) and the
demo loader (as it happened, with the texts a clinician would have typed) all write events
through `event_record`, so the three can never map an event differently."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from eapcase.cases import services as case_services
from eapcase.cases.choices import PreferenceSource
from eapcase.cases.models import Case, ParticipantQuery
from eapcase.cases.record import Actor, historical_row, historical_row_keep, in_historical_batch
from eapcase.core.errors import ServiceError
from eapcase.outreach import services as outreach_services
from eapcase.outreach.models import Email, OutreachRequest
from eapcase.policy import events
from eapcase.providers import services as provider_services
from eapcase.providers.models import CaseNotesUpload, ProviderContact


@dataclass(frozen=True)
class EventWrite:
    """One event to record: the history line (`line`: type, at, optional id, the type's fields),
    the case, who and when, and the inputs a service takes beyond the history format
    (`details`: free texts, a file; see EVENT_DETAILS)."""

    case: Case
    line: Mapping[str, Any]
    actor: Actor
    now: datetime
    historical: bool
    confirm: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def common(self) -> dict[str, Any]:
        """The arguments every event service takes."""
        return {
            "actor": self.actor,
            "now": self.now,
            "at": events.parse_instant(self.line["at"]),
            "historical": self.historical,
            "event_id": self.line.get("id"),
        }

    @property
    def with_confirm(self) -> dict[str, Any]:
        return {**self.common, "confirm": self.confirm}

    def text(self, name: str, imported: str = "") -> str:
        """A detail's text; an imported history has none, so it gets `imported` instead."""
        return str(self.details.get(name) or (imported if self.historical else ""))

    def named(self, model: Any, name: str) -> Any:
        """The row an event names by its event id (`email`, `outreach`, `query`...); in an
        import, the one the batch wrote earlier in the case when it did (not read again)."""
        row = historical_row(self.case, model, self.line.get(name))
        if row is not None:
            return row
        row = model.objects.filter(case=self.case, event_id=self.line.get(name)).first()
        if row is None:
            raise ServiceError(
                f"no event {self.line.get(name)} of the right type in this case", field=name
            )
        row.case = self.case  # the services write through the row's case: not read again
        return row

    def instant(self, name: str) -> datetime | None:
        value = self.line.get(name)
        return events.parse_instant(value) if value is not None else None


def _participant_updated(w: EventWrite) -> Any:
    # As it happened (import, demo): only this case's history changes; the participant's other
    # cases are other histories. Live: every open case of the participant.
    default = PreferenceSource.IMPORT if w.historical else PreferenceSource.PARTNER
    case_services.participant_preferences_update(
        participant=w.case.participant,
        changes=w.line["participant"],
        source=str(w.details.get("source") or default),
        case=w.case if w.historical else None,
        **w.common,
    )
    return w.case.participant


def _contact_attempt(w: EventWrite) -> Any:
    attempt = {
        "target": w.line.get("target", "participant"),
        "channel": w.line["channel"],
        "outcome": w.line["outcome"],
        "message": w.line.get("message", "none"),
        "summary": w.line.get("summary", ""),
    }
    if w.details.get("send_email") and not w.historical:
        common = w.with_confirm
        del common["historical"]
        return outreach_services.detailed_email_send(case=w.case, **attempt, **common)
    return outreach_services.attempt_record(case=w.case, **attempt, **w.with_confirm)


def _email_received(w: EventWrite) -> Any:
    return outreach_services.email_receive(
        case=w.case,
        sender_kind=w.line["from"],
        urgent=bool(w.line.get("urgent", False)),
        needs_contact=bool(w.line.get("needs_contact", True)),
        subject=w.text("subject"),
        body=w.text("body"),
        from_address=w.text("from_address"),
        message_id=w.text("message_id"),
        **w.common,
    )


def _dissatisfaction_noted(w: EventWrite) -> Any:
    # An imported history carries its own escalated_to_wpo line; a live write (and the demo,
    # which says so in `details`) escalates in the same write.
    escalate = bool(w.details.get("escalate", not w.historical))
    return case_services.dissatisfaction_record(
        case=w.case,
        aspect=w.text("aspect"),
        description=w.text("description"),
        escalate=escalate,
        **w.common,
    )


def _review_completed(w: EventWrite) -> Any:
    return case_services.review_complete(
        case=w.case,
        decision=w.line["decision"],
        sessions=int(w.line.get("sessions", 0)),
        resources=list(w.line.get("resources", [])),
        transition_destination=w.text("transition_destination"),
        rationale=w.text("rationale"),
        **w.common,
    )


def _case_notes_uploaded(w: EventWrite) -> Any:
    return provider_services.case_notes_upload(
        case=w.case,
        provider=w.line["provider"],
        file=w.details.get("file"),
        original_name=w.text("original_name"),
        content_type=w.text("content_type"),
        **w.common,
    )


#: Event type -> the service call that records it.
EVENT_SERVICES: dict[str, Callable[[EventWrite], Any]] = {
    "participant_updated": _participant_updated,
    "risk_set": lambda w: case_services.risk_set(
        case=w.case, level=w.line["level"], reason=w.text("reason"), **w.common
    ),
    "callback_requested": lambda w: outreach_services.callback_request(
        case=w.case, not_before=w.instant("not_before"), reason=w.text("reason"), **w.common
    ),
    "outreach_requested": lambda w: outreach_services.outreach_request(
        case=w.case,
        purpose=w.line.get("purpose", "general"),
        target=w.line.get("target", "participant"),
        due=w.instant("due"),
        reason=w.text("reason"),
        **w.common,
    ),
    "outreach_closed": lambda w: outreach_services.outreach_close(
        request=w.named(OutreachRequest, "outreach"),
        reason=w.line.get("reason") or "closed",
        **w.with_confirm,
    ),
    "contact_attempt": _contact_attempt,
    "email_received": _email_received,
    "email_acknowledged": lambda w: outreach_services.email_acknowledge(
        email=w.named(Email, "email"), **w.common
    ),
    "email_actioned": lambda w: outreach_services.email_action(
        email=w.named(Email, "email"), summary=w.text("summary"), **w.common
    ),
    "escalated_to_wpo": lambda w: case_services.escalation_raise(
        case=w.case,
        reason=w.line["reason"],
        summary=w.text("summary", "Escalated (imported history)."),
        **w.common,
    ),
    "dissatisfaction_noted": _dissatisfaction_noted,
    "participant_query": lambda w: case_services.query_record(
        case=w.case,
        text=w.text("text"),
        channel=str(w.details.get("channel") or "phone"),
        **w.common,
    ),
    "participant_query_resolved": lambda w: case_services.query_resolve(
        query=w.named(ParticipantQuery, "query"), resolution=w.text("resolution"), **w.common
    ),
    "provider_contact": lambda w: provider_services.provider_contact_record(
        case=w.case,
        topic=w.line.get("topic", "query"),
        text=w.text("text"),
        # Absent: the history format's default for the topic (risk and goal slip are urgent).
        urgent=w.line.get("urgent"),
        **w.common,
    ),
    "provider_responded": lambda w: provider_services.provider_contact_respond(
        contact=w.named(ProviderContact, "contact"), response=w.text("response"), **w.common
    ),
    "session_held": lambda w: case_services.session_record(case=w.case, **w.with_confirm),
    "review_completed": _review_completed,
    "intervention_ended": lambda w: provider_services.intervention_end(
        case=w.case, provider=w.line["provider"], **w.common
    ),
    "case_notes_uploaded": _case_notes_uploaded,
    "case_notes_reviewed": lambda w: provider_services.case_notes_review(
        upload=w.named(CaseNotesUpload, "notes"),
        note=w.text("note"),
        issues_found=bool(w.details.get("issues_found", False)),
        **w.common,
    ),
    "note": lambda w: case_services.note_add(
        case=w.case,
        summary=w.line.get("summary", ""),
        next_step=w.line.get("next_step", ""),
        **w.common,
    ),
    # Live, the client's check-in after closure is requested in the same write (ADR 0027).
    "case_closed": lambda w: outreach_services.case_close_with_checkin(
        case=w.case,
        reason=w.line.get("reason") or ("closed" if w.historical else ""),
        outcome=w.text("outcome"),
        note=w.text("note"),
        **w.with_confirm,
    ),
    "case_reopened": lambda w: case_services.case_reopen(
        case=w.case, reason=w.line.get("reason") or "reopened", **w.common
    ),
}

#: Inputs a service takes beyond the history format's fields (free texts, a file), by event
#: type: the pages ask for them, the API takes them as `details`. Imported events do without.
EVENT_DETAILS: dict[str, frozenset[str]] = {
    "participant_updated": frozenset({"source"}),
    "risk_set": frozenset({"reason"}),
    "callback_requested": frozenset({"reason"}),
    "outreach_requested": frozenset({"reason"}),
    "outreach_closed": frozenset(),
    "contact_attempt": frozenset({"send_email"}),
    "email_received": frozenset({"subject", "body", "from_address", "message_id"}),
    "email_acknowledged": frozenset(),
    "email_actioned": frozenset({"summary"}),
    "escalated_to_wpo": frozenset({"summary"}),
    "dissatisfaction_noted": frozenset({"aspect", "description"}),
    "participant_query": frozenset({"text", "channel"}),
    "participant_query_resolved": frozenset({"resolution"}),
    "provider_contact": frozenset({"text"}),
    "provider_responded": frozenset({"response"}),
    "session_held": frozenset(),
    "review_completed": frozenset({"transition_destination", "rationale"}),
    "intervention_ended": frozenset(),
    "case_notes_uploaded": frozenset({"file", "original_name", "content_type"}),
    "case_notes_reviewed": frozenset({"note", "issues_found"}),
    "note": frozenset(),
    "case_closed": frozenset({"outcome", "note"}),
    "case_reopened": frozenset(),
}


def event_record(
    case: Case,
    line: Mapping[str, Any],
    *,
    actor: Actor,
    now: datetime,
    historical: bool = False,
    confirm: str = "",
    details: Mapping[str, Any] | None = None,
) -> Any:
    """Write one history-format event through the service that records that kind of event;
    returns what the service returns. `historical` records it as it happened (import, demo):
    findings are kept, nothing is refused; otherwise it is judged like a page's write
    (`confirm` a reason for what the policy questions)."""
    service = EVENT_SERVICES.get(line["type"])
    if service is None:
        # The reader (or the API) has already refused unknown types.
        raise ServiceError(f"unknown event type {line['type']}", field="type")
    if not in_historical_batch(case):
        # The caller's copy may be stale; a batch's own copy is current (and locked).
        case.refresh_from_db()
    write = EventWrite(
        case=case,
        line=line,
        actor=actor,
        now=now,
        historical=historical,
        confirm=confirm,
        details=details or {},
    )
    row = service(write)
    if historical:
        # An answer later in the same imported case names this row (`EventWrite.named`).
        historical_row_keep(case, row)
    return row
